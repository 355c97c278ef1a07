"""Alerts and digests as Telegram HTML, under Telegram's 4096-unit limit.

Everything that comes from an article or a user (headline, quote, outlet, topic) is escaped
and shortened for display. An alert is always one message; a digest is at most
`MAX_LIST_MESSAGES` messages, the articles that do not fit counted in "… and N more".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.views.answers import QUOTE_CONTEXT_CHARS, render_quote_html, safe_link
from bot.views.dates import display_date
from bot.views.display import (
    ELLIPSIS,
    MESSAGE_BUDGET,
    OUTLET_CHARS,
    TITLE_CHARS,
    TOPIC_CHARS,
    escape,
    label,
    normalized_spans,
    pack_lines,
    visible_len,
)
from retrieval import Quote

# A digest line shows at most this much of the marked sentence.
DIGEST_SNIPPET_CHARS = 280


def render_alert_html(
    quote: Quote, topic: str, context_chars: int = QUOTE_CONTEXT_CHARS
) -> list[str]:
    """🔔 headline, the topic, then the quote (from its sentence closest to the topic, in
    bold) and its source, in one message."""
    title = label(quote.title, TITLE_CHARS) or "New article"
    header = f"🔔 <b>{escape(title)}</b>\n<i>{escape(label(topic, TOPIC_CHARS))}</i>\n\n"
    budget = MESSAGE_BUDGET - visible_len(header)
    return [header + render_quote_html(quote, budget=budget, context_chars=context_chars)]


@dataclass(frozen=True)
class DigestItem:
    topic: str
    quote: Quote


def render_digest_html(items: list[DigestItem]) -> list[str]:
    """New articles grouped by topic, one line each, in at most `MAX_LIST_MESSAGES` messages:
    the articles beyond are counted in a last line "… and N more articles"."""
    count = len(items)
    header = f"📰 <b>Your digest: {count:,} new article{'s' if count != 1 else ''}</b>"
    by_topic: dict[str, list[Quote]] = {}
    for item in items:
        by_topic.setdefault(item.topic, []).append(item.quote)
    lines = [header]
    for topic, quotes in by_topic.items():
        topic_line = f"<i>{escape(label(topic, TOPIC_CHARS))}</i>\n"
        lines += [(topic_line if i == 0 else "") + _digest_line(q) for i, q in enumerate(quotes)]
    return pack_lines(lines, "article")


def _digest_line(quote: Quote) -> str:
    title = escape(label(quote.title, TITLE_CHARS) or "untitled")
    link = safe_link(quote.url)
    headline = f'<a href="{escape(link)}">{title}</a>' if link else f"<b>{title}</b>"
    source = label(quote.source, OUTLET_CHARS)
    facts = " · ".join(escape(p) for p in (source, display_date(quote.published)) if p)
    line = f"• {headline}" + (f" — {facts}" if facts else "")
    snippet = marked_snippet(quote, DIGEST_SNIPPET_CHARS)
    return f"{line}\n  “{escape(snippet)}”" if snippet else line


def marked_snippet(quote: Quote, limit: int) -> str:
    """The marked sentence(s), or the start of the passage, as one line of at most `limit`."""
    spans = normalized_spans(quote.marked_spans, len(quote.text)) or [(0, len(quote.text))]
    parts, read = [], 0
    for start, end in spans:  # read no more than can be shown
        parts.append(quote.text[start : min(end, start + limit * 4 - read)])
        read += len(parts[-1])
        if read >= limit * 4:
            parts.append(ELLIPSIS)
            break
    return label(" ".join(parts), limit)
