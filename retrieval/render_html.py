"""Answers as Telegram HTML: every piece of article text escaped, the answering sentence in
bold, then outlet · title (linked) · date, cut into messages under Telegram's 4096 characters.

Splitting happens on quote boundaries, and a quote too long for one message is cut between
plain-text pieces before escaping, so no tag or entity is ever split.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from retrieval.answer import Answer, Quote
from retrieval.dates import display_date

TELEGRAM_LIMIT = 4096
# Headroom under the limit for what a caller may add (a header line, a counter).
MESSAGE_BUDGET = 3900
NO_ANSWER_HTML = "I have no news that answers this."


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def safe_link(url: str | None) -> str | None:
    """Only http(s) links become <a href>; anything else is shown as text or dropped."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def source_html(quote: Quote) -> str:
    title = escape(quote.title or "untitled")
    link = safe_link(quote.url)
    title_html = f'<a href="{escape(link)}">{title}</a>' if link else title
    parts = [
        escape(quote.source) if quote.source else "",
        title_html,
        escape(display_date(quote.published)),
    ]
    return "— " + " · ".join(p for p in parts if p)


def quote_pieces(quote: Quote) -> list[tuple[str, bool]]:
    """The quote as (text, is_marked) runs."""
    runs, cursor = [], 0
    for start, end in quote.marked_spans:
        if start > cursor:
            runs.append((quote.text[cursor:start], False))
        runs.append((quote.text[start:end], True))
        cursor = end
    if cursor < len(quote.text):
        runs.append((quote.text[cursor:], False))
    return runs


def render_quote_html(quote: Quote, budget: int = MESSAGE_BUDGET) -> list[str]:
    """One quote as one or more HTML messages, each at most `budget` characters."""
    footer = source_html(quote)
    chunks: list[str] = []
    current = ""
    for text, marked in quote_pieces(quote):
        for piece in _split_plain(text, budget - len(footer) - 16):
            rendered = f"<b>{escape(piece)}</b>" if marked else escape(piece)
            if current and len(current) + len(rendered) > budget - len(footer) - 16:
                chunks.append(current)
                current = ""
            current += rendered
    chunks.append(current)
    chunks[-1] = f"{chunks[-1]}\n{footer}"
    if len(chunks) > 1:
        chunks = [c if i == len(chunks) - 1 else c + " …" for i, c in enumerate(chunks)]
    return chunks


def _split_plain(text: str, budget: int) -> list[str]:
    """Cut plain text so that each piece, once escaped, fits the budget; prefer word breaks."""
    pieces = []
    while len(escape(text)) > budget:
        cut = budget // 6 if budget >= 6 else 1  # "&quot;" is the longest escape: 6 chars
        low, high = cut, len(text)
        while low < high:  # the longest prefix whose escaped form fits
            middle = (low + high + 1) // 2
            if len(escape(text[:middle])) <= budget:
                low = middle
            else:
                high = middle - 1
        space = text.rfind(" ", 0, low)
        cut = space + 1 if space > low // 2 else low
        pieces.append(text[:cut])
        text = text[cut:]
    if text:
        pieces.append(text)
    return pieces


def render_answer_html(answer: Answer, quotes: tuple[Quote, ...] | None = None) -> list[str]:
    """The answer as Telegram messages: quotes packed together while they fit the budget."""
    if not answer.answered and quotes is None:
        lines = [escape(NO_ANSWER_HTML)]
        if answer.related:
            lines.append("The closest headlines I have:")
            lines.extend(f"• {escape(title)}" for title in answer.related)
        return ["\n".join(lines)]
    messages: list[str] = []
    for quote in answer.quotes if quotes is None else quotes:
        for block in render_quote_html(quote):
            if messages and len(messages[-1]) + 2 + len(block) <= MESSAGE_BUDGET:
                messages[-1] += "\n\n" + block
            else:
                messages.append(block)
    return messages
