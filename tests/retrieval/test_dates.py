"""One rule for "as of a day" (retrieval/dates.py): the end of that day in UTC, whether the
day comes from `newsbot ask --as-of`, a `--questions` file or an evaluation dataset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli.main import build_parser
from retrieval import DayError, end_of_day
from retrieval.evaluation import parse_question_date


@given(st.dates(), st.sampled_from(["-", "/"]), st.sampled_from(["", "T10:30:00", " 08:00"]))
def test_a_day_in_either_form_is_its_last_second(day: date, separator: str, tail: str):
    text = day.isoformat().replace("-", separator) + tail
    moment = end_of_day(text)
    assert moment == datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
    assert moment.date() == day and moment + timedelta(seconds=1) > moment


@given(st.text(max_size=30))
def test_anything_else_is_a_day_error_naming_the_value(text: str):
    try:
        end_of_day(text)
    except DayError as error:
        assert repr(text) in str(error)


@pytest.mark.parametrize("value", ["2024-13-01", "31/05/2024", "yesterday", ""])
def test_not_a_day_raises_day_error(value: str):
    with pytest.raises(DayError, match="is not a date like 2024-05-31"):
        end_of_day(value)


def test_ask_as_of_means_the_end_of_that_day_as_eval_does():
    # Regression: `ask --as-of` (and --questions) read a day as its midnight while `eval`
    # read it as 23:59:59, so the same question could rank that day's news differently.
    args = build_parser().parse_args(["ask", "anything?", "--as-of", "2024-05-31"])
    assert args.as_of == parse_question_date("2024/05/31") == end_of_day("2024-05-31")
    assert (args.as_of.hour, args.as_of.minute, args.as_of.second) == (23, 59, 59)
