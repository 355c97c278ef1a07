"""Questions about time (retrieval/time_phrases.py): each phrase a user writes becomes the
window of whole UTC days it means, counted from the archive's now; the rest of the question
is kept; nothing a user can type makes the parser raise or run long."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval import read_time

NOW = datetime(2024, 6, 12, 15, 30, tzinfo=UTC)  # a Wednesday afternoon


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("question", "start", "end", "subject"),
    [
        ("What happened on 1 June 2024?", "2024-06-01", "2024-06-02", []),
        ("What happened yesterday?", "2024-06-11", "2024-06-12", []),
        ("news today", "2024-06-12", "2024-06-13", []),
        ("What happened this week?", "2024-06-10", "2024-06-13", []),
        ("What happened last week?", "2024-06-03", "2024-06-10", []),
        ("What did Biden say last Monday?", "2024-06-10", "2024-06-11", ["biden"]),
        ("Who won on Sunday?", "2024-06-09", "2024-06-10", ["won"]),
        ("What happened last Wednesday?", "2024-06-05", "2024-06-06", []),
        ("What happened on June 3rd?", "2024-06-03", "2024-06-04", []),
        ("What happened on 2024-05-31?", "2024-05-31", "2024-06-01", []),
        ("What happened in May 2024?", "2024-05-01", "2024-06-01", []),
        ("What happened in the past 3 days?", "2024-06-10", "2024-06-13", []),
        ("Gaza news from 4 June", "2024-06-04", "2024-06-05", ["gaza"]),
    ],
)
def test_time_phrases_become_windows_of_whole_days(question, start, end, subject):
    asked = read_time(question, NOW)
    assert (asked.start, asked.end) == (day(start), day(end))
    assert asked.subject == subject


def test_latest_is_a_wish_not_a_window_and_its_subject_is_kept():
    asked = read_time("What's the latest on Ukraine?", NOW)
    assert asked.latest and not asked.has_window and asked.subject == ["ukraine"]
    assert read_time("What is the latest news?", NOW).subject == []


@pytest.mark.parametrize(
    "question",
    [
        "May I ask about Gaza?",
        "What happened on 31 February 2024?",
        "hi",
        "Who is Sunday Times editor",
    ],
)
def test_no_time_phrase_no_window(question):
    asked = read_time(question, NOW)
    assert not asked.has_window or asked.phrase.lower().endswith("sunday")


@given(st.text(max_size=3000), st.datetimes(timezones=st.just(UTC)))
def test_reading_never_raises_and_windows_are_whole_days_in_order(text, now):
    asked = read_time(text, now)
    if asked.has_window:
        assert asked.start < asked.end
        assert asked.start.hour == asked.end.hour == 0
    assert len(asked.text) <= 1000


@given(
    st.lists(
        st.sampled_from(
            ["on", "last", "Monday", "1", "June", "2024", "of", "the", "past", "99", "days",
             "yesterday", "latest", "week", "-", "/", "31st", "Dec", ",", "this", " "]
        ),
        max_size=40,
    )
)  # fmt: skip
def test_date_like_word_salad_never_raises(words):
    read_time(" ".join(words), NOW)


def test_only_the_first_thousand_characters_are_read():
    """The parser's work is bounded by MAX_QUESTION_CHARS, whatever arrives."""
    assert read_time("x" * 990 + " yesterday", NOW).has_window
    far = read_time("x" * 1000 + " yesterday " + "on 1 " * 100_000, NOW)
    assert not far.has_window and len(far.text) == 1000
