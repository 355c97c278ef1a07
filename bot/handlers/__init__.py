"""The Telegram handlers, one module per concern (questions, topic alerts, admin commands);
bot/app.py registers them. The replies tests and other packages quote are named here too."""

from bot.handlers import admin, ask, subscriptions
from bot.handlers.limits import SLOW_DOWN
from bot.handlers.subscriptions import ADMINS_ONLY

__all__ = ["ADMINS_ONLY", "SLOW_DOWN", "admin", "ask", "subscriptions"]
