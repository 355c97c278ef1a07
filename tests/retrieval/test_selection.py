"""Choosing the answering sentence from stored sentence vectors, words and search evidence."""

from __future__ import annotations

import numpy as np

from index.embedding import SentenceVectors
from index.storage import PassageRecord
from retrieval.answer_types import question_cues
from retrieval.marking_rule import term_weights
from retrieval.search import Candidate
from retrieval.selection import (
    DEFAULT_MODEL,
    FEATURES,
    FOLLOWING_RATIO,
    SentenceChoice,
    answering_span,
    choose_sentence,
    rank_passages,
    sentence_features,
)

TEXT = (
    "Zelensky wrote an open letter to the Kremlin. "
    "He set one condition: a full ceasefire for the duration of the talks. "
    "Moscow did not reply."
)
CUES = question_cues("What condition did Zelensky set?")


def candidate(text: str = TEXT, dense: float = 0.5, recency: float = 1.0, pid: int = 1):
    passage = PassageRecord(pid, f"a{pid}", 0, 0, len(text), text, "Title", "outlet", None, None)
    return Candidate(passage, 0.0, dense, 0, 0, recency)


def choose(
    candidates: list[Candidate],
    question: np.ndarray,
    weights: dict[str, float],
    stored: dict[int, SentenceVectors],
) -> list[SentenceChoice]:
    """What the bot runs (retrieval/answer.py): rank the passages by words and evidence,
    then score each one's sentences."""
    passages = rank_passages(candidates, weights, stored, len(question))
    return [choose_sentence(p, question, CUES, DEFAULT_MODEL) for p in passages]


def spans_of(text: str) -> tuple[tuple[int, int], ...]:
    from index.text import passage_sentences

    return tuple(passage_sentences(text))


def test_the_sentence_closest_to_the_question_in_words_and_meaning_is_chosen():
    spans = spans_of(TEXT)
    question = np.zeros(384, dtype=np.float32)
    question[0] = 1.0
    vectors = np.full((len(spans), 384), 0.01, dtype=np.float32)
    vectors[1, 0] = 1.0  # the ceasefire sentence points where the question does
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    weights = term_weights(["condition", "zelensky", "set"], {"zelensky": 5}, 100)
    stored = {1: SentenceVectors(spans, vectors)}
    [choice] = choose([candidate()], question, weights, stored)
    assert TEXT[slice(*choice.spans[choice.best])].startswith("He set one condition")


def test_without_stored_vectors_the_words_choose():
    weights = term_weights(["ceasefire", "condition"], {}, 100)
    question = np.ones(384, dtype=np.float32) / np.sqrt(384)
    [choice] = choose([candidate()], question, weights, {})
    assert "full ceasefire" in TEXT[slice(*choice.spans[choice.best])]


def test_stored_spans_that_do_not_fit_the_text_are_ignored():
    bad = SentenceVectors(((0, 10_000),), np.ones((1, 384), dtype=np.float32) / np.sqrt(384))
    spans, rows = sentence_features(candidate(), np.ones(384) / np.sqrt(384), {"x": 1.0}, CUES, bad)
    assert spans == spans_of(TEXT) and rows.shape == (len(spans), len(FEATURES))


def test_an_older_story_needs_a_better_match_to_rank_first():
    question = np.ones(384, dtype=np.float32) / np.sqrt(384)
    weights = term_weights(["ceasefire"], {}, 100)
    fresh = candidate(dense=0.5, recency=1.0, pid=1)
    old = candidate(dense=0.55, recency=0.5, pid=2)
    ranked = rank_passages([old, fresh], weights, {}, len(question))
    assert [p.candidate.passage.id for p in ranked] == [1, 2]


def choice_with(probabilities: list[float]) -> SentenceChoice:
    spans = spans_of(TEXT)
    p = np.array(probabilities)
    return SentenceChoice(candidate(), spans, p, int(p.argmax()), 1.0)


def test_the_following_sentence_joins_the_answer_only_when_nearly_as_likely():
    spans = spans_of(TEXT)
    joined = choice_with([0.1, 0.8, 0.8 * FOLLOWING_RATIO + 0.01])
    assert answering_span(joined) == ((spans[1][0], spans[2][1]),)
    alone = choice_with([0.1, 0.8, 0.8 * FOLLOWING_RATIO - 0.01])
    assert answering_span(alone) == (spans[1],)


def test_the_sentence_before_the_answer_is_never_marked():
    spans = spans_of(TEXT)
    assert answering_span(choice_with([0.79, 0.8, 0.0])) == (spans[1],)


def test_stored_vectors_of_another_width_are_ignored():
    spans = spans_of(TEXT)
    other = SentenceVectors(spans, np.ones((len(spans), 512), dtype=np.float32) / np.sqrt(512))
    question = np.ones(384, dtype=np.float32) / np.sqrt(384)
    _, rows = sentence_features(candidate(), question, {"ceasefire": 1.0}, CUES, other)
    assert rows.shape == (len(spans), len(FEATURES))
