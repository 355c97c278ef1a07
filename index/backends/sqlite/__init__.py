"""SQLite + FAISS in the data directory, the default backend: one file (newsbot.db) for the
passages and the bot's state, the vector index beside it (vectors.faiss), and a lock file
for the one writer at a time."""

from __future__ import annotations

from pathlib import Path

from config import Settings
from index.backends.backend import Backend, OnAcquire
from index.backends.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from index.clock import Clock, utc_now
from index.state import (
    AlertVoteStore,
    BotState,
    ChatSettingsStore,
    DeliveryOutbox,
    FeedbackStore,
    FeedRegistry,
    OneProcess,
    SubscriptionStore,
)
from index.storage import ArchiveLock, Database, FaissFileHome, SqlitePassageStore

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "open_backend", "open_database", "state_on"]


def open_database(path: Path) -> Database:
    """The SQLite file at `path`, created if need be, its schema brought up to date."""
    return Database(path, MIGRATIONS)


def state_on(database: Database, clock: Clock | None = None) -> BotState:
    """The state stores on an SQLite file. One process runs the bot on it, so its clock is
    the one every writer shares, and every job is its own."""
    return BotState(
        subscriptions=SubscriptionStore(database),
        outbox=DeliveryOutbox(database, clock or utc_now),
        feeds=FeedRegistry(database),
        feedback=FeedbackStore(database),
        alert_votes=AlertVoteStore(database),
        jobs=OneProcess(),
        chat_settings=ChatSettingsStore(database),
    )


def open_backend(
    settings: Settings, dimension: int, model_name: str, on_acquire: OnAcquire
) -> Backend:
    data_dir = Path(settings.data_dir)
    database = open_database(data_dir / "newsbot.db")
    return Backend(
        label="SQLite + FAISS",
        database=database,
        store=SqlitePassageStore(database),
        home=FaissFileHome(data_dir / "vectors.faiss", dimension, model_name, settings.vectors),
        write_lock=ArchiveLock(
            data_dir / "write.lock", settings.storage.lock_timeout_seconds, on_acquire=on_acquire
        ),
        state_on=lambda clock: state_on(database, clock),
        size_bytes=lambda: database.path.stat().st_size,
        schema_version=database.schema_version,
    )
