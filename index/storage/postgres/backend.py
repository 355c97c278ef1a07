"""An archive's articles, passages and vectors in PostgreSQL, opened together from
`storage.url`: what NewsArchive needs of a backend, made in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from config import Settings
from index.storage.lock import process_label
from index.storage.postgres.database import PostgresDatabase
from index.storage.postgres.lock import AdvisoryLock
from index.storage.postgres.passages import PostgresPassageStore
from index.storage.postgres.vectors import PostgresVectorHome


@dataclass(frozen=True)
class PostgresBackend:
    database: PostgresDatabase
    store: PostgresPassageStore
    home: PostgresVectorHome
    write_lock: AdvisoryLock


def open_postgres(
    settings: Settings, dimension: int, model_name: str, on_acquire: Callable[[], None]
) -> PostgresBackend:
    """Connect to `settings.storage.url` and bring its schema up to date."""
    database = PostgresDatabase(
        settings.storage.url,
        application_name=process_label(),
        # iterative_scan: a search that leaves passages out (a question as of a past day)
        # walks on until it has k others; the order is restored by the exact re-scoring.
        session={
            "hnsw.ef_search": str(settings.vectors.hnsw_ef_search),
            "hnsw.iterative_scan": "relaxed_order",
        },
    )
    return PostgresBackend(
        database=database,
        store=PostgresPassageStore(database),
        home=PostgresVectorHome(database, dimension, model_name, settings.vectors),
        write_lock=AdvisoryLock(
            database, settings.storage.lock_timeout_seconds, on_acquire=on_acquire
        ),
    )
