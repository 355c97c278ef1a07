"""Follow-ups (retrieval/follow_ups.py): a message that leans on the question before it is
asked with that question's subject; a question of its own is left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.small_talk import small_talk
from retrieval.follow_ups import carry_over, leans_on

ZELENSKY = "What condition did Zelensky set for a meeting with Putin?"


@pytest.mark.parametrize(
    ("message", "meant"),
    [
        ("and Trump?", "What condition did Trump set for a meeting with Putin?"),
        ("What about Trump?", "What condition did Trump set for a meeting with Putin?"),
        ("why?", "Why condition did Zelensky set for a meeting with Putin?"),
        ("and when was that?", "When condition did Zelensky set for a meeting with Putin?"),
        ("what did he say?", "what did Zelensky say?"),
        ("who is he?", "who is Zelensky?"),
    ],
)
def test_the_earlier_subject_is_carried_over(message, meant):
    follow_up = carry_over(ZELENSKY, message)
    assert follow_up is not None and follow_up.question == meant
    assert follow_up.previous == ZELENSKY


@pytest.mark.parametrize(
    "message",
    [
        "How many people died in the earthquake in Turkey?",
        "Who won the French Open women's final?",
        "news this week",
        "Who is Luigi Mangione?",  # short, but it names its own subject
        "What happened yesterday?",
        "hi",
    ],
)
def test_a_question_of_its_own_is_not_a_follow_up(message):
    assert not leans_on(message)
    assert carry_over(ZELENSKY, message) is None


def test_without_names_the_earlier_words_are_added():
    follow_up = carry_over("who won the french open", "and who did she beat?")
    assert follow_up is not None and "french open" in follow_up.question


@given(st.text(max_size=2000), st.text(max_size=2000))
def test_carrying_over_never_raises(previous, message):
    follow_up = carry_over(previous, message)
    assert follow_up is None or follow_up.question.strip()


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("hi", "greeting"),
        ("Hello there!", "greeting"),
        ("good morning bot", "greeting"),
        ("thanks!", "thanks"),
        ("Thank you so much", "thanks"),
        ("👍", "thanks"),
        ("what can you do?", "help"),
        ("?", "help"),
        ("hi, who won the election?", None),
        ("What happened yesterday?", None),
        ("Thanks to the rain, did the match go ahead?", None),
    ],
)
def test_small_talk_is_told_from_questions(message, kind):
    assert small_talk(message) == kind


@given(st.text(max_size=2000))
def test_small_talk_never_raises(message):
    assert small_talk(message) in (None, "greeting", "thanks", "help")
