"""The state stores of an archive, opened together, so the bot never builds a storage class
itself: each backend (index/backends/) makes a `BotState` on its own database, and the
archive hands it out (`NewsArchive.open_state`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from index.state.chat_settings import ChatPreferenceStore
from index.state.interfaces import AlertVotes, Feedback, Feeds, JobLocks, Outbox, Subscriptions


class HasStats(Protocol):
    """An archive's own figures (`NewsArchive.stats`)."""

    def stats(self) -> dict[str, object]: ...


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


def archive_stats(
    archive: HasStats, feeds: Feeds, subscriptions: Subscriptions
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
