"""`newsbot migrate --to postgresql://…`: copy a data directory's archive (SQLite + FAISS) and
the bot's state into an empty PostgreSQL database, nothing embedded again, and count both sides.

Every table's rows go over as they are, with their ids (passage ids key the vectors, the
outbox and feedback point at passages and subscriptions), in one transaction: a copy that fails
leaves the database as empty as it was. The alert queue is copied as it stands (the trigger
that queues each stored article fires for the copied ones too, and is undone), so the bot does
not alert anyone again about the archive's past. The vectors are read from the FAISS file and
written as a re-index writes them (a table beside the live one, its graph built once, then
swapped in), after the rows. The source is held under its write lock throughout, so no
writer changes it mid-copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg

from config import Settings
from index.errors import StoreError
from index.state.feeds import FEED_COLUMNS
from index.state.outbox import DELIVERY_FIELDS
from index.state.subscriptions import SUBSCRIPTION_COLUMNS
from index.storage.article_rows import ARTICLE_COLUMNS
from index.storage.database import Database
from index.storage.lock import ArchiveLock
from index.storage.postgres.database import PostgresDatabase, describe
from index.storage.postgres.vectors import PostgresVectorHome
from index.storage.vectors import VectorIndex, metadata_path

VECTOR_BATCH = 2_000
Progress = Callable[[str, int], None]  # (what, rows copied so far)


@dataclass(frozen=True)
class Copied:
    """One table (or the vectors): rows in the source and in PostgreSQL after the copy."""

    name: str
    source: int
    target: int

    @property
    def matches(self) -> bool:
        return self.source == self.target


def _columns(text: str) -> list[str]:
    return [name.strip() for name in text.split(",")]


# (table, columns), in an order that keeps every reference valid. Ids go over as they are.
TABLES: tuple[tuple[str, list[str]], ...] = (
    ("articles", list(ARTICLE_COLUMNS)),
    ("passages", ["id", "article_id", "ordinal", "start", '"end"', "title", "text"]),
    ("passage_sentences", ["passage_id", "spans", "vectors"]),
    ("feeds", _columns(FEED_COLUMNS)),
    ("chats", ["chat_id", "digest", "paused", "last_digest_at"]),
    ("subscriptions", _columns(SUBSCRIPTION_COLUMNS)),
    (
        "deliveries",
        [
            *_columns(DELIVERY_FIELDS),
            "next_attempt_at",
            "last_error",
            "sent_at",
            "claimed_by",
            "claimed_until",
        ],
    ),
    ("alert_queue", ["article_id", "queued_at"]),
    ("feedback", ["id", "chat_id", "user_id", "question", "passage_ids", "vote", "created_at"]),
    (
        "alert_votes",
        ["id", "delivery_id", "subscription_id", "user_id", "article_id", "vote", "created_at"],
    ),
)
# Tables whose ids PostgreSQL hands out: the next one given after the copy follows the last.
_NUMBERED = ("passages", "subscriptions", "deliveries", "feedback", "alert_votes")


def copy_to_postgres(
    settings: Settings, url: str, progress: Progress | None = None
) -> list[Copied]:
    """Copy the archive of `settings.data_dir` into the empty database at `url`; what was
    copied, table by table, with the vectors last. StoreError if the database is not empty
    or the data directory holds no archive."""
    data_dir = Path(settings.data_dir)
    sqlite_path, faiss_path = data_dir / "newsbot.db", data_dir / "vectors.faiss"
    if not sqlite_path.exists():
        raise StoreError(f"{data_dir} holds no archive (no newsbot.db) to copy")
    report = progress or (lambda what, done: None)
    lock = ArchiveLock(data_dir / "write.lock", settings.storage.lock_timeout_seconds)
    with lock:
        source = Database(sqlite_path).connection()
        target = PostgresDatabase(url, application_name="newsbot migrate")
        try:
            _refuse_unless_empty(target, url)
            with target.transaction() as tx:
                for table, columns in TABLES:
                    _copy_table(source, tx, table, columns, report)
                for table in _NUMBERED:
                    tx.execute(
                        f"""SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                          COALESCE(MAX(id), 0) + 1, false) FROM {table}"""
                    )
            copied = [
                Copied(table, _count(source, table), _count(target, table)) for table, _ in TABLES
            ]
            if faiss_path.exists():
                copied.append(_copy_vectors(faiss_path, target, settings, report))
            # The planner's statistics and the visibility map now, not when autovacuum comes
            # round to the new rows: a search then reads the postings' index alone.
            target.execute("VACUUM (ANALYZE)")
        finally:
            target.close()
    return copied


def _refuse_unless_empty(target: PostgresDatabase, url: str) -> None:
    row = target.execute(
        "SELECT (SELECT COUNT(*) FROM articles) + (SELECT COUNT(*) FROM subscriptions)"
        " + (SELECT COUNT(*) FROM feeds)"
    ).fetchone()
    if row[0]:
        raise StoreError(
            f"the PostgreSQL database {describe(url)} already holds an archive; "
            "migrate copies into an empty database only"
        )


def _copy_table(source, tx: psycopg.Connection, table: str, columns: list[str], report) -> None:
    listed = ", ".join(columns)
    if table == "alert_queue":
        tx.execute("DELETE FROM alert_queue")  # queued by the trigger as articles came over
    rows = source.execute(f"SELECT {listed} FROM {table} ORDER BY rowid")
    done = 0
    with tx.cursor() as cursor, cursor.copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            done += 1
            if done % 10_000 == 0:
                report(table, done)
    report(table, done)


def _count(database, table: str) -> int:
    return int(database.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _copy_vectors(
    faiss_path: Path, target: PostgresDatabase, settings: Settings, report: Progress
) -> Copied:
    """The FAISS file's vectors into the live vector table, under the model that made them."""
    try:
        meta = json.loads(metadata_path(faiss_path).read_text())
        model, dimension = str(meta["model"]), int(meta["dimension"])
    except (OSError, ValueError, KeyError) as error:
        raise StoreError(
            f"the vector index metadata beside {faiss_path} is unreadable: {error}"
        ) from None
    vectors = VectorIndex.load(faiss_path, dimension, model, settings.vectors)
    home = PostgresVectorHome(target, dimension, model, settings.vectors)
    home.open()
    fresh = home.fresh()
    ids = np.sort(vectors.ids())
    for start in range(0, len(ids), VECTOR_BATCH):
        batch = ids[start : start + VECTOR_BATCH]
        fresh.add(batch, vectors.vectors_for(batch.tolist()))
        report("vectors", start + len(batch))
    live = home.publish(fresh)
    return Copied("vectors", vectors.count, live.count)
