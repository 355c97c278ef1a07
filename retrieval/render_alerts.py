"""Alerts and digests as Telegram HTML, under the 4096-character limit.

Everything that comes from an article or a user (headline, quote, outlet, topic) is escaped;
long quotes are cut by `render_quote_html`, which never splits a tag or an entity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from retrieval.answer import Quote
from retrieval.dates import display_date
from retrieval.render_html import MESSAGE_BUDGET, escape, render_quote_html, safe_link

# A digest line shows at most this much of the marked sentence.
DIGEST_SNIPPET_CHARS = 280
# Headlines and outlet names come from outside: a long one must not eat the message budget.
MAX_LABEL_CHARS = 300


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + "…"


def render_alert_html(quote: Quote, topic: str) -> list[str]:
    """🔔 headline, the topic, then the quote (answering sentence in bold) and its source."""
    quote = replace(
        quote,
        title=_shorten(quote.title, MAX_LABEL_CHARS),
        source=_shorten(quote.source, MAX_LABEL_CHARS),
    )
    topic = _shorten(topic, MAX_LABEL_CHARS)
    header = f"🔔 <b>{escape(quote.title or 'New article')}</b>\n<i>{escape(topic)}</i>\n\n"
    pieces = render_quote_html(quote, budget=MESSAGE_BUDGET - len(header))
    pieces[0] = header + pieces[0]
    return pieces


@dataclass(frozen=True)
class DigestItem:
    topic: str
    quote: Quote


def render_digest_html(items: list[DigestItem]) -> list[str]:
    """One message (or a few, when long) listing new articles grouped by topic."""
    count = len(items)
    header = f"📰 <b>Your digest: {count} new article{'s' if count != 1 else ''}</b>"
    blocks: list[str] = []
    by_topic: dict[str, list[Quote]] = {}
    for item in items:
        by_topic.setdefault(item.topic, []).append(item.quote)
    for topic, quotes in by_topic.items():
        blocks.append(f"<i>{escape(_shorten(topic, MAX_LABEL_CHARS))}</i>")
        blocks.extend(_digest_line(q) for q in quotes)
    messages = [header]
    for block in blocks:
        if len(messages[-1]) + 1 + len(block) > MESSAGE_BUDGET:
            messages.append(block)
        else:
            messages[-1] += "\n" + block
    return messages


def _digest_line(quote: Quote) -> str:
    title = escape(_shorten(quote.title or "untitled", MAX_LABEL_CHARS))
    link = safe_link(quote.url)
    headline = f'<a href="{escape(link)}">{title}</a>' if link else f"<b>{title}</b>"
    source = _shorten(quote.source, MAX_LABEL_CHARS)
    facts = " · ".join(escape(p) for p in (source, display_date(quote.published)) if p)
    snippet = _shorten(quote.marked or quote.text, DIGEST_SNIPPET_CHARS)
    line = f"• {headline}" + (f" — {facts}" if facts else "")
    return f"{line}\n  “{escape(snippet)}”"
