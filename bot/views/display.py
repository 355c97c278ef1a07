"""Stored text made fit to show: lengths counted as Telegram counts them (UTF-16 code units),
control characters blanked, labels shortened with "…", a window of a long passage around its
marked sentences, and lists packed into a bounded number of messages.

Only what is shown is shortened: a long title stays whole in SQLite and in `ask --json`.
Every function here runs in time bounded by its limit, not by the length of its input, so no
stored text (old archives hold anything) can stall the event loop.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

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


def suffix_start(text: str, end: int, units: int) -> int:
    """The smallest start such that text[start:end] is at most `units` UTF-16 units long."""
    start = max(0, end - max(units, 0))
    excess = utf16_len(text[start:end]) - units
    while excess > 0:
        excess -= 2 if ord(text[start]) > 0xFFFF else 1
        start += 1
    return start


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


def _word_start(text: str, start: int, high: int) -> int:
    """`start` moved forward past the first whitespace before `high`, if there is one."""
    found = [i for i in (text.find(c, start, high) for c in _WHITESPACE) if i >= 0]
    return min(found) + 1 if found else start


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


def passage_window(text: str, spans: Sequence[tuple[int, int]], units: int) -> PassageWindow:
    """At most `units` UTF-16 units of `text`: all of it when it fits, else the marked spans
    (from the first to the last, or the first alone when they are far apart) with as much
    context around them as fits, cut at word boundaries. A marked span longer than `units` is
    shown from its start."""
    marked = normalized_spans(spans, len(text))
    if len(text) <= units and utf16_len(text) <= units:
        return PassageWindow(0, len(text), tuple(marked))
    focus_start, focus_end = (marked[0][0], marked[-1][1]) if marked else (0, 0)
    if not _fits(text, focus_start, focus_end, units) and marked:
        focus_end = marked[0][1]
    if not _fits(text, focus_start, focus_end, units):
        end = prefix_end(text, focus_start, units)
        return _clipped(
            focus_start, _word_end(text, focus_start + (end - focus_start) // 2, end), marked
        )
    room = units - utf16_len(text[focus_start:focus_end])
    start = suffix_start(text, focus_start, room // 2)
    end = prefix_end(text, focus_end, units - utf16_len(text[start:focus_end]))
    start = suffix_start(text, focus_start, units - utf16_len(text[focus_start:end]))
    if start > 0 and not text[start - 1].isspace():
        start = _word_start(text, start, focus_start)
    if end < len(text) and not text[end].isspace():
        end = _word_end(text, focus_end, end)
    return _clipped(start, end, marked)


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
