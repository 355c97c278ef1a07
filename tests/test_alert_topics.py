"""The lexical-relief rule (retrieval/alerts/topics.py), declared once: the per-pair matcher
and the compiled screen take their thresholds from it, so they agree to the bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from config import load_settings
from retrieval.alerts import LEXICAL_RELIEF, names_topic, topic_threshold, topic_thresholds
from retrieval.text_terms import stem

ALERTS = load_settings(env={}).alerts


@given(st.floats(0.0, 1.0), st.lists(st.booleans(), max_size=20))
def test_the_array_form_is_the_scalar_rule_value_for_value(threshold: float, named: list[bool]):
    settings = load_settings(env={}, overrides={"alerts.threshold": threshold}).alerts
    expected = [topic_threshold(n, settings) for n in named]
    assert topic_thresholds(np.array(named, dtype=bool), settings).tolist() == expected


def test_naming_the_topic_lowers_the_threshold_by_the_relief():
    assert topic_threshold(False, ALERTS) == ALERTS.threshold
    assert topic_threshold(True, ALERTS) == ALERTS.threshold - LEXICAL_RELIEF


def test_an_article_names_a_topic_when_it_has_every_content_word_by_stem():
    stems = frozenset(stem(w) for w in ["ceasefire", "talks", "resumed"])
    assert names_topic(stems, "ceasefire talk")
    assert not names_topic(stems, "ceasefire agreement")
    assert not names_topic(stems, "the")  # no content words: never named
