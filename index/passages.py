"""Split an article into sentence-aligned passages that keep their offsets into the text."""

from __future__ import annotations

from dataclasses import dataclass

from config import PassageSettings
from index.sentences import sentence_spans


@dataclass(frozen=True)
class PassageSpan:
    """A passage is article.text[start:end], exactly; it never cuts a sentence."""

    start: int
    end: int


def chunk_text(text: str, settings: PassageSettings) -> list[PassageSpan]:
    """Group consecutive sentences until a passage holds target_words (never above max_words,
    unless one sentence alone is longer), repeating overlap_sentences at the next start."""
    spans = sentence_spans(text)
    if not spans:
        return []
    words = [len(text[s:e].split()) for s, e in spans]
    groups: list[tuple[int, int]] = []  # sentence index ranges [first, last)
    first = 0
    while first < len(spans):
        last, count = first, 0
        while last < len(spans) and (count == 0 or count + words[last] <= settings.max_words):
            count += words[last]
            last += 1
            if count >= settings.target_words:
                break
        groups.append((first, last))
        if last >= len(spans):
            break
        overlap = min(settings.overlap_sentences, last - first - 1)
        first = last - max(overlap, 0)
    groups = _merge_short_tail(groups, words, settings)
    return [PassageSpan(spans[a][0], spans[b - 1][1]) for a, b in groups]


def _merge_short_tail(
    groups: list[tuple[int, int]], words: list[int], settings: PassageSettings
) -> list[tuple[int, int]]:
    """A last passage of a few words reads badly alone: fold it into the one before."""
    if len(groups) < 2:
        return groups
    (a, b), (c, d) = groups[-2], groups[-1]
    tail_words = sum(words[b:d])
    if (
        sum(words[c:d]) < settings.target_words // 3
        and sum(words[a:b]) + tail_words <= settings.max_words
    ):
        return [*groups[:-2], (a, d)]
    return groups
