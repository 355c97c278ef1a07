"""The state stores of an archive, opened together, so the bot never builds a storage class
itself: `open_state(archive)` is the one place that knows they live in the archive's SQLite
file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.state.alert_votes import AlertVoteStore
from index.state.feedback import FeedbackStore
from index.state.feeds import FeedRegistry
from index.state.interfaces import AlertVotes, Feedback, Feeds, Outbox, Subscriptions
from index.state.outbox import DeliveryOutbox
from index.state.subscriptions import SubscriptionStore

if TYPE_CHECKING:
    from index.storage.archive import NewsArchive


@dataclass(frozen=True)
class BotState:
    """Subscriptions, the outbox, the feed registry, feedback and alert votes of one
    archive."""

    subscriptions: Subscriptions
    outbox: Outbox
    feeds: Feeds
    feedback: Feedback
    alert_votes: AlertVotes


def open_state(archive: NewsArchive) -> BotState:
    """The state stores kept beside `archive`'s articles (the schema is already migrated)."""
    database = archive.database
    return BotState(
        subscriptions=SubscriptionStore(database),
        outbox=DeliveryOutbox(database),
        feeds=FeedRegistry(database),
        feedback=FeedbackStore(database),
        alert_votes=AlertVoteStore(database),
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
