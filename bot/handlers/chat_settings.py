"""How a chat wants its alerts: /previews on|off, /quiet on|off|22:00-07:00, /timezone and
when its digest comes (/digest daily 08:00; on|off stay bot/handlers/subscriptions.py's).
Each is one row per chat (index/state/chat_settings.py); in groups only admins change it, as
for /subscribe. Without an argument a command says what is set; a wrong argument gets one
line saying why and the usage, and changes nothing."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat_clock import ClockError, local_now, parse_hours, parse_schedule, parse_zone
from bot.handlers import subscriptions
from bot.handlers.subscriptions import ADMINS_ONLY, may_change_alerts
from bot.replies import reply
from bot.services import services
from bot.views import digest_schedule_html, escape, previews_html, quiet_html, zone_html
from index.clock import timestamp, utc_now
from index.state import ChatPreferences

log = logging.getLogger(__name__)

PREVIEWS_USAGE = "Usage: /previews on or /previews off (a link preview under each alert)"
QUIET_USAGE = (
    "Usage: /quiet on, /quiet off, or quiet hours like /quiet 22:00-07:00 (in this chat's"
    " time zone, see /timezone)"
)
ZONE_USAGE = "Usage: /timezone Europe/Kyiv, or a UTC offset like /timezone +03:00"
DIGEST_USAGE = (
    "Usage: /digest daily 08:00, /digest weekly mon 08:00 (in this chat's time zone),"
    " /digest on or /digest off"
)


def _argument(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or []).strip()


async def _current(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatPreferences:
    chat_id = update.effective_message.chat_id
    return await asyncio.to_thread(services(context).chat_settings.get, chat_id)


async def _change(
    update: Update, context: ContextTypes.DEFAULT_TYPE, **values: object
) -> ChatPreferences | None:
    """The chat's settings with these values set, or None (refused) if the sender may not."""
    if not await may_change_alerts(update, context):
        await reply(update, ADMINS_ONLY)
        return None
    chat_id = update.effective_message.chat_id
    store = services(context).chat_settings
    changed = await asyncio.to_thread(lambda: store.update(chat_id, **values))
    log.info("chat %s: settings %s", chat_id, values)
    return changed


async def previews(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/previews on|off: alerts with or without the article's link preview."""
    choice = _argument(context).lower()
    if not choice:
        await reply(update, f"{previews_html(await _current(update, context))}\n{PREVIEWS_USAGE}")
    elif choice not in ("on", "off"):
        await reply(update, PREVIEWS_USAGE)
    elif changed := await _change(update, context, previews=choice == "on"):
        await reply(update, previews_html(changed))


async def quiet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/quiet on|off|HH:MM-HH:MM: alerts without a sound, always or in those hours."""
    choice = _argument(context)
    if not choice:
        await reply(update, f"{quiet_html(await _current(update, context))}\n{QUIET_USAGE}")
        return
    if choice.lower() == "on":
        values: dict[str, object] = {"quiet": True}
    elif choice.lower() == "off":
        values = {"quiet": False, "quiet_from": None, "quiet_until": None}
    else:
        try:
            start, end = parse_hours(choice)
        except ClockError as error:
            await reply(update, f"{escape(str(error))}\n{QUIET_USAGE}")
            return
        values = {"quiet": False, "quiet_from": start, "quiet_until": end}
    if changed := await _change(update, context, **values):
        await reply(update, quiet_html(changed))


async def timezone_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/timezone <zone>: the zone quiet hours and digest times are in."""
    typed = _argument(context)
    if not typed:
        current = await _current(update, context)
        await reply(update, zone_html(current, local_now(utc_now(), current.timezone)))
        return
    try:
        zone = parse_zone(typed)
    except ClockError as error:
        await reply(update, f"{escape(str(error))}\n{ZONE_USAGE}")
        return
    if changed := await _change(update, context, timezone=zone):
        await reply(update, zone_html(changed, local_now(utc_now(), zone)))


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest daily 08:00 | weekly mon 08:00 | on | off: when the chat's digest comes."""
    words = context.args or []
    choice = " ".join(words).lower()
    if choice in ("on", "off"):  # the interval digest, with no schedule left behind
        if await may_change_alerts(update, context):
            store, chat_id = services(context).chat_settings, update.effective_message.chat_id
            await asyncio.to_thread(lambda: store.update(chat_id, digest_schedule=None))
        await subscriptions.digest(update, context)
        return
    if not words or words[0].lower() not in ("daily", "weekly"):
        await reply(update, DIGEST_USAGE)
        return
    try:
        schedule = parse_schedule(words)
    except ClockError as error:
        await reply(update, f"{escape(str(error))}\n{DIGEST_USAGE}")
        return
    changed = await _change(update, context, digest_schedule=schedule)
    if changed is None:
        return
    svc = services(context)
    chat_id = update.effective_message.chat_id
    # The schedule starts now: its first digest is its next slot, not one already past.
    await asyncio.to_thread(svc.subscriptions.set_digest, chat_id, True)
    await asyncio.to_thread(svc.subscriptions.mark_digest_sent, chat_id, timestamp())
    await reply(update, digest_schedule_html(changed))
