"""Plain-text answers for the terminal, in the order of the Telegram reply: each quote opens
with its answering sentence between » «, then what reads on from it, then the source line.

A quote shows at most `TERMINAL_QUOTE_CHARS` of its passage and labels are shortened, so
printing takes bounded time whatever is stored (`ask --json` keeps the passage whole).
"""

from __future__ import annotations

import textwrap

from bot.views.answers import QUOTE_CONTEXT_CHARS, RELATED_SHOWN
from bot.views.dates import display_date
from bot.views.display import (
    ELLIPSIS,
    OUTLET_CHARS,
    TITLE_CHARS,
    URL_TEXT_CHARS,
    label,
    lead_window,
)
from retrieval import Answer, Quote

NO_ANSWER = "I have no news that answers this."
TERMINAL_QUOTE_CHARS = 4000


def source_line(quote: Quote) -> str:
    parts = [
        label(quote.source, OUTLET_CHARS),
        label(quote.title, TITLE_CHARS),
        display_date(quote.published),
        label(quote.url, URL_TEXT_CHARS),
    ]
    return "— " + " · ".join(p for p in parts if p)


def render_quote_text(
    quote: Quote, width: int = 88, context_chars: int = QUOTE_CONTEXT_CHARS
) -> str:
    """The quote from its answering sentence on (see `lead_window`), then its source."""
    window = lead_window(quote.text, quote.marked_spans, TERMINAL_QUOTE_CHARS, context_chars)
    body = "".join(f"»{run}«" if marked else run for run, marked in window.runs(quote.text))
    body = (f"{ELLIPSIS} " if window.start > 0 else "") + body
    body += f" {ELLIPSIS}" if window.end < len(quote.text) else ""
    paragraphs = [
        textwrap.fill(p, width, initial_indent="  ", subsequent_indent="  ")
        for p in body.split("\n")
    ]
    return (
        "\n".join(paragraphs)
        + "\n"
        + textwrap.fill(source_line(quote), width, subsequent_indent="  ")
    )


def render_answer_text(answer: Answer, context_chars: int = QUOTE_CONTEXT_CHARS) -> str:
    if not answer.answered or not answer.quotes:
        lines = [NO_ANSWER]
        titles = [label(t, TITLE_CHARS) for t in answer.related[:RELATED_SHOWN]]
        if any(titles):
            lines.append("The closest headlines I have:")
            lines.extend(f"  • {title}" for title in titles if title)
        return "\n".join(lines)
    return "\n\n".join(render_quote_text(q, context_chars=context_chars) for q in answer.quotes)
