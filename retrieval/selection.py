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
from retrieval.marking_rule import coverage_of_words
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
class PassageSentences:
    """A candidate passage read sentence by sentence: enough to rank it (`score`), and what
    its sentences' features are built from."""

    candidate: Candidate
    spans: tuple[tuple[int, int], ...]  # the passage's sentences, offsets into its text
    sentences: tuple[str, ...]
    words: tuple[list[str], ...]  # each sentence split by `words`, once for every feature
    coverage: np.ndarray  # share of the question's word weight each sentence carries
    lengths: np.ndarray  # words per sentence
    stored: SentenceVectors | None  # its stored sentence vectors, when they fit the text
    score: float  # the passage's evidence (passage_score): ranks it, and abstains below


@dataclass(frozen=True)
class SentenceChoice:
    """A candidate passage with its sentences scored."""

    candidate: Candidate
    spans: tuple[tuple[int, int], ...]  # the passage's sentences, offsets into its text
    probabilities: np.ndarray  # that each sentence holds the answer
    best: int  # index of the best sentence
    score: float  # the passage's evidence (passage_score): ranks it, and abstains below


def read_sentences(
    candidate: Candidate,
    weights: Mapping[str, float],
    stored: SentenceVectors | None,
    dimensions: int,
) -> PassageSentences:
    """The passage's sentences (the stored ones when they fit), their words and coverage."""
    text = candidate.passage.text
    # Spans past the text or vectors of another width (a damaged row, another model's) are
    # not used: the words decide instead.
    usable = (
        stored is not None
        and bool(stored.spans)
        and stored.spans[-1][1] <= len(text)
        and stored.vectors.shape[1] == dimensions
    )
    spans = stored.spans if usable else tuple(passage_sentences(text))
    sentences = tuple(text[a:b] for a, b in spans)
    split = tuple(words(sentence) for sentence in sentences)
    total = sum(weights.values()) or 1.0
    covered = np.array([coverage_of_words(w, weights) / total for w in split])
    lengths = np.array([len(sentence.split()) for sentence in sentences])
    return PassageSentences(
        candidate,
        spans,
        sentences,
        split,
        covered,
        lengths,
        stored if usable else None,
        passage_score(candidate, covered, lengths),
    )


def rank_passages(
    candidates: Sequence[Candidate],
    weights: Mapping[str, float],
    stored: Mapping[int, SentenceVectors],
    dimensions: int,
) -> list[PassageSentences]:
    """Every candidate read sentence by sentence, best passage first."""
    read = [read_sentences(c, weights, stored.get(c.passage.id), dimensions) for c in candidates]
    read.sort(key=lambda p: p.score, reverse=True)
    return read


def feature_rows(
    passage: PassageSentences, query_vector: np.ndarray, cues: QuestionCues
) -> np.ndarray:
    """One row of FEATURES per sentence of the passage.

    Without stored sentence vectors (an archive from before them) every sentence gets the
    passage's cosine, so the words decide which one is marked.
    """
    candidate, stored, covered = passage.candidate, passage.stored, passage.coverage
    count = len(passage.spans)
    if stored is not None:
        cosines = stored.vectors @ query_vector
    else:
        cosines = np.full(count, candidate.dense, dtype=np.float32)
    centred_cosines = np.zeros(count, dtype=np.float32)
    if stored is not None and count > 1:
        centred = stored.vectors - stored.vectors.mean(axis=0)
        norms = np.maximum(np.linalg.norm(centred, axis=1), 1e-6)
        centred_cosines = (centred @ query_vector) / norms
    return np.column_stack(
        [
            cosines,
            cosines - cosines.max(),
            covered,
            covered - covered.max(),
            np.clip((6 - passage.lengths) / 5, 0.0, 1.0),
            _neighbour_max(covered),
            _neighbour_max(cosines),
            np.full(count, candidate.dense),
            np.full(count, math.log(max(candidate.recency, 1e-6))),
            np.full(count, _reciprocal(candidate.dense_rank)),
            np.full(count, _reciprocal(candidate.lexical_rank)),
            centred_cosines,
            covered * np.maximum(cosines, 0.0),
            answer_type_rows(cues, passage.sentences, passage.words),
        ]
    ).astype(np.float32)


def sentence_features(
    candidate: Candidate,
    query_vector: np.ndarray,
    weights: Mapping[str, float],
    cues: QuestionCues,
    stored: SentenceVectors | None,
) -> tuple[tuple[tuple[int, int], ...], np.ndarray]:
    """The passage's sentences and one row of FEATURES per sentence (what the model is
    fitted on: benchmarks/answer_selection.py)."""
    passage = read_sentences(candidate, weights, stored, len(query_vector))
    return passage.spans, feature_rows(passage, query_vector, cues)


def choose_sentence(
    passage: PassageSentences, query_vector: np.ndarray, cues: QuestionCues, model: LinearModel
) -> SentenceChoice:
    """The passage with its sentences scored by `model`."""
    probabilities = model.probabilities(feature_rows(passage, query_vector, cues))
    best = int(probabilities.argmax())
    return SentenceChoice(passage.candidate, passage.spans, probabilities, best, passage.score)


def passage_score(candidate: Candidate, coverage: np.ndarray, lengths: np.ndarray) -> float:
    """Recency x (DENSE_SHARE x the passage's cosine + the rest x its best sentence by words,
    its coverage discounted for a line of fewer than six words).

    The learned models ranked passages no better than this rule in cross-validation
    (benchmarks/README.md "Answer quality"), and the abstention threshold is calibrated on it.
    """
    length = 1 - np.clip((6 - lengths) / 5, 0.0, 1.0) * 5 / 6
    by_words = float((coverage * length).max(initial=0.0))
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
