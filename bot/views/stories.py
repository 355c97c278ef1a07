"""Story listings (/latest, /today, a question about a day) as Telegram HTML and as terminal
text: one line per story, its title linked, then outlet · how long ago · how many outlets.

With titles cut to STORY_TITLE_CHARS, a page of at most 20 stories stays far under one
message, so a listing is always one message (its page buttons stay under it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.views.answers import safe_link
from bot.views.dates import display_date
from bot.views.display import OUTLET_CHARS, escape, label
from retrieval import Story

STORY_TITLE_CHARS = 150


def time_ago(moment: datetime | None, now: datetime) -> str:
    """ "12 min ago", "5 h ago", "yesterday", "3 days ago", else the date. A date without a
    time (midnight) counts in days only: the hour is unknown."""
    if moment is None:
        return ""
    seconds = (now - moment).total_seconds()
    dated_only = (moment.hour, moment.minute, moment.second) == (0, 0, 0)
    days = (now.date() - moment.date()).days
    if seconds < 0:
        return display_date(moment.isoformat())
    if dated_only or seconds >= 86400:
        if days <= 0:
            return "today"
        if days == 1:
            return "yesterday"
        if days < 14:
            return f"{days} days ago"
        return display_date(moment.isoformat())
    if seconds < 3600:
        return f"{max(int(seconds // 60), 1)} min ago"
    return f"{int(seconds // 3600)} h ago"


def carried_by(story: Story) -> str:
    """ "3 outlets" (or "4 articles" when one outlet ran it several times); "" for one."""
    if len(story.outlets) > 1:
        return f"{len(story.outlets)} outlets"
    if story.articles > 1:
        return f"{story.articles} articles"
    return ""


def story_facts(story: Story, now: datetime) -> list[str]:
    """Outlet, how long ago, how many outlets carried it (those known)."""
    return [
        p
        for p in (label(story.source, OUTLET_CHARS), time_ago(story.moment, now), carried_by(story))
        if p
    ]


def story_line_html(story: Story, now: datetime) -> str:
    title = escape(label(story.title, STORY_TITLE_CHARS) or "untitled")
    link = safe_link(story.url)
    linked = f'<a href="{escape(link)}">{title}</a>' if link else title
    return f"• {linked}\n   {escape(' · '.join(story_facts(story, now)))}"


def stories_html(heading: str, stories: Sequence[Story], now: datetime, empty: str) -> str:
    """A heading (HTML, the caller's) and one entry per story, or `empty` (HTML)."""
    if not stories:
        return f"{heading}\n{empty}"
    return "\n".join([heading, *(story_line_html(s, now) for s in stories)])


def stories_text(heading: str, stories: Sequence[Story], now: datetime, empty: str) -> str:
    """The same listing for a terminal: the link on its own line."""
    if not stories:
        return f"{heading}\n{empty}"
    lines = [heading]
    for story in stories:
        lines.append(f"• {label(story.title, STORY_TITLE_CHARS) or 'untitled'}")
        lines.append(f"  {' · '.join(story_facts(story, now))}")
        if story.url:
            lines.append(f"  {label(story.url, 300)}")
    return "\n".join(lines)


def window_label(start: datetime, end: datetime) -> str:
    """ "7 June 2022", or "10 – 12 June 2024" for several days ([start, end) whole days)."""
    last = datetime.fromordinal(end.toordinal() - 1)
    first_text = f"{start.day} {start:%B %Y}"
    if last.date() <= start.date():
        return first_text
    return f"{start.day} {start:%B %Y} – {last.day} {last:%B %Y}"
