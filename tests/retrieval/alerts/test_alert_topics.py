"""The lexical-relief rule (retrieval/alerts/topics.py), declared once: the per-pair matcher
and the compiled screen take their thresholds from it, so they agree to the bit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from retrieval.alerts import (
    DEFAULT_ALERT_MODEL,
    names_topic,
    topic_threshold,
    topic_thresholds,
    typed_as_name,
    written_as_name,
)
from retrieval.text_terms import stem

MODEL = DEFAULT_ALERT_MODEL


@given(st.floats(0.0, 1.0), st.lists(st.booleans(), max_size=20))
def test_the_array_form_is_the_scalar_rule_value_for_value(threshold: float, named: list[bool]):
    model = replace(MODEL, threshold=threshold)
    expected = [topic_threshold(n, model) for n in named]
    assert topic_thresholds(np.array(named, dtype=bool), model).tolist() == expected


def test_naming_the_topic_lowers_the_threshold_by_the_relief():
    assert topic_threshold(False, MODEL) == MODEL.threshold
    assert topic_threshold(True, MODEL) == MODEL.threshold - MODEL.lexical_relief


def test_an_article_names_a_topic_when_it_has_every_content_word_by_stem():
    stems = frozenset(stem(w) for w in ["ceasefire", "talks", "resumed"])
    assert names_topic(stems, "ceasefire talk")
    assert not names_topic(stems, "ceasefire agreement")
    assert not names_topic(stems, "the")  # no content words: never named


def test_a_topic_typed_as_a_name_is_one():
    for typed in ["NFL", "Taylor Swift", "iPod", "McDonald's", "Kansas City Chiefs", "EU"]:
        assert typed_as_name(typed), typed
    # One capitalised word is left to the archive: a phone capitalises "Sports" too.
    for typed in ["Gaza", "Sports", "sports", "nfl", "political news", "Climate change"]:
        assert not typed_as_name(typed), typed


_MID = ["Fighting in {w} went on.", "They met the {w} team.", "Reports from {w}'s north."]


@given(
    st.sampled_from(["gaza", "ukraine", "nfl"]),
    st.lists(st.sampled_from(_MID), min_size=5, max_size=12),
)
def test_a_word_the_archive_writes_capitalised_inside_sentences_is_a_name(word, sentences):
    capitalised = " ".join(s.format(w=word.capitalize()) for s in sentences)
    lower = " ".join(s.format(w=word) for s in sentences)
    assert written_as_name(word, [capitalised], min_mentions=5, share=0.9)
    assert not written_as_name(word, [lower], min_mentions=5, share=0.9)
    # At a sentence start a capital says nothing; too few mentions say nothing either.
    starts = " ".join(f"{word.capitalize()} again." for _ in sentences)
    assert not written_as_name(word, [starts], min_mentions=5, share=0.9)
    assert not written_as_name(word, [capitalised], min_mentions=100, share=0.9)
