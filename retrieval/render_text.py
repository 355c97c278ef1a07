"""Plain-text answers for the terminal: the marked sentence between » «."""

from __future__ import annotations

import textwrap

from retrieval.answer import Answer, Quote
from retrieval.dates import display_date

NO_ANSWER = "I have no news that answers this."


def source_line(quote: Quote) -> str:
    parts = [quote.source, quote.title, display_date(quote.published), quote.url or ""]
    return "— " + " · ".join(p for p in parts if p)


def render_quote_text(quote: Quote, width: int = 88) -> str:
    pieces, cursor = [], 0
    for start, end in quote.marked_spans:
        pieces.append(quote.text[cursor:start])
        pieces.append("»" + quote.text[start:end] + "«")
        cursor = end
    pieces.append(quote.text[cursor:])
    body = "".join(pieces)
    paragraphs = [
        textwrap.fill(p, width, initial_indent="  ", subsequent_indent="  ")
        for p in body.split("\n")
    ]
    return (
        "\n".join(paragraphs)
        + "\n"
        + textwrap.fill(source_line(quote), width, subsequent_indent="  ")
    )


def render_answer_text(answer: Answer) -> str:
    if not answer.answered:
        lines = [NO_ANSWER]
        if answer.related:
            lines.append("The closest headlines I have:")
            lines.extend(f"  • {title}" for title in answer.related)
        return "\n".join(lines)
    return "\n\n".join(render_quote_text(q) for q in answer.quotes)
