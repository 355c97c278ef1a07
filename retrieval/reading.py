"""The reader in the answer (issue 20): the trained cross-encoder (retrieval/reader) reads the
question together with the sentences of the best candidates, after the search and the
rule have ranked them.

Two uses, each a setting: re-ranking the passages read (a logistic combination of the rule's
score and the reader's best logit among the passage's sentences) and choosing the answering
sentence (a logistic combination of the sentence model's logit, retrieval/selection.py, and
the reader's). The weights are fitted with 5-fold cross-validation by question on RealTimeQA
dev (benchmarks/reader_ablation.py; figures in benchmarks/README.md "The reader (issue 20)").
Scores stay in [0, 1], so the abstention and later-quote bars are thresholds like the rule's,
calibrated the same way (`retrieval.reader_abstain_below`, `retrieval.reader_quote_below`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from config import RetrievalSettings
from retrieval.reader import Reader, reader_text
from retrieval.selection import SentenceChoice


@dataclass(frozen=True)
class Combination:
    """Logistic weights: a passage by (rule score, reader's best logit, 1); a sentence by
    (sentence model's logit, reader's logit, 1)."""

    passage: tuple[float, float, float]
    sentence: tuple[float, float, float]


# Fitted on all 600 RealTimeQA dev questions by benchmarks/reader_ablation.py for what the
# product reads (the v4 weights, 6 passages, the 2 sentences of each the sentence model likes
# best: `--fit 6 2`); it reports only cross-validated figures for them, and XQuAD with these
# weights: benchmarks/README.md "The reader in the answer, later quotes and as-of days".
DEFAULT_COMBINATION = Combination(
    passage=(5.5333, 0.0523, -2.6201), sentence=(1.0439, 0.0118, 0.0500)
)


@dataclass(frozen=True)
class Reading:
    """What to read and what the reading decides (RetrievalSettings.reader_*)."""

    candidates: int  # the best passages by the rule whose sentences are read
    sentences: int  # of each, the sentences the sentence model likes best; 0 = all
    rerank: bool  # the reader re-ranks the passages read
    mark: bool  # the reader helps choose the answering sentence
    combination: Combination = DEFAULT_COMBINATION

    @classmethod
    def of(cls, settings: RetrievalSettings) -> Reading:
        return cls(
            settings.reader_candidates,
            settings.reader_sentences,
            settings.reader_rerank,
            settings.reader_mark,
        )


def chosen_sentences(choice: SentenceChoice, limit: int) -> list[int]:
    """Indices of the sentences to read, in passage order: all, or the `limit` best."""
    count = len(choice.spans)
    if limit <= 0 or limit >= count:
        return list(range(count))
    return sorted(np.argsort(-choice.probabilities, kind="stable")[:limit].tolist())


def reader_logits(
    reader: Reader, question: str, choices: Sequence[SentenceChoice], sentences: int
) -> list[np.ndarray]:
    """Per passage, one logit per sentence: read ones from the reader (one batch for all),
    the others the lowest logit read in that passage (the sentence model ranked them lower)."""
    picked = [chosen_sentences(c, sentences) for c in choices]
    texts = []
    for choice, indices in zip(choices, picked, strict=True):
        passage = choice.candidate.passage
        for i in indices:
            a, b = choice.spans[i]
            before = passage.text[slice(*choice.spans[i - 1])] if i else ""
            texts.append(reader_text(passage.text[a:b], passage.title, before))
    scores = np.asarray(reader.score(question, texts), dtype=np.float32)
    out, at = [], 0
    for choice, indices in zip(choices, picked, strict=True):
        read = scores[at : at + len(indices)]
        at += len(indices)
        logits = np.full(len(choice.spans), read.min(initial=0.0), dtype=np.float32)
        logits[indices] = read
        out.append(logits)
    return out


def _sigmoid(value: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(value, -30.0, 30.0)))


def passage_score(rule: float, best_logit: float, combination: Combination) -> float:
    a, b, c = combination.passage
    return float(_sigmoid(a * rule + b * best_logit + c))


def sentence_probabilities(
    model: np.ndarray, logits: np.ndarray, combination: Combination
) -> np.ndarray:
    a, b, c = combination.sentence
    clipped = np.clip(model, 1e-6, 1 - 1e-6)
    return _sigmoid(a * np.log(clipped / (1 - clipped)) + b * logits + c)


def read_choices(
    reader: Reader, question: str, choices: Sequence[SentenceChoice], reading: Reading
) -> tuple[list[SentenceChoice], float]:
    """The passages read, their scores and sentence probabilities those of the reading,
    best first when it re-ranks them (else in the order given); and the lowest logit read,
    what a passage past them is scored with (`unread`)."""
    if not choices:
        return [], 0.0
    logits = reader_logits(reader, question, choices, reading.sentences)
    out = []
    for choice, own in zip(choices, logits, strict=True):
        probabilities = choice.probabilities
        if reading.mark:
            probabilities = sentence_probabilities(probabilities, own, reading.combination)
        score = choice.score
        if reading.rerank:
            score = passage_score(choice.score, float(own.max()), reading.combination)
        out.append(
            replace(
                choice, probabilities=probabilities, best=int(probabilities.argmax()), score=score
            )
        )
    if reading.rerank:
        out.sort(key=lambda c: c.score, reverse=True)
    return out, min(float(own.min()) for own in logits)


def unread(choice: SentenceChoice, lowest: float, reading: Reading) -> SentenceChoice:
    """A passage past the ones read, on the reading's scale: as if the reader found nothing in
    it better than the worst sentence it read."""
    if not reading.rerank:
        return choice
    return replace(choice, score=passage_score(choice.score, lowest, reading.combination))
