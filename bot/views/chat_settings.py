"""What /previews, /quiet, /timezone and /digest daily|weekly say a chat's settings are, as Telegram HTML."""

from __future__ import annotations

from bot.chat_clock import describe_schedule
from bot.views.display import escape
from index.state import ChatPreferences


def zone_name(preferences: ChatPreferences) -> str:
    return escape(preferences.timezone or "UTC")


def previews_html(preferences: ChatPreferences) -> str:
    if preferences.previews:
        return "🖼 Link previews on: each alert shows a preview of its article."
    return "Link previews off: alerts come as text and links only."


def quiet_html(preferences: ChatPreferences) -> str:
    if preferences.quiet:
        return "🔕 Quiet: alerts to this chat arrive without a sound."
    if preferences.quiet_from and preferences.quiet_until:
        return (
            f"🔕 Quiet hours {preferences.quiet_from}–{preferences.quiet_until}"
            f" ({zone_name(preferences)}): alerts in those hours arrive without a sound."
            + ("" if preferences.timezone else " Set this chat's zone with /timezone.")
        )
    return "🔔 Alerts to this chat ring as they come."


def zone_html(preferences: ChatPreferences, local_time: str) -> str:
    return (
        f"🕓 Time zone: {zone_name(preferences)} (now {local_time} there)."
        " Quiet hours and digest times follow it."
    )


def digest_schedule_html(preferences: ChatPreferences) -> str:
    when = describe_schedule(preferences.digest_schedule or "")
    return (
        f"🗞 Digest {when} ({zone_name(preferences)}): new articles on your topics will come"
        " together then, each story once."
    )
