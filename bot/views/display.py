"""Stored text made fit to show: lengths counted as Telegram counts them (UTF-16 code units),
control characters blanked, labels shortened with "…", the window of a passage that opens at
its answering sentence, and lists packed into a bounded number of messages.

Only what is shown is shortened: a long title stays whole in SQLite and in `ask --json`.
Every function here runs in time bounded by its limit, not by the length of its input, so no
stored text (old archives hold anything) can stall the event loop.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.text import sentence_spans

# Telegram's limit on a message, counted after entity parsing in UTF-16 code units.
TELEGRAM_LIMIT = 4096
# What a renderer fills: headroom under the limit for what a caller may add (a header line).
MESSAGE_BUDGET = 3900
ELLIPSIS = "…"
# Display lengths, in UTF-16 units. The sum of one quote's labels (outlet, title, date) and an
# alert's header stays far under MESSAGE_BUDGET, so the passage always keeps most of a message.
TITLE_CHARS = 300
OUTLET_CHARS = 100
TOPIC_CHARS = 200
URL_TEXT_CHARS = 200  # a URL shown as text (the link itself is never shortened)
REASON_CHARS = 300  # an error or a failure reason shown to an admin
# A link longer than this is not linked (browsers and Telegram clients choke on longer ones).
MAX_LINK_CHARS = 2048
# A list (/feeds, a digest, /subscriptions) fills at most this many messages; the rest is
# counted in an "… and N more" line.
MAX_LIST_MESSAGES = 3

# C0 and C1 control characters (except newline and tab) and the bidirectional overrides that
# Telegram strips: shown as spaces, one for one, so offsets into the text stay valid.
_BLANKED = {
    code: " "
    for code in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F))
    if chr(code) not in "\n\t"
}
_TAG = re.compile(r"<[^>]*>")
# How a sentence ends, unlike a heading: terminal punctuation, then closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_WHITESPACE = " \n\t"
# How much of a label is read before shortening: the rest cannot be shown anyway.
_LABEL_READ_FACTOR = 4


def escape(text: str) -> str:
    """Text as HTML text or attribute value: &, <, >, and quotes escaped."""
    return html.escape(text, quote=True)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, Telegram's unit (an emoji counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def visible_len(fragment: str) -> int:
    """What Telegram counts of an HTML fragment this package built: its text without tags.

    Only for our own fragments, where every `<` and `&` of the text is escaped."""
    return utf16_len(html.unescape(_TAG.sub("", fragment)))


def blank_controls(text: str) -> str:
    """Control characters shown as spaces (same length, so marked offsets still hold)."""
    return text.translate(_BLANKED)


def prefix_end(text: str, start: int, units: int) -> int:
    """The largest end such that text[start:end] is at most `units` UTF-16 units long."""
    end = min(len(text), start + max(units, 0))
    excess = utf16_len(text[start:end]) - units
    while excess > 0:
        end -= 1
        excess -= 2 if ord(text[end]) > 0xFFFF else 1
    return end


def shorten(text: str, limit: int) -> str:
    """`text` if it is at most `limit` UTF-16 units, else its longest prefix that fits with
    "…" after it, cut after a word when a word ends in the second half, mid-word otherwise."""
    if limit < 1:
        raise ValueError(f"shorten needs a limit of at least 1, got {limit}")
    if prefix_end(text, 0, limit) == len(text):
        return text
    end = prefix_end(text, 0, limit - 1)
    return text[: _word_end(text, limit // 2, end)].rstrip() + ELLIPSIS


def label(text: str | None, limit: int) -> str:
    """A one-line label (title, outlet, topic, URL) for display: whitespace and control
    characters collapsed to single spaces, shortened to `limit` UTF-16 units."""
    text = text or ""
    head = text[: limit * _LABEL_READ_FACTOR]
    line = " ".join(blank_controls(head).split())
    if len(head) == len(text):
        return shorten(line, limit)
    end = prefix_end(line, 0, limit - 1)  # the rest was not read: it is cut in any case
    return line[: _word_end(line, limit // 2, end)].rstrip() + ELLIPSIS


def _word_end(text: str, low: int, end: int) -> int:
    """`end` moved back to the last whitespace after `low`, if there is one."""
    space = max(text.rfind(c, low, end) for c in _WHITESPACE)
    return space if space > 0 and space >= low else end


def normalized_spans(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Spans clipped to the text, empty ones dropped, sorted, overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    clipped = ((max(0, s), min(length, e)) for s, e in spans)
    for start, end in sorted((s, e) for s, e in clipped if s < e):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class PassageWindow:
    """The part text[start:end] of a passage to show, with the marked spans inside it."""

    start: int
    end: int
    spans: tuple[tuple[int, int], ...]

    def runs(self, text: str) -> list[tuple[str, bool]]:
        """The window as (text, is_marked) runs, control characters blanked, none empty."""
        runs, cursor = [], self.start
        for start, end in self.spans:
            runs += [(text[cursor:start], False), (text[start:end], True)]
            cursor = end
        runs.append((text[cursor : self.end], False))
        return [(blank_controls(run), marked) for run, marked in runs if run]


def lead_window(
    text: str, spans: Sequence[tuple[int, int]], units: int, context_units: int
) -> PassageWindow:
    """The part of a passage a quote shows, from its answering sentence on, in at most `units`
    UTF-16 units. The first marked span is the answer and opens the window (nothing before it
    is shown); the second marked span joins it when only whitespace parts them. Then come the
    sentences that read on from it while they fit in `context_units` (when not even one does,
    the words of the next that fit). The second span stays marked only when it lies wholly
    in what is shown, so a far-away one is never shown out of order. A marked part longer
    than `units` is shown from its start, cut between words."""
    clipped = ((max(0, s), min(len(text), e)) for s, e in spans)
    answer, *others = [(s, e) for s, e in clipped if s < e][:2] or [(0, 0)]
    start, lead_end = answer
    other = others[0] if others else None
    if other and _follows(text, answer, other, units):
        lead_end = max(lead_end, other[1])
    lead = normalized_spans([answer, other] if lead_end > answer[1] else [answer], len(text))
    if not _fits(text, start, lead_end, units):
        end = prefix_end(text, start, units)
        return _clipped(start, _word_end(text, start + (end - start) // 2, end), lead)
    room = min(context_units, units - utf16_len(text[start:lead_end]))
    end = _reading_on(text, lead_end, prefix_end(text, lead_end, room))
    if other and start <= other[0] and other[1] <= end:
        lead = normalized_spans([*lead, other], len(text))
    return _clipped(start, end, lead)


def _follows(text: str, first: tuple[int, int], then: tuple[int, int], within: int) -> bool:
    """Whether `then` starts inside `first` or after it with only whitespace between (at
    most `within` characters of it: no more can be shown anyway)."""
    gap = then[0] - first[1]
    return first[0] <= then[0] and (
        gap <= 0 or (gap <= within and text[first[1] : then[0]].isspace())
    )


def _reading_on(text: str, start: int, limit: int) -> int:
    """Where the context after text[:start] ends, at most at `limit`: after the last whole
    sentence of text[start:limit] (one that ends like a sentence rather than a heading,
    when there is one), else after its last whole word (mid-word for a word too long); at
    the end of the text when only whitespace is left of it."""
    piece = text[start:limit]
    if not piece or piece.isspace():
        return limit if limit == len(text) else start
    sentences = sentence_spans(piece)
    # The last sentence of the piece may be cut by `limit`: it counts when the piece reaches
    # the end of the text or a line break follows it.
    whole = [
        (first, end)
        for i, (first, end) in enumerate(sentences)
        if i + 1 < len(sentences) or limit == len(text) or "\n" in piece[end:]
    ]
    ended = [end for first, end in whole if _SENTENCE_END.search(piece, first, end)]
    if ended or whole:
        return start + (ended or [end for _, end in whole])[-1]
    return _word_end(text, start + 1, limit) if limit > start else start


def _fits(text: str, start: int, end: int, units: int) -> bool:
    return end - start <= units and utf16_len(text[start:end]) <= units


def _clipped(start: int, end: int, spans: list[tuple[int, int]]) -> PassageWindow:
    inside = tuple((max(s, start), min(e, end)) for s, e in spans if s < end and e > start)
    return PassageWindow(start, end, inside)


def pack_lines(
    lines: Sequence[str],
    noun: str,
    budget: int = MESSAGE_BUDGET,
    max_messages: int = MAX_LIST_MESSAGES,
) -> list[str]:
    """HTML lines (each built from shortened labels) joined into at most `max_messages`
    messages of at most `budget` visible units; the lines that do not fit are counted in a
    last line "… and N more {noun}s". The first line is a heading and is not counted."""
    reserve = len(f"… and {len(lines):,} more {noun}s") + 1
    messages: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        units = visible_len(line)
        if units > budget - reserve:  # never happens with shortened labels; stay total anyway
            line, units = ELLIPSIS, 1
        if messages and size + 1 + units <= budget - reserve:
            messages[-1] += "\n" + line
            size += 1 + units
        elif len(messages) < max_messages:
            messages.append(line)
            size = units
        else:
            left = len(lines) - index
            messages[-1] += f"\n… and {left:,} more {noun}{'' if left == 1 else 's'}"
            break
    return messages or [ELLIPSIS]
