"""The marking rule: the sentence(s) of a passage that answer a question or a topic, by a
hand-tuned mix of meaning and weighted words. Alerts mark their quote with it; answers choose
their sentence with the fitted model in retrieval/selection.py, which takes this rule's word
weights and coverage among its features.

Each sentence is scored by its embedding similarity to the question and by how much of the
question's vocabulary it carries (rarer words weigh more); the best one is marked, with any
near-tie and its better neighbour when that one is close. Headings and fragments rarely answer
anything, so very short lines weigh less.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from retrieval.text_terms import stem, words


@dataclass(frozen=True)
class MarkingWeights:
    """The values the marking rule was tuned with (benchmarks/README.md "Answer quality"), in
    one place: the evaluation records them whole (retrieval/evaluation/suite.py)."""

    # A sentence scores semantic x its cosine to the question + lexical x the share of the
    # question's word weight it carries.
    semantic: float
    lexical: float
    # Sentences within this share of the best are marked with it (near-ties).
    tie_ratio: float
    # The better neighbour of the best sentence is marked too when it scores at least this
    # share of the best: news copy often names the answer in the sentence before or after the
    # one that echoes the question ("... said on Tuesday." / "McConaughey, who grew up in
    # Uvalde, ..."). It marks the answer more often on RealTimeQA and XQuAD at under two
    # sentences marked on average (benchmarks/README.md "Answer quality", neighbour marking).
    # Consecutive marked sentences become one span (see _merge_consecutive).
    neighbour_ratio: float
    # A word that only shares a stem with the question's ("conditions" for "condition")
    # earns this share of its weight (also in the answer selection's coverage features).
    stem_match_credit: float


DEFAULT_WEIGHTS = MarkingWeights(
    semantic=0.35, lexical=0.65, tie_ratio=0.97, neighbour_ratio=0.5, stem_match_credit=0.7
)


@dataclass(frozen=True)
class MarkedSpan:
    start: int  # offsets into the passage text
    end: int


@dataclass(frozen=True)
class Marking:
    spans: tuple[MarkedSpan, ...]
    score: float  # best sentence score, 0..1


def term_weights(
    terms: list[str], document_frequency: Mapping[str, int], total: int
) -> dict[str, float]:
    """BM25 IDF of each question term: a word in every passage weighs almost nothing, and a
    word in none weighs most (the archive lacking it is evidence against an answer)."""
    weights: dict[str, float] = {}
    for term in terms:
        df = min(document_frequency.get(term, 0), total)
        weights[term] = max(weights.get(term, 0.0), math.log((total - df + 0.5) / (df + 0.5) + 1))
    return weights


def mark(
    text: str,
    spans: list[tuple[int, int]],
    weights: Mapping[str, float],
    sentence_cosines: np.ndarray | None = None,
    tuned: MarkingWeights = DEFAULT_WEIGHTS,
) -> Marking:
    """The answering sentence(s) of a passage. Without sentence cosines the words alone
    decide: cheap enough for every candidate, and as good for ranking them (see answer.py)."""
    total_weight = sum(weights.values()) or 1.0
    if sentence_cosines is None:
        cosines, semantic, lexical = [0.0] * len(spans), 0.0, 1.0
    else:
        cosines, semantic, lexical = sentence_cosines.tolist(), tuned.semantic, tuned.lexical
    scores = []
    for (start, end), cosine in zip(spans, cosines, strict=True):
        sentence = text[start:end]
        covered = coverage(sentence, weights, tuned) / total_weight
        length_factor = min(1.0, len(sentence.split()) / 6)
        score = (semantic * max(cosine, 0.0) + lexical * covered) * length_factor
        scores.append(score)
    best = int(np.argmax(scores))
    tie = tuned.tie_ratio * scores[best]
    chosen = [i for i, s in enumerate(scores) if s >= tie and s > 0] or [best]
    neighbours = [i for i in (best - 1, best + 1) if 0 <= i < len(scores)]
    if neighbours:
        neighbour = max(neighbours, key=lambda i: scores[i])
        if scores[neighbour] >= tuned.neighbour_ratio * scores[best] > 0:
            chosen = sorted({*chosen, neighbour})
    return Marking(
        spans=_merge_consecutive(spans, chosen),
        score=float(scores[best]),
    )


def coverage(
    sentence: str, weights: Mapping[str, float], tuned: MarkingWeights = DEFAULT_WEIGHTS
) -> float:
    """The question's word weight a sentence carries (a shared stem earns part of it)."""
    return coverage_of_words(words(sentence), weights, tuned)


def coverage_of_words(
    split: Iterable[str], weights: Mapping[str, float], tuned: MarkingWeights = DEFAULT_WEIGHTS
) -> float:
    """`coverage` of a sentence already split by `words`."""
    exact = set(split)
    stems = set(map(stem, exact))
    credit = tuned.stem_match_credit
    return sum(
        w if term in exact else credit * w if stem(term) in stems else 0.0
        for term, w in weights.items()
    )


def _merge_consecutive(spans: list[tuple[int, int]], chosen: list[int]) -> tuple[MarkedSpan, ...]:
    """Consecutive sentences become one span (line break included), so the marked text is
    always a piece of the passage exactly as stored."""
    merged: list[MarkedSpan] = []
    previous = None
    for i in chosen:
        if merged and previous == i - 1:
            merged[-1] = MarkedSpan(merged[-1].start, spans[i][1])
        else:
            merged.append(MarkedSpan(*spans[i]))
        previous = i
    return tuple(merged)
