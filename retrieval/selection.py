"""Choose the answering sentence, and rank the candidate passages by it, without running the
model after the question.

Every sentence of every candidate passage is described by a few numbers: its stored vector's
cosine to the question (index/embedding/sentence_vectors.py), how much of the question's
vocabulary it carries, the same for its neighbours, and its passage's search evidence (cosine,
ranks, recency). A logistic model, fitted with cross-validation on news questions
(benchmarks/answer_selection.py; figures in benchmarks/README.md "Answer quality"), turns them
into the probability that the sentence holds the answer. A passage scores as its best
sentence; the best sentence is marked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from index.embedding.sentence_vectors import SentenceVectors
from index.text import passage_sentences
from retrieval.answer_types import ANSWER_TYPE_FEATURES, QuestionCues, answer_type_rows
from retrieval.marking import coverage_of_words
from retrieval.search import Candidate
from retrieval.text_terms import words

FEATURES = (
    "cosine",  # the sentence's vector against the question's
    "cosine_gap",  # ... minus the passage's best sentence's: which sentence of this passage
    "coverage",  # share of the question's word weight (IDF) the sentence carries
    "coverage_gap",  # ... minus the passage's best sentence's
    "short",  # 1 for a one-word line, 0 from six words: headings and fragments rarely answer
    "neighbour_coverage",  # the better of the sentences before and after it
    "neighbour_cosine",
    "passage_cosine",  # the passage (with its title) against the question
    "log_recency",  # the article's age against the question's date (search.recency_weight)
    "dense_rank",  # 1 / (1 + rank) in the dense search, 0 when it did not find the passage
    "lexical_rank",  # the same for the lexical search
    "centred_cosine",  # the sentence minus its passage's mean sentence, against the question:
    # late-chunked vectors share their passage's context; this keeps what is the sentence's own
    "cover_x_cosine",  # both at once: a sentence that matches in words and meaning
    *ANSWER_TYPE_FEATURES,  # the kind of answer asked for, and whether the sentence has it
)


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over FEATURES: probability = sigmoid(bias + weights · features)."""

    weights: tuple[float, ...]
    bias: float

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(features @ np.asarray(self.weights) + self.bias)))


# Which sentence of a passage answers: fitted on RealTimeQA dev questions, within the
# candidate passages that hold the answer, by benchmarks/answer_selection.py (which reports
# only cross-validated figures, and XQuAD with these weights): benchmarks/README.md "Answer
# quality", answer selection.
DEFAULT_MODEL = LinearModel(
    weights=(
        0.3854,  # cosine
        1.5423,  # cosine_gap
        1.2577,  # coverage
        1.0955,  # coverage_gap
        -0.8551,  # short
        0.1249,  # neighbour_coverage
        1.2822,  # neighbour_cosine
        -3.0199,  # passage_cosine
        0.2935,  # log_recency
        0.0574,  # dense_rank
        0.1226,  # lexical_rank
        -0.4644,  # centred_cosine
        1.3315,  # cover_x_cosine
        0.4192,  # quantity_for_quantity
        0.9512,  # names_for_name
        0.7481,  # novelty
    ),
    bias=-1.0942,
)
# The passage's cosine against its best sentence by words in its score (passage_score).
DENSE_SHARE = 0.6
# The sentence after the answering one is marked too when it is nearly as likely to hold the
# answer (it reads on from it; the one before is never shown first): benchmarks/README.md.
FOLLOWING_RATIO = 0.6


@dataclass(frozen=True)
class SentenceChoice:
    """A candidate passage with its sentences scored."""

    candidate: Candidate
    spans: tuple[tuple[int, int], ...]  # the passage's sentences, offsets into its text
    probabilities: np.ndarray  # that each sentence holds the answer
    best: int  # index of the best sentence
    score: float  # the passage's evidence (passage_score): ranks it, and abstains below


def sentence_features(
    candidate: Candidate,
    query_vector: np.ndarray,
    weights: Mapping[str, float],
    cues: QuestionCues,
    stored: SentenceVectors | None,
) -> tuple[tuple[tuple[int, int], ...], np.ndarray]:
    """The passage's sentences and one row of FEATURES per sentence.

    Without stored sentence vectors (an archive from before them) every sentence gets the
    passage's cosine, so the words decide which one is marked.
    """
    text = candidate.passage.text
    # Spans past the text or vectors of another width (a damaged row, another model's) are
    # not used: the words decide instead.
    usable = (
        stored is not None
        and bool(stored.spans)
        and stored.spans[-1][1] <= len(text)
        and stored.vectors.shape[1] == len(query_vector)
    )
    if usable:
        spans = stored.spans
        cosines = stored.vectors @ query_vector
    else:
        spans = tuple(passage_sentences(text))
        cosines = np.full(len(spans), candidate.dense, dtype=np.float32)
    total = sum(weights.values()) or 1.0
    sentences = [text[a:b] for a, b in spans]
    split = [words(sentence) for sentence in sentences]  # once: every word feature reads it
    covered = np.array([coverage_of_words(w, weights) / total for w in split])
    lengths = np.array([len(sentence.split()) for sentence in sentences])
    neighbour_coverage = _neighbour_max(covered)
    neighbour_cosine = _neighbour_max(cosines)
    centred_cosines = np.zeros(len(spans), dtype=np.float32)
    if usable and len(spans) > 1:
        centred = stored.vectors - stored.vectors.mean(axis=0)
        norms = np.maximum(np.linalg.norm(centred, axis=1), 1e-6)
        centred_cosines = (centred @ query_vector) / norms
    rows = np.column_stack(
        [
            cosines,
            cosines - cosines.max(),
            covered,
            covered - covered.max(),
            np.clip((6 - lengths) / 5, 0.0, 1.0),
            neighbour_coverage,
            neighbour_cosine,
            np.full(len(spans), candidate.dense),
            np.full(len(spans), math.log(max(candidate.recency, 1e-6))),
            np.full(len(spans), _reciprocal(candidate.dense_rank)),
            np.full(len(spans), _reciprocal(candidate.lexical_rank)),
            centred_cosines,
            covered * np.maximum(cosines, 0.0),
            answer_type_rows(cues, sentences, split),
        ]
    ).astype(np.float32)
    return spans, rows


def choose_sentences(
    candidates: Sequence[Candidate],
    query_vector: np.ndarray,
    weights: Mapping[str, float],
    cues: QuestionCues,
    stored: Mapping[int, SentenceVectors],
    model: LinearModel,
) -> list[SentenceChoice]:
    """Every candidate with its sentences scored by `model`, best passage first."""
    choices = []
    for candidate in candidates:
        spans, rows = sentence_features(
            candidate, query_vector, weights, cues, stored.get(candidate.passage.id)
        )
        probabilities = model.probabilities(rows)
        best = int(probabilities.argmax())
        choices.append(
            SentenceChoice(candidate, spans, probabilities, best, passage_score(candidate, rows))
        )
    choices.sort(key=lambda c: c.score, reverse=True)
    return choices


def passage_score(candidate: Candidate, rows: np.ndarray) -> float:
    """Recency x (DENSE_SHARE x the passage's cosine + the rest x its best sentence by words).

    The learned models ranked passages no better than this rule in cross-validation
    (benchmarks/README.md "Answer quality"), and the abstention threshold is calibrated on it.
    """
    column = {name: i for i, name in enumerate(FEATURES)}
    length = (6 - 5 * rows[:, column["short"]]) / 6
    by_words = float((rows[:, column["coverage"]] * length).max())
    relevance = DENSE_SHARE * max(candidate.dense, 0.0) + (1 - DENSE_SHARE) * by_words
    return candidate.recency * relevance


def answering_span(choice: SentenceChoice) -> tuple[tuple[int, int], ...]:
    """The best sentence, joined with the next one when that is nearly as likely to answer:
    one span of the passage text, starting at the answer."""
    start, end = choice.spans[choice.best]
    following = choice.best + 1
    probabilities = choice.probabilities
    if (
        following < len(choice.spans)
        and probabilities[following] >= FOLLOWING_RATIO * probabilities[choice.best]
    ):
        end = choice.spans[following][1]
    return ((start, end),)


def _neighbour_max(values: np.ndarray) -> np.ndarray:
    before = np.concatenate([[0.0], values[:-1]])
    after = np.concatenate([values[1:], [0.0]])
    return np.maximum(before, after)


def _reciprocal(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / (1 + rank)
