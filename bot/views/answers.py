"""Answers as Telegram HTML: each quote opens with its answering sentence in bold, then the
sentences that read on from it (a short window, "…" where the passage goes on), then
outlet · title (linked) · date. Every piece of article text is escaped.

The text before the answering sentence is not shown (a leading "…" says there is some), and
each quote is one message at most, so an answer is never more messages than it has quotes.
Lengths are counted as Telegram counts them (text after parsing, UTF-16 units).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.views.dates import display_date
from bot.views.display import (
    ELLIPSIS,
    MAX_LINK_CHARS,
    MESSAGE_BUDGET,
    OUTLET_CHARS,
    TELEGRAM_LIMIT,
    TITLE_CHARS,
    escape,
    label,
    lead_window,
    visible_len,
)
from config import RetrievalSettings
from retrieval import Answer, Quote

__all__ = [
    "MESSAGE_BUDGET",
    "NO_ANSWER_HTML",
    "TELEGRAM_LIMIT",
    "escape",
    "render_answer_html",
    "render_quote_html",
    "safe_link",
    "source_html",
]

NO_ANSWER_HTML = "I have no news that answers this."
# Closest headlines listed when the answer abstains.
RELATED_SHOWN = 5
# Room a window of a passage leaves for "… " before it and " …" after it.
_CUT_MARKS = 4
# How much a quote shows after its answering sentence unless the caller says (the setting).
QUOTE_CONTEXT_CHARS = RetrievalSettings().quote_context_chars


def safe_link(url: str | None) -> str | None:
    """Only a sane http(s) URL becomes a link: not too long, no spaces or control characters.
    Anything else is left unlinked (the title still shows)."""
    if not url or len(url) > MAX_LINK_CHARS or any(c.isspace() or ord(c) < 0x20 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[::1": an unbalanced bracket
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def source_html(quote: Quote) -> str:
    """— outlet · title (linked) · date, each label shortened for display."""
    title = escape(label(quote.title, TITLE_CHARS) or "untitled")
    link = safe_link(quote.url)
    title_html = f'<a href="{escape(link)}">{title}</a>' if link else title
    parts = [
        escape(label(quote.source, OUTLET_CHARS)),
        title_html,
        escape(display_date(quote.published)),
    ]
    return "— " + " · ".join(p for p in parts if p)


def passage_html(quote: Quote, units: int, context_chars: int) -> str:
    """At most `units` visible units of the passage, from its answering sentence on (see
    `lead_window`): marked spans in bold, "…" where the passage is cut."""
    window = lead_window(quote.text, quote.marked_spans, max(units - _CUT_MARKS, 1), context_chars)
    body = "".join(
        f"<b>{escape(run)}</b>" if marked else escape(run)
        for run, marked in window.runs(quote.text)
    )
    before = f"{ELLIPSIS} " if window.start > 0 else ""
    after = f" {ELLIPSIS}" if window.end < len(quote.text) else ""
    return before + body + after


def render_quote_html(
    quote: Quote, budget: int = MESSAGE_BUDGET, context_chars: int = QUOTE_CONTEXT_CHARS
) -> str:
    """One quote as one message of at most `budget` visible units: the answering sentence in
    bold, at most `context_chars` of what reads on from it, and the source line, which always
    shows, so the message is never empty."""
    footer = source_html(quote)
    units = budget - visible_len(footer) - 1
    return f"{passage_html(quote, units, context_chars)}\n{footer}"


def render_answer_html(
    answer: Answer,
    quotes: tuple[Quote, ...] | None = None,
    context_chars: int = QUOTE_CONTEXT_CHARS,
) -> list[str]:
    """The answer as Telegram messages, quotes packed together while they fit the budget:
    never more messages than quotes, and one message when there is nothing to quote."""
    shown = answer.quotes if quotes is None else quotes
    if not shown:
        return [no_answer_html(answer.related)]
    messages: list[str] = []
    size = 0
    for quote in shown:
        block = render_quote_html(quote, context_chars=context_chars)
        units = visible_len(block)
        if messages and size + 2 + units <= MESSAGE_BUDGET:
            messages[-1] += "\n\n" + block
            size += 2 + units
        else:
            messages.append(block)
            size = units
    return messages


def no_answer_html(related: tuple[str, ...]) -> str:
    """ "I have no news…" and the closest headlines, shortened."""
    lines = [escape(NO_ANSWER_HTML)]
    titles = [label(t, TITLE_CHARS) for t in related[:RELATED_SHOWN]]
    if any(titles):
        lines.append("The closest headlines I have:")
        lines.extend(f"• {escape(title)}" for title in titles if title)
    return "\n".join(lines)
