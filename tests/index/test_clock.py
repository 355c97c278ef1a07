"""index/clock.py: one text form for every stored moment, whose text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.clock import timestamp, utc_now

# Years of four digits: the width every stored moment has.
moments = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000))
zones = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@given(moments, moments)
def test_text_order_is_time_order(a: datetime, b: datetime):
    assert (timestamp(a) < timestamp(b)) == (a < b)
    assert (timestamp(a) == timestamp(b)) == (a == b)


@given(moments, zones)
def test_any_zone_is_stored_as_utc_to_the_millisecond(moment: datetime, zone: timezone):
    text = timestamp(moment.astimezone(zone))
    assert text.endswith("+00:00") and len(text) == len("2026-11-30T08:03:30.125+00:00")
    assert datetime.fromisoformat(text) == moment


def test_events_a_few_milliseconds_apart_are_told_apart():
    # Regression: subscriptions were stamped to the second and the outbox to the millisecond;
    # a chat subscribing in the same second as an article was stored tied with it.
    first = utc_now().replace(microsecond=1000)
    assert timestamp(first) < timestamp(first + timedelta(milliseconds=2))


def test_now_is_utc_and_a_naive_moment_is_refused():
    assert utc_now().utcoffset() == timedelta(0)
    assert datetime.fromisoformat(timestamp()) <= utc_now()
    with pytest.raises(ValueError, match="no timezone"):
        timestamp(datetime(2026, 1, 1))
