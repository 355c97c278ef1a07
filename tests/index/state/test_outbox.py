"""The alert outbox's transitions, one by one: claims and leases, piece progress, backoff and
its window, flood control, refusals, unsubscribing and pausing, and the forum topic in the
key. On both backends (SQLite in tmp_path, a PostgreSQL database) with a hand-driven clock;
no model, no bot. The fast suite runs two on PostgreSQL (concurrent claims, and the
transitions of one delivery through a retry), the slow run every one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils

from index.backends.sqlite import open_database
from index.backends.sqlite.schema import MIGRATIONS
from index.state import DeliveryOutbox, NewDelivery, RetryPolicy
from index.storage import Database
from newsbot_testing.postgres import both_backends, both_backends_slow_on_postgres

LEASE = 60.0
POLICY = RetryPolicy(base_seconds=30, max_seconds=900, window=timedelta(hours=24))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(state_database, clock):
    return state_database().open_state(clock)


@pytest.fixture
def outbox(state):
    return state.outbox


@pytest.fixture
def store(state):
    return state.subscriptions


def enqueue(outbox, store, chat_id=1, thread_id=None, article="article-1", topic="tsunami"):
    subscription, _ = store.add(chat_id, thread_id, topic, topic)
    outbox.settle(article, [NewDelivery(chat_id, thread_id, subscription.id, 7, 0.5)])
    return subscription


def next_attempt_at(outbox, delivery_id) -> datetime:
    if isinstance(outbox.database, Database):  # SQLite
        db, sql = (
            outbox.database.connection(),
            "SELECT next_attempt_at FROM deliveries WHERE id = ?",
        )
    else:
        db, sql = outbox.database, "SELECT next_attempt_at FROM deliveries WHERE id = %s"
    row = db.execute(sql, [delivery_id]).fetchone()
    return datetime.fromisoformat(row[0])


def status(outbox, delivery_id) -> str:
    return outbox.get(delivery_id).status


@both_backends_slow_on_postgres
def test_a_claimed_row_is_held_by_one_worker_only(outbox, store):
    enqueue(outbox, store, article="a")
    enqueue(outbox, store, article="b")
    first = outbox.claim_due("A", 1, LEASE)
    second = outbox.claim_due("B", 5, LEASE)
    assert len(first) == 1 and len(second) == 1
    assert first[0].id != second[0].id
    assert outbox.claim_due("C", 5, LEASE) == []


@both_backends
def test_concurrent_claimers_never_take_the_same_row(state_database, clock):
    seed = state_database().open_state(clock)
    for n in range(200):
        enqueue(seed.outbox, seed.subscriptions, chat_id=1 + n % 7, article=f"article-{n}")
    taken: dict[str, list[int]] = {}

    def claimer(name: str) -> None:
        outbox = state_database().open_state(clock).outbox  # its own connections
        taken[name] = []
        while claimed := outbox.claim_due(name, 3, LEASE):
            taken[name].extend(d.id for d in claimed)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [i for ids in taken.values() for i in ids]
    assert len(every) == len(set(every)) == 200


@both_backends_slow_on_postgres
def test_an_expired_lease_makes_the_row_claimable_again(outbox, store, clock):
    enqueue(outbox, store)
    [held] = outbox.claim_due("killed", 1, LEASE)
    clock.advance(LEASE - 1)
    assert outbox.claim_due("other", 1, LEASE) == []
    clock.advance(2)
    [again] = outbox.claim_due("other", 1, LEASE)
    assert again.id == held.id
    # The old holder, should it wake up, has lost the row: it may send nothing more.
    assert not outbox.record_pieces([held.id], "killed", 1, 1, LEASE)
    assert outbox.record_pieces([held.id], "other", 1, 1, LEASE)


@both_backends
def test_pieces_are_recorded_one_by_one_and_a_retry_resumes_after_them(outbox, store):
    enqueue(outbox, store)
    [delivery] = outbox.claim_due("A", 1, LEASE)
    assert delivery.body is None and delivery.pieces_sent == 0
    assert outbox.store_body([delivery.id], "A", ["one", "two", "three"])
    assert outbox.record_pieces([delivery.id], "A", 1, 3, LEASE)
    outbox.retry_later([delivery.id], "A", "NetworkError", POLICY)

    # The same text comes back with the progress; a second store_body cannot replace it.
    [retry] = outbox.claim_due("B", 1, LEASE) or [None]
    assert retry is None  # backing off
    outbox.clock.advance(POLICY.base_seconds)
    [retry] = outbox.claim_due("B", 1, LEASE)
    assert retry.body == ("one", "two", "three") and retry.pieces_sent == 1
    assert not outbox.store_body([retry.id], "B", ["changed"])
    assert outbox.record_pieces([retry.id], "B", 2, 3, LEASE)
    assert status(outbox, retry.id) == "pending"
    assert outbox.record_pieces([retry.id], "B", 3, 3, LEASE)
    done = outbox.get(retry.id)
    assert (done.status, done.pieces_sent, done.attempts) == ("sent", 3, 2)
    assert outbox.claim_due("C", 1, LEASE) == []


@both_backends_slow_on_postgres
def test_recording_a_piece_renews_the_lease(outbox, store, clock):
    enqueue(outbox, store)
    [delivery] = outbox.claim_due("A", 1, LEASE)
    outbox.store_body([delivery.id], "A", ["one", "two"])
    clock.advance(LEASE - 1)
    assert outbox.record_pieces([delivery.id], "A", 1, 2, LEASE)
    clock.advance(LEASE - 1)
    assert outbox.claim_due("B", 1, LEASE) == []


@both_backends_slow_on_postgres
def test_backoff_doubles_up_to_the_cap(outbox, store, clock):
    enqueue(outbox, store)
    delays = []
    for _ in range(8):
        [delivery] = outbox.claim_due("A", 1, LEASE)
        start = clock.now
        assert outbox.retry_later([delivery.id], "A", "NetworkError", POLICY) == []
        retry_at = next_attempt_at(outbox, delivery.id)
        delays.append((retry_at - start).total_seconds())
        clock.now = retry_at
    assert delays == [30, 60, 120, 240, 480, 900, 900, 900]
    assert outbox.get(delivery.id).attempts == 8


@both_backends_slow_on_postgres
def test_an_outage_longer_than_an_hour_does_not_fail_the_alert(outbox, store, clock):
    enqueue(outbox, store)
    for _ in range(30):  # 30 failures over about six hours: still pending
        clock.advance(900)
        [delivery] = outbox.claim_due("A", 1, LEASE)
        assert outbox.retry_later([delivery.id], "A", "NetworkError", POLICY) == []
    assert status(outbox, delivery.id) == "pending"


@both_backends_slow_on_postgres
def test_the_retry_window_ends_in_failed_or_partial(outbox, store, clock):
    enqueue(outbox, store, article="nothing arrived")
    enqueue(outbox, store, article="one piece arrived")
    first, second = outbox.claim_due("A", 2, LEASE)
    outbox.store_body([second.id], "A", ["one", "two"])
    outbox.record_pieces([second.id], "A", 1, 2, LEASE)
    clock.advance(24 * 3600 - 10)
    # The last retry falls on the window's end, not after it.
    assert outbox.retry_later([first.id, second.id], "A", "NetworkError", POLICY) == []
    clock.advance(10)
    assert len(outbox.claim_due("A", 2, LEASE)) == 2
    given_up = outbox.retry_later([first.id, second.id], "A", "NetworkError", POLICY)
    assert given_up == [first.id, second.id]
    assert [status(outbox, first.id), status(outbox, second.id)] == ["failed", "partial"]


@both_backends_slow_on_postgres
def test_flood_control_defers_without_counting_an_attempt(outbox, store, clock):
    enqueue(outbox, store)
    [delivery] = outbox.claim_due("A", 1, LEASE)
    outbox.defer([delivery.id], "A", clock.now + timedelta(seconds=5), "429")
    row = outbox.get(delivery.id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert outbox.claim_due("A", 1, LEASE) == []
    clock.advance(5)
    assert [d.id for d in outbox.claim_due("A", 1, LEASE)] == [delivery.id]


@both_backends_slow_on_postgres
def test_a_refusal_after_a_piece_arrived_is_partial_not_failed(outbox, store):
    enqueue(outbox, store, article="refused at once")
    enqueue(outbox, store, article="refused at piece two")
    first, second = outbox.claim_due("A", 2, LEASE)
    outbox.store_body([second.id], "A", ["one", "two"])
    outbox.record_pieces([second.id], "A", 1, 2, LEASE)
    outbox.refuse([first.id, second.id], "A", "Bad Request: can't parse entities")
    assert [status(outbox, first.id), status(outbox, second.id)] == ["failed", "partial"]
    assert outbox.counts()["partial"] == 1


@both_backends_slow_on_postgres
def test_unsubscribing_cancels_a_claimed_alert_mid_way(outbox, store):
    subscription = enqueue(outbox, store)
    [delivery] = outbox.claim_due("A", 1, LEASE)
    outbox.store_body([delivery.id], "A", ["one", "two"])
    assert outbox.record_pieces([delivery.id], "A", 1, 2, LEASE)
    store.remove(1, [subscription.id])
    assert status(outbox, delivery.id) == "cancelled"
    assert not outbox.record_pieces([delivery.id], "A", 2, 2, LEASE)  # no further piece


@both_backends_slow_on_postgres
def test_a_paused_chat_holds_its_alerts_and_resuming_takes_new_ones(outbox, store):
    enqueue(outbox, store, article="before")
    [delivery] = outbox.claim_due("A", 1, LEASE)
    store.pause_chat(1)
    assert status(outbox, delivery.id) == "paused"
    assert not outbox.record_pieces([delivery.id], "A", 1, 1, LEASE)
    enqueue(outbox, store, article="while paused")  # matched only for unpaused chats
    assert outbox.claim_due("A", 5, LEASE) == []
    assert store.resume_chat(1)
    assert [d.article_id for d in outbox.claim_due("A", 5, LEASE)] == ["while paused"]
    assert status(outbox, delivery.id) == "paused"  # held alerts are old news


@both_backends_slow_on_postgres
def test_digest_chats_are_claimed_by_the_digest_and_not_by_the_sender(outbox, store):
    enqueue(outbox, store, chat_id=1, article="one by one")
    enqueue(outbox, store, chat_id=2, article="digest")
    store.set_digest(2, True)
    assert [d.chat_id for d in outbox.claim_due("sender", 5, LEASE)] == [1]
    assert [d.article_id for d in outbox.claim_for_chat(2, "digest", 5, LEASE)] == ["digest"]
    assert outbox.claim_for_chat(2, "sender", 5, LEASE) == []


@both_backends_slow_on_postgres
def test_each_forum_topic_of_a_group_gets_the_article(outbox, store):
    for thread_id in (None, 11, 12, 12, None):
        enqueue(outbox, store, chat_id=-100, thread_id=thread_id, topic=f"tsunami {thread_id}")
    claimed = outbox.claim_due("A", 10, LEASE)
    assert sorted(d.thread_id or 0 for d in claimed) == [0, 11, 12]


def test_the_migration_keeps_existing_deliveries(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    for version, migration in enumerate(MIGRATIONS[:2], start=1):
        migration(old)
        old.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        old.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
    old["deliveries"].insert_all(
        [
            {"chat_id": 1, "article_id": "a", "status": "pending", "created_at": "2026"},
            {"chat_id": 1, "article_id": "b", "status": "sent", "created_at": "2026"},
        ]
    )
    old.conn.commit()
    old.close()

    outbox = DeliveryOutbox(open_database(path))
    assert outbox.counts() == {"pending": 1, "sent": 1, "queued_articles": 0}
    [row] = outbox.claim_due("A", 5, LEASE)
    assert (row.article_id, row.pieces_sent, row.body) == ("a", 0, None)
