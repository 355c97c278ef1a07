"""What /subscribe says a topic would have sent lately (retrieval/alerts/preview.py), as
Telegram HTML: headlines escaped and linked, the whole preview within one message."""

from __future__ import annotations

from bot.views.answers import safe_link
from bot.views.dates import display_date
from bot.views.display import (
    MESSAGE_BUDGET,
    OUTLET_CHARS,
    TITLE_CHARS,
    TOPIC_CHARS,
    escape,
    label,
    pack_lines,
    visible_len,
)
from retrieval.alerts import PreviewStory, TopicPreview


def preview_html(preview: TopicPreview, lead: str = "") -> str:
    """`lead` (already HTML), then how many of the recent stories the topic would have matched,
    its best headlines and, for none or a flood, the suggested topics with their counts; one
    message whatever the headlines (those that do not fit are counted)."""
    days = f"{preview.days:g} day{'' if preview.days == 1 else 's'}"
    lines = []
    if preview.unknown_source:  # followed anyway: the outlet may simply not have posted yet
        lines.append(
            f"I have no stories from {escape(label(preview.source, TOPIC_CHARS))} from the last"
            f" {days} yet; I'll alert when one arrives."
        )
    elif preview.screened == 0:
        lines.append(
            f"I have no stories from the last {days} to try this topic on, so I can't tell yet"
            " how often it will match."
        )
    else:
        stories = _count(preview.screened, "story", "stories")
        pool = f"the newest {stories}" if preview.capped else f"the {stories}"
        if preview.matched == 0:
            lines.append(f"Of {pool} of the last {days}, none would have matched.")
        else:
            line = f"Of {pool} of the last {days}, {preview.matched:,} would have matched"
            line += ": that is a lot." if preview.flood else "."
            best = " The newest:" if preview.newest_first else " The best:"
            lines.append(line + (best if preview.best else ""))
            lines += [_headline(s) for s in preview.best]
    hint = _suggestions(preview)
    text_budget = MESSAGE_BUDGET - visible_len(lead) - visible_len(hint) - 4
    body = pack_lines(lines, "headline", budget=text_budget, max_messages=1)[0]
    return "\n\n".join(part for part in (lead, body, hint) if part)


def _headline(story: PreviewStory) -> str:
    title = escape(label(story.title, TITLE_CHARS) or "untitled")
    link = safe_link(story.url)
    headline = f'<a href="{escape(link)}">{title}</a>' if link else title
    facts = [label(story.source, OUTLET_CHARS), display_date(story.published)]
    shown = " · ".join(escape(f) for f in facts if f)
    return f"• {headline}" + (f" — {shown}" if shown else "")


def _suggestions(preview: TopicPreview) -> str:
    if preview.screened == 0 or not (preview.none or preview.flood):
        return ""
    tried = ", ".join(
        f"<code>{escape(label(s.topic, TOPIC_CHARS))}</code> ({_count(s.matched, 'story', 'stories')})"
        for s in preview.suggestions
    )
    if preview.none:
        advice = "Try a broader phrasing, or drop a +word"
        return f"{advice}: {tried}." if tried else f"{advice}."
    advice = "To narrow it, add a +word or a -word, or use a more specific phrase"
    return f"{advice}, e.g. {tried}." if tried else f"{advice}."


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"
