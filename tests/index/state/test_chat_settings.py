"""Per-chat settings (index/state/chat_settings.py) on both backends, migrated onto archives made
before them; and the chat's clock (bot/chat_clock.py): zones, quiet hours, what a send is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.chat_clock import (
    WEEKDAYS,
    ClockError,
    describe_schedule,
    in_hours,
    latest_slot,
    parse_hours,
    parse_schedule,
    parse_time_of_day,
    parse_zone,
    zone_of,
)
from bot.workers.send_manner import SendManner, send_manner
from index.backends import sqlite
from index.backends.postgres.schema import MIGRATIONS as POSTGRES_MIGRATIONS
from index.backends.sqlite.schema import MIGRATIONS
from index.state import ChatPreferences, ChatPreferenceStore
from index.storage import Database
from newsbot_testing.postgres import both_backends


@both_backends
def test_a_chat_has_defaults_until_it_sets_one_row(state_database):
    store = state_database().open_state().chat_settings
    assert isinstance(store, ChatPreferenceStore)
    assert store.get(42) == ChatPreferences(42)
    store.update(42, quiet=True)
    store.update(42, timezone="Europe/Kyiv", quiet_from="22:00", quiet_until="07:00")
    store.update(-100, digest_schedule="daily 08:00")
    again = state_database().open_state().chat_settings  # another process sees it
    assert again.get(42) == ChatPreferences(42, False, True, "22:00", "07:00", "Europe/Kyiv")
    store.update(42, quiet=False, quiet_from=None, quiet_until=None)
    assert again.get(42) == ChatPreferences(42, timezone="Europe/Kyiv")
    assert [p.chat_id for p in again.scheduled()] == [-100]
    with pytest.raises(ValueError, match="not chat settings"):
        store.update(42, paused=True)


def test_an_archive_made_before_chat_settings_is_migrated_and_keeps_its_state(tmp_path):
    path = tmp_path / "news.db"
    old = Database(path, migrations=MIGRATIONS[:7])
    sqlite.state_on(old).subscriptions.add(7, None, "oil prices", "oil prices")
    assert "chat_settings" not in old.connection().table_names()
    upgraded = sqlite.open_database(path)
    assert upgraded.schema_version() == len(MIGRATIONS)
    state = sqlite.state_on(upgraded)
    assert [s.topic for s in state.subscriptions.for_chat(7, None)] == ["oil prices"]
    assert state.chat_settings.update(7, previews=True).previews


def test_a_postgresql_database_made_before_chat_settings_is_migrated(postgres_server):
    import psycopg

    from index.backends import postgres
    from index.storage.postgres import PostgresDatabase

    with psycopg.connect(postgres_server.url(), autocommit=True) as connection:
        connection.execute("CREATE DATABASE before_chat_settings")
    storage_url = postgres_server.url("before_chat_settings")
    old = PostgresDatabase(storage_url, migrations=POSTGRES_MIGRATIONS[:5])
    postgres.state_on(old).subscriptions.add(7, None, "oil prices", "oil prices")
    state = postgres.state_on(postgres.open_database(storage_url))
    assert [s.topic for s in state.subscriptions.for_chat(7, None)] == ["oil prices"]
    assert state.chat_settings.update(7, quiet=True).quiet


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Europe/Kyiv", "Europe/Kyiv"),
        ("europe/kyiv", "Europe/Kyiv"),
        ("+03:00", "+03:00"),
        ("-5", "-05:00"),
        ("UTC+5:30", "+05:30"),
        ("utc", "UTC"),
    ],
)
def test_zones_are_names_or_offsets(typed, stored):
    assert parse_zone(typed) == stored


@pytest.mark.parametrize("typed", ["Mars/Olympus", "+15:00", "../../etc/passwd", "", "x" * 500])
def test_a_zone_that_is_none_says_so(typed):
    with pytest.raises(ClockError):
        parse_zone(typed)


@given(st.text(max_size=80))
def test_any_text_is_a_zone_or_one_reason(text):
    try:
        parse_zone(text)
    except ClockError as error:
        assert len(str(error)) < 200


@given(st.text(max_size=40))
def test_any_text_is_quiet_hours_or_one_reason(text):
    try:
        start, end = parse_hours(text)
    except ClockError:
        return
    assert start != end and parse_time_of_day(start) == start


@given(
    st.datetimes(timezones=st.just(UTC)),
    st.integers(0, 1439),
    st.integers(1, 1439),
    st.sampled_from(["UTC", "+03:00", "-09:30", "Europe/Kyiv", "America/New_York"]),
)
def test_quiet_hours_hold_from_their_start_for_their_length(moment, start, length, zone):
    """In the chat's zone, a moment is in the hours when it is less than their length past
    their start (reckoned on the local clock face, as the chat reads it)."""
    end = (start + length) % 1440
    hhmm = lambda minutes: f"{minutes // 60:02d}:{minutes % 60:02d}"  # noqa: E731
    local = moment.astimezone(zone_of(zone))
    since_start = (local.hour * 60 + local.minute - start) % 1440
    assert in_hours(moment, hhmm(start), hhmm(end), zone) == (since_start < length)


def test_a_send_is_silent_when_quiet_or_in_quiet_hours():
    now = datetime(2026, 12, 6, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv
    kyiv = ChatPreferences(1, timezone="Europe/Kyiv", quiet_from="22:00", quiet_until="07:00")
    assert send_manner(kyiv, now) == SendManner(silent=True)
    assert send_manner(kyiv, now - timedelta(hours=2)) == SendManner(silent=False)
    assert send_manner(ChatPreferences(1, quiet=True, previews=True), now) == SendManner(
        silent=True, previews=True
    )


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(["daily", *(f"weekly {d}" for d in WEEKDAYS)]),
    st.integers(0, 1439),
    st.sampled_from(["UTC", "+05:30", "Europe/Kyiv", "America/New_York"]),
)
def test_the_latest_slot_is_the_last_time_the_schedule_names(moment, kind, minutes, zone):
    schedule = f"{kind} {minutes // 60:02d}:{minutes % 60:02d}"
    assert parse_schedule(schedule.split()) == schedule
    slot = latest_slot(schedule, zone, moment)
    period = timedelta(days=7 if kind.startswith("weekly") else 1)
    assert slot <= moment < slot + period + timedelta(hours=1)  # an hour: daylight saving
    local = slot.astimezone(zone_of(zone))
    if kind.startswith("weekly"):
        assert WEEKDAYS[local.weekday()] == kind.split()[1]


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("daily 8:00", "daily 08:00", "every day at 08:00"),
        ("Weekly Friday 17.30", "weekly fri 17:30", "every Friday at 17:30"),
    ],
)
def test_schedules_are_read_and_described(typed, stored, shown):
    assert parse_schedule(typed.split()) == stored and describe_schedule(stored) == shown


@both_backends
def test_paused_topics_are_named_by_id_and_topic(state_database):
    store = state_database().open_state().chat_settings
    store.pause(7, [(1, "oil prices"), (2, "tax")])
    store.pause(7, [(1, "oil prices")])  # again: no change
    store.pause(8, [(3, "rugby")])
    assert state_database().open_state().chat_settings.paused(7) == {(1, "oil prices"), (2, "tax")}
    assert store.paused() == {(1, "oil prices"), (2, "tax"), (3, "rugby")}
    assert store.resume(7, [2, 3]) == 1  # 3 is another chat's
    assert store.resume(7) == 1 and store.paused() == {(3, "rugby")}
