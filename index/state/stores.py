"""The state stores of an archive, opened together, so the bot never builds a storage class
itself: `open_state(archive)` is the one place that knows where they live: in the archive's
SQLite file, or with `storage.url` in its PostgreSQL database beside the articles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.clock import Clock, utc_now
from index.state.alert_votes import AlertVoteStore
from index.state.chat_settings import ChatPreferenceStore, ChatSettingsStore
from index.state.feedback import FeedbackStore
from index.state.feeds import FeedRegistry
from index.state.interfaces import AlertVotes, Feedback, Feeds, JobLocks, Outbox, Subscriptions
from index.state.outbox import DeliveryOutbox
from index.state.subscriptions import SubscriptionStore
from index.storage.database import Database

if TYPE_CHECKING:
    from index.storage.archive import NewsArchive
    from index.storage.postgres import PostgresDatabase


@dataclass(frozen=True)
class BotState:
    """Subscriptions, the outbox, the feed registry, feedback, alert votes and the job locks
    of one archive."""

    subscriptions: Subscriptions
    outbox: Outbox
    feeds: Feeds
    feedback: Feedback
    alert_votes: AlertVotes
    jobs: JobLocks
    chat_settings: ChatPreferenceStore


class OneProcess:
    """Job locks for an SQLite archive: one process runs the bot on it, so every job is its
    own (the bot's asyncio locks keep each job to one run at a time)."""

    def take(self, job: str) -> bool:
        return True

    def give_back(self, job: str) -> None:
        return None


def open_state(archive: NewsArchive) -> BotState:
    """The state stores kept beside `archive`'s articles (the schema is already migrated)."""
    return state_on(archive.postgres if archive.settings.storage.url else archive.database)


def state_on(database: Database | PostgresDatabase, clock: Clock | None = None) -> BotState:
    """The state stores on an SQLite `Database` or a `PostgresDatabase`. The outbox keeps
    time by `clock` when given (tests drive it by hand); else by the one clock every writer
    shares: on SQLite the process's (one process runs the bot on the file), on PostgreSQL
    the server's, since each worker's own clock may be off."""
    if isinstance(database, Database):
        return BotState(
            subscriptions=SubscriptionStore(database),
            outbox=DeliveryOutbox(database, clock or utc_now),
            feeds=FeedRegistry(database),
            feedback=FeedbackStore(database),
            alert_votes=AlertVoteStore(database),
            jobs=OneProcess(),
            chat_settings=ChatSettingsStore(database),
        )
    from index.state.postgres import (
        AdvisoryJobLocks,
        PostgresAlertVotes,
        PostgresChatSettings,
        PostgresFeedback,
        PostgresFeeds,
        PostgresOutbox,
        PostgresSubscriptions,
    )
    from index.state.postgres.statements import database_clock

    return BotState(
        subscriptions=PostgresSubscriptions(database),
        outbox=PostgresOutbox(database, clock or database_clock(database)),
        feeds=PostgresFeeds(database),
        feedback=PostgresFeedback(database),
        alert_votes=PostgresAlertVotes(database),
        jobs=AdvisoryJobLocks(database),
        chat_settings=PostgresChatSettings(database),
    )


def archive_stats(
    archive: NewsArchive, feeds: Feeds, subscriptions: Subscriptions
) -> dict[str, object]:
    """The archive's figures with its feeds and subscriptions counted by their owners, in the
    order `newsbot stats` prints them."""
    figures = archive.stats()
    stored = {key: figures.pop(key) for key in ("articles", "duplicates", "passages")}
    return {
        **stored,
        "feeds": feeds.count(),
        "subscriptions": subscriptions.counts()["subscriptions"],
        **figures,
    }
