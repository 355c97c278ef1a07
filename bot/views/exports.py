"""What an OPML list sent to the bot added, and /export's topics, as Telegram HTML."""

from __future__ import annotations

from bot.views.display import escape, label, pack_lines
from bot.views.status import reason_html, url_html
from index.state import FeedsAdded, Subscription

SOURCE_CHARS = 100  # a file name or URL the list came from, as shown


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def feeds_added_html(origin: str, added: FeedsAdded, poll_minutes: float) -> str:
    """✅ list.opml: 3 feeds added, 1 already polled, 1 skipped (url: why). I read them now…"""
    parts = [_count(len(added.added), "feed added", "feeds added")]
    if added.already:
        parts.append(f"{added.already:,} already polled")
    if added.skipped:
        url, why = added.skipped[0]
        more = f" and {len(added.skipped) - 1:,} more" if len(added.skipped) > 1 else ""
        parts.append(f"{len(added.skipped):,} skipped ({url_html(url)}: {reason_html(why)}{more})")
    head = f"{escape(label(origin, SOURCE_CHARS))}: {', '.join(parts)}."
    if not added.added:
        return head
    return f"✅ {head} I read them now and every {poll_minutes:g} min."


def exported_topics_html(topics: list[Subscription]) -> list[str]:
    """/export: each topic as the command that follows it again (code: a tap copies it)."""
    if not topics:
        return ["This chat follows no topics yet, so there is nothing to export."]
    lines = [
        f"<b>This chat follows {_count(len(topics), 'topic', 'topics')}.</b>"
        " Send a line to me (here or in another chat) to follow it there:",
        *(f"<code>/subscribe {escape(s.topic)}</code>" for s in topics),
    ]
    return pack_lines(lines, "topic")
