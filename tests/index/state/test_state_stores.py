"""The state stores beyond the outbox and subscriptions (tests/index/state/test_outbox.py,
tests/index/state/test_subscription_store.py): feeds with their poll leases, feedback, the job locks, and
alerts queued for articles stored in the archive. On both backends: SQLite behaves as one
process; PostgreSQL keeps each feed and each job to one worker of many."""

from __future__ import annotations

import time

from index import Ingestor, NewsArchive
from index.sources import read_file
from index.state import (
    DIGEST_JOB,
    MATCHING_JOB,
    Feedback,
    Feeds,
    JobLocks,
    NewDelivery,
    Outbox,
    Subscriptions,
)
from newsbot_testing.made_up import HashEmbedder
from newsbot_testing.paths import SAMPLE_ARTICLE
from newsbot_testing.postgres import both_backends

pytestmark = both_backends

FEED = "https://news.example.org/feed.xml"


def test_every_store_provides_its_protocol(state_database):
    state = state_database().open_state()
    assert isinstance(state.subscriptions, Subscriptions)
    assert isinstance(state.outbox, Outbox)
    assert isinstance(state.feeds, Feeds)
    assert isinstance(state.feedback, Feedback)
    assert isinstance(state.jobs, JobLocks)


def test_feeds_are_registered_polled_and_removed(state_database):
    feeds = state_database().open_state().feeds
    assert feeds.add(FEED, "Example", added_by=7)
    assert not feeds.add(FEED, "Example News")  # already there: the title is refreshed
    assert feeds.add("https://other.example.org/rss", "Other")
    assert [f.url for f in feeds.all()] == [FEED, "https://other.example.org/rss"]
    feeds.record_success(FEED, '"v1"', "Mon, 30 Nov 2026 10:00:00 GMT", 3, 2, "no text (item 4)")
    feeds.record_failure(FEED, "x" * 900, new_articles=1)
    record = feeds.get(FEED)
    assert (record.title, record.added_by, record.etag) == ("Example News", 7, '"v1"')
    assert (record.article_count, record.error_count, record.items_skipped) == (4, 1, 2)
    assert record.last_item_error == "no text (item 4)" and len(record.last_error) == 500
    feeds.record_success(FEED, None, None, 0)
    assert feeds.get(FEED).error_count == 0
    assert feeds.count() == 2
    assert feeds.remove(FEED) and not feeds.remove(FEED)
    assert feeds.get(FEED) is None and feeds.count() == 1


def test_a_feed_is_polled_by_one_worker_at_a_time(state_database, storage_url):
    first, second = state_database().open_state().feeds, state_database().open_state().feeds
    first.add(FEED, "Example")
    assert first.lease(FEED, "worker-a", 60)
    assert first.lease(FEED, "worker-a", 60)  # its own lease, renewed
    # SQLite: one process polls, under the bot's own lock; PostgreSQL: the lease holds.
    assert second.lease(FEED, "worker-b", 60) == (not storage_url)
    first.record_success(FEED, None, None, 0, worker="worker-a")  # recorded: the lease ends
    assert second.lease(FEED, "worker-b", 0)
    # A lease that ran out (its worker was killed mid-poll) is another's to take.
    assert first.lease(FEED, "worker-a", 60)


def test_recording_a_poll_ends_only_the_recorders_lease(state_database, storage_url):
    """worker-a's lease ran out mid-poll and worker-b took the feed: worker-a recording its
    late poll ended worker-b's lease too, and a third worker polled the feed at once."""
    first, second = state_database().open_state().feeds, state_database().open_state().feeds
    first.add(FEED, "Example")
    assert first.lease(FEED, "worker-a", 0.05)
    time.sleep(0.1)
    assert second.lease(FEED, "worker-b", 60)
    first.record_success(FEED, None, None, 0, worker="worker-a")
    first.record_failure(FEED, "late", worker="worker-a")
    assert first.lease(FEED, "worker-c", 60) == (not storage_url)
    second.record_success(FEED, None, None, 0, worker="worker-b")
    assert first.lease(FEED, "worker-c", 60)


def test_a_feed_is_polled_once_per_interval_by_its_last_poller(state_database, storage_url):
    """With several workers each polling every interval, a feed is still read once per
    interval: the worker that polled it last keeps it, another takes it only when that poll
    is an interval old (its poller stopped)."""
    first, second = state_database().open_state().feeds, state_database().open_state().feeds
    first.add(FEED, "Example")
    assert first.lease(FEED, "worker-a", 60, interval=3600)
    first.record_success(FEED, None, None, 0, worker="worker-a")
    # worker-b's poll comes round minutes later: worker-a read the feed in this interval.
    assert second.lease(FEED, "worker-b", 60, interval=3600) == (not storage_url)
    # worker-a's own schedule goes on, however soon its next poll comes.
    assert first.lease(FEED, "worker-a", 60, interval=3600)
    first.record_failure(FEED, "timed out", worker="worker-a")  # a failed poll is a poll too
    assert second.lease(FEED, "worker-b", 60, interval=3600) == (not storage_url)
    if storage_url:  # worker-a stopped: an interval after its last poll, worker-b takes over
        time.sleep(0.01)
        assert second.lease(FEED, "worker-b", 60, interval=0.005)
        second.record_success(FEED, None, None, 0, worker="worker-b")
        assert not first.lease(FEED, "worker-a", 60, interval=3600)
        assert second.lease(FEED, "worker-b", 60, interval=3600)


def test_feedback_is_kept(state_database, storage_url):
    backend = state_database()
    database = backend.database
    backend.open_state().feedback.record(1, 2, "Who won?", [5, 6], -1)
    backend.open_state().feedback.record(1, 3, "Who won?", [5], 1)
    # A question with a NUL (PostgreSQL's text refuses it; the vote was lost) is kept without.
    backend.open_state().feedback.record(1, 4, "Who\x00 won?", [5], 1)
    query = "SELECT passage_ids, vote, question FROM feedback ORDER BY id"
    if storage_url:
        rows = database.execute(query).fetchall()
    else:
        rows = database.connection().execute(query).fetchall()
    assert [tuple(row) for row in rows] == [
        ("[5, 6]", -1, "Who won?"),
        ("[5]", 1, "Who won?"),
        ("[5]", 1, "Who won?"),
    ]


def test_each_job_runs_on_one_worker_at_a_time(state_database, storage_url):
    one, other = state_database().open_state().jobs, state_database().open_state().jobs
    assert one.take(DIGEST_JOB)
    assert other.take(DIGEST_JOB) == (not storage_url)
    assert other.take(MATCHING_JOB)  # another job is free
    one.give_back(DIGEST_JOB)
    other.give_back(MATCHING_JOB)
    assert other.take(DIGEST_JOB)
    if storage_url:
        # A worker killed with -9 takes its locks with its connection: the server lets them
        # go when its backend for that connection ends, a moment after the close.
        other.close()
        deadline = time.monotonic() + 10
        while not one.take(DIGEST_JOB):
            assert time.monotonic() < deadline, "the closed connection's lock was never freed"
            time.sleep(0.05)


def test_articles_stored_in_the_archive_are_queued_for_alerts(make_settings):
    archive = NewsArchive(make_settings(), embedder=HashEmbedder())
    state = archive.open_state()
    subscription, _ = state.subscriptions.add(1, None, "ceasefire talks", "ceasefire talks")
    report = Ingestor(archive).ingest(read_file(SAMPLE_ARTICLE))
    [(article_id, _)] = state.outbox.queued_articles(10)
    assert report.added == [article_id]
    match = NewDelivery(1, None, subscription.id, 1, 0.5)
    assert state.outbox.settle(article_id, [match]) == 1
    assert state.outbox.queued_articles(10) == []
    assert state.outbox.counts() == {"pending": 1, "queued_articles": 0}
