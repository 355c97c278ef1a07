"""How an alert (or a digest) goes to a chat, from the chat's settings: without a sound when
the chat is quiet or inside its quiet hours (in its time zone), with a link preview when it
asked for them (index/state/chat_settings.py, set by bot/handlers/chat_settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.chat_clock import in_hours
from index.state import ChatPreferences


@dataclass(frozen=True)
class SendManner:
    silent: bool = False
    previews: bool = False


def send_manner(preferences: ChatPreferences, now: datetime) -> SendManner:
    """The manner of a send to this chat at `now` (aware)."""
    quiet_hours = bool(
        preferences.quiet_from
        and preferences.quiet_until
        and in_hours(now, preferences.quiet_from, preferences.quiet_until, preferences.timezone)
    )
    return SendManner(silent=preferences.quiet or quiet_hours, previews=preferences.previews)
