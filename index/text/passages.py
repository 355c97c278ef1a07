"""Split an article into sentence-aligned passages that keep their offsets into the text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from config import PassageSettings
from index.text.sentences import sentence_spans

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class PassageSpan:
    """A passage is article.text[start:end], exactly. It cuts a sentence only when that
    sentence alone is longer than a passage may be (max_words words or max_chars characters)."""

    start: int
    end: int


def chunk_text(text: str, settings: PassageSettings) -> list[PassageSpan]:
    """Group consecutive sentences until a passage holds target_words, repeating
    overlap_sentences at the next start. No passage exceeds max_words words or max_chars
    characters: a longer sentence is split into runs of target_words words, and a longer word
    on characters."""
    spans = bounded_pieces(text, settings.target_words, settings.max_chars)
    if not spans:
        return []
    words = [len(text[s:e].split()) for s, e in spans]
    groups: list[tuple[int, int]] = []  # piece index ranges [first, last)
    first = 0
    while first < len(spans):
        last, count = first, 0
        while last < len(spans) and (
            count == 0
            or (
                count + words[last] <= settings.max_words
                and spans[last][1] - spans[first][0] <= settings.max_chars
            )
        ):
            count += words[last]
            last += 1
            if count >= settings.target_words:
                break
        groups.append((first, last))
        if last >= len(spans):
            break
        overlap = min(settings.overlap_sentences, last - first - 1)
        first = last - max(overlap, 0)
    groups = _merge_short_tail(groups, spans, words, settings)
    return [PassageSpan(spans[a][0], spans[b - 1][1]) for a, b in groups]


def bounded_pieces(text: str, max_words: int, max_chars: int) -> list[tuple[int, int]]:
    """The sentences of `text` as (start, end) offsets, each longer one split into runs of
    whole words, and each word longer than max_chars into runs of characters, so that every
    piece holds at most max_words words and max_chars characters."""
    pieces: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if end - start <= max_chars and len(text[start:end].split()) <= max_words:
            pieces.append((start, end))
        else:
            pieces.extend(_split_long(text, start, end, max_words, max_chars))
    return pieces


def _split_long(
    text: str, start: int, end: int, max_words: int, max_chars: int
) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    run_start, run_end, run_words = -1, -1, 0
    for match in _WORD.finditer(text, start, end):
        for word_start in range(match.start(), match.end(), max_chars):
            word_end = min(word_start + max_chars, match.end())
            if run_words and (run_words < max_words and word_end - run_start <= max_chars):
                run_end, run_words = word_end, run_words + 1
                continue
            if run_words:
                pieces.append((run_start, run_end))
            run_start, run_end, run_words = word_start, word_end, 1
    if run_words:
        pieces.append((run_start, run_end))
    return pieces


def _merge_short_tail(
    groups: list[tuple[int, int]],
    spans: list[tuple[int, int]],
    words: list[int],
    settings: PassageSettings,
) -> list[tuple[int, int]]:
    """A last passage of a few words reads badly alone: fold it into the one before."""
    if len(groups) < 2:
        return groups
    (a, b), (c, d) = groups[-2], groups[-1]
    tail_words = sum(words[b:d])
    if (
        sum(words[c:d]) < settings.target_words // 3
        and sum(words[a:b]) + tail_words <= settings.max_words
        and spans[d - 1][1] - spans[a][0] <= settings.max_chars
    ):
        return [*groups[:-2], (a, d)]
    return groups


def passage_sentences(text: str) -> list[tuple[int, int]]:
    """The units a passage is answered in: its sentences, or the whole text when it has none
    (a heading, a fragment). Sentence vectors are stored for exactly these."""
    return sentence_spans(text) or [(0, len(text))]
