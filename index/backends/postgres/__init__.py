"""PostgreSQL + pgvector, for many workers sharing one archive: passages, vectors and the
bot's state in the database `storage.url` names, writers taking turns by an advisory lock.
Importing it needs psycopg (`pip install 'newsbot[postgres]'`); no SQLite file is made."""

from __future__ import annotations

from config import Settings
from index.backends.backend import Backend, OnAcquire
from index.backends.postgres.schema import MIGRATIONS
from index.clock import Clock
from index.state import (
    AlertVoteStore,
    BotState,
    ChatSettingsStore,
    DeliveryOutbox,
    FeedbackStore,
    SubscriptionStore,
)
from index.state.postgres import (
    AdvisoryJobLocks,
    PostgresFeeds,
    database_clock,
)
from index.storage.lock import process_label
from index.storage.postgres import (
    AdvisoryLock,
    PostgresDatabase,
    PostgresPassageStore,
    PostgresVectorHome,
    describe,
)

__all__ = ["MIGRATIONS", "open_backend", "open_database", "state_on"]


def open_database(url: str, **options) -> PostgresDatabase:
    """The database at `url`, its schema brought up to date (`options`: PostgresDatabase's)."""
    return PostgresDatabase(url, MIGRATIONS, **options)


def state_on(database: PostgresDatabase, clock: Clock | None = None) -> BotState:
    """The state stores in PostgreSQL. Workers compare moments by the server's clock (each
    one's own may be off), and take the jobs by advisory locks."""
    now = database_clock(database)
    return BotState(
        subscriptions=SubscriptionStore(database),
        outbox=DeliveryOutbox(database, clock or now),
        feeds=PostgresFeeds(database, now),
        feedback=FeedbackStore(database),
        alert_votes=AlertVoteStore(database),
        jobs=AdvisoryJobLocks(database),
        chat_settings=ChatSettingsStore(database),
    )


def open_backend(
    settings: Settings, dimension: int, model_name: str, on_acquire: OnAcquire
) -> Backend:
    """Connect to `settings.storage.url` and bring its schema up to date."""
    database = open_database(
        settings.storage.url,
        application_name=process_label(),
        # iterative_scan: a search that leaves passages out (a question as of a past day)
        # walks on until it has k others; the order is restored by the exact re-scoring.
        session={
            "hnsw.ef_search": str(settings.vectors.hnsw_ef_search),
            "hnsw.iterative_scan": "relaxed_order",
        },
    )

    def size_bytes() -> int:
        row = database.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0])

    return Backend(
        label=f"PostgreSQL {describe(settings.storage.url)}",
        database=database,
        store=PostgresPassageStore(database),
        home=PostgresVectorHome(database, dimension, model_name, settings.vectors),
        write_lock=AdvisoryLock(
            database, settings.storage.lock_timeout_seconds, on_acquire=on_acquire
        ),
        state_on=lambda clock: state_on(database, clock),
        size_bytes=size_bytes,
        schema_version=database.schema_version,
    )
