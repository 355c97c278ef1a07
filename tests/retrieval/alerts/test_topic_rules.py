"""Phrases and alternatives in topics (retrieval/alerts/phrases.py): `+"new york"` was read as
the required word "new" and `york"` as a word of meaning; `a OR b` as three words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.alerts import MAX_TOPIC_CHARS, Topic, TopicError, parse_topic
from retrieval.alerts.phrases import rule_met, rule_words, show_rule, text_keys, typed_rule
from retrieval.text_terms import words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'mayor +"new york" -"opinion"',
            Topic('mayor +"new york" -"opinion"', "mayor", ("new york",), ("opinion",)),
        ),
        (
            "ceasefire OR truce",
            Topic("ceasefire OR truce", "ceasefire truce", ("ceasefire|truce",), ()),
        ),
        (
            'talks +ukraine OR +"kyiv region"',
            Topic('talks +ukraine OR +"kyiv region"', "talks", ("ukraine|kyiv region",), ()),
        ),
        ("oil -opec OR -saudi", Topic("oil -opec OR -saudi", "oil", (), ("opec", "saudi"))),
        # Curly quotes (what phones type), and a quote left open runs to the end.
        ("+“New York” mayor", Topic("+“New York” mayor", "mayor", ("new york",), ())),
        ('+"new york mayor', Topic('+"new york mayor', "new york mayor", ("new york mayor",), ())),
        # As before: an unquoted +word with a hyphen is two required words.
        ("+new-york", Topic("+new-york", "new york", ("new", "york"), ())),
        # OR with nothing on one side is a word (a stop word: no meaning of its own).
        ("OR oil", Topic("OR oil", "OR oil", (), ())),
    ],
)
def test_phrases_and_alternatives_are_read_as_typed(text, expected):
    assert parse_topic(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("oil OR -opec", "cannot be one of the alternatives of OR"),
        ('+"new york" -"new york"', "both required"),
        ('-"opinion"', "no words to match"),
        ("OR", "no words to match"),
    ],
)
def test_unusable_rules_say_why(text, reason):
    with pytest.raises(TopicError, match=reason):
        parse_topic(text)


def test_a_phrase_is_met_only_by_its_words_in_order_and_side_by_side():
    keys = text_keys(words("The New York mayor met the press. York is old; the new bridge too."))
    assert rule_met(keys, "new york") and rule_met(keys, "york mayor")
    assert not rule_met(keys, "york new") and not rule_met(keys, "new bridges too old")
    assert rule_met(keys, "mayors")  # a word by stem, as ever
    assert rule_met(keys, "paris|new york") and not rule_met(keys, "paris|london")


def test_the_reading_is_shown_and_typed_back():
    assert show_rule("ukraine|kyiv region") == "ukraine or “kyiv region”"
    assert typed_rule("ukraine|kyiv region", "+") == '+ukraine OR +"kyiv region"'
    assert rule_words(("ukraine|kyiv region", "kyiv")) == ["ukraine", "kyiv", "region"]


_PIECES = st.sampled_from(
    ["+", "-", '"', "“", "”", " ", " OR ", "OR", "new", "york", "Kyiv", "-", "é", "'", "|", "\n"]
)


@given(st.lists(_PIECES, max_size=60).map("".join) | st.text(max_size=300))
def test_any_text_is_a_topic_or_one_reason(text):
    """Never anything but a Topic or a TopicError, its rules bounded by what was typed, and
    the rules typed back read as the same rules."""
    try:
        topic = parse_topic(text)
    except TopicError as error:
        assert str(error)
        return
    assert len(topic.text) <= MAX_TOPIC_CHARS
    assert sum(len(r) for r in (*topic.required, *topic.excluded)) <= 2 * len(topic.text)
    assert topic.query or topic.required
    retyped = " ".join(
        [
            *(typed_rule(r, "+") for r in topic.required),
            *(typed_rule(e, "-") for e in topic.excluded),
        ]
    )
    if topic.required:
        again = parse_topic(retyped)
        assert (again.required, again.excluded) == (topic.required, topic.excluded)
