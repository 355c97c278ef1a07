"""Who may use a command: the bot's admins (telegram.admins); anyone else is refused politely
and the attempt is logged."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat_rights import is_bot_admin
from bot.replies import reply
from bot.services import services

log = logging.getLogger(__name__)


ADMINS_ONLY = "Sorry, that command is only for the bot's admins."


async def admin_or_refuse(
    update: Update, context: ContextTypes.DEFAULT_TYPE, refusal: str = ADMINS_ONLY
) -> bool:
    """Whether the sender is an admin; if not, `refusal` is the reply."""
    svc = services(context)
    if is_bot_admin(update, svc.settings.telegram.admins):
        return True
    user = update.effective_user
    text = update.effective_message.text or ""
    log.warning(
        "refused %r from user %s in chat %s (not an admin)",
        text.split()[0] if text.split() else text,
        user.id if user else None,
        update.effective_chat.id if update.effective_chat else None,
    )
    await reply(update, refusal)
    return False


def user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None
