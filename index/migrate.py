"""`newsbot migrate --to postgresql://…`: copy a data directory's archive (SQLite + FAISS) and
the bot's state into an empty PostgreSQL database, nothing embedded again, and count both sides.

Every table's rows go over as they are, with their ids (passage ids key the vectors, the
outbox and feedback point at passages and subscriptions), in one transaction: a copy that fails
leaves the database as empty as it was. The alert queue is copied as it stands (the trigger
that queues each stored article fires for the copied ones too, and is undone), so the bot does
not alert anyone again about the archive's past. The vectors are read from the FAISS file and
written as a re-index writes them (a table beside the live one, its graph built once, then
swapped in), on a second connection while the rows are copied: nothing in the rows refers
to them. The source is held under its write lock throughout, so no writer changes it
mid-copy.

It is a bulk load (benchmarks/README.md "Scale-out" has the times): every table goes over by
COPY; the secondary indexes of articles and passages and the postings' key are dropped
inside the transaction and built again after the rows, each in one pass; the postings trigger
is off while the passages are copied and the postings are made by one INSERT … SELECT after;
the vectors go over by binary COPY and their HNSW graph is built once, over all of them.
Index builds get `storage.migrate_memory_mb` of maintenance memory. The result is what the
trigger and row-by-row inserts would have made
(tests/test_migrate.py::test_migrate_makes_the_postings_and_indexes_that_ingesting_makes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg

from config import Settings
from index.errors import StoreError
from index.state.chat_settings import COLUMNS as CHAT_SETTINGS_COLUMNS
from index.state.feeds import FEED_COLUMNS
from index.state.outbox import DELIVERY_FIELDS
from index.state.subscriptions import SUBSCRIPTION_COLUMNS
from index.storage.article_rows import ARTICLE_COLUMNS
from index.storage.database import Database
from index.storage.lock import ArchiveLock
from index.storage.postgres.database import PostgresDatabase, describe
from index.storage.postgres.schema import POSTINGS_TRIGGER, POSTINGS_UNORDERED
from index.storage.postgres.vectors import PostgresVectorHome
from index.storage.vectors import VectorIndex, metadata_path

VECTOR_BATCH = 20_000
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
    ("chat_settings", ["chat_id", *CHAT_SETTINGS_COLUMNS, "updated_at"]),
    ("paused_topics", ["subscription_id", "chat_id", "topic", "paused_at"]),
)
# Tables whose ids PostgreSQL hands out: the next one given after the copy follows the last.
_NUMBERED = ("passages", "subscriptions", "deliveries", "feedback", "alert_votes")
# The large tables whose secondary indexes are built after their rows rather than kept up
# row by row (their keys stay: other tables' references are checked against them).
_INDEXED_AFTER = ("articles", "passages")


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
    with lock, ThreadPoolExecutor(1, thread_name_prefix="migrate-vectors") as beside:
        source = Database(sqlite_path).connection()
        # Per index build (and shared by a parallel build's workers): the HNSW graph and the
        # postings' key are built in memory when they fit.
        memory = {"maintenance_work_mem": f"{int(settings.storage.migrate_memory_mb)}MB"}
        target = PostgresDatabase(url, application_name="newsbot migrate", session=memory)
        try:
            _refuse_unless_empty(target, url)
            # The vectors and their graph on a connection of their own, beside the rows:
            # nothing in the rows refers to them, and the server does both at once.
            vectors = (
                beside.submit(_copy_vectors, faiss_path, target, settings, report)
                if faiss_path.exists()
                else None
            )
            with target.transaction() as tx:
                _copy_rows(source, tx, report)
            copied = [
                Copied(table, _count(source, table), _count(target, table)) for table, _ in TABLES
            ]
            if vectors is not None:
                copied.append(vectors.result())
            # The planner's statistics and the visibility map now, not when autovacuum comes
            # round to the new rows: a search then reads the postings' index alone.
            target.execute("VACUUM (ANALYZE)")
        finally:
            target.close()  # a half that failed stops the other at its next statement
    return copied


def _copy_rows(source, tx: psycopg.Connection, report: Progress) -> None:
    """Every table, then the postings from the passages, then the indexes dropped for the
    copy, then the id sequences past the copied ids."""
    rebuild = _drop_secondary_indexes(tx)
    tx.execute(f"ALTER TABLE passages DISABLE TRIGGER {POSTINGS_TRIGGER}_insert")
    for table, columns in TABLES:
        _copy_table(source, tx, table, columns, report)
    tx.execute(f"ALTER TABLE passages ENABLE TRIGGER {POSTINGS_TRIGGER}_insert")
    tx.execute(f"INSERT INTO passage_postings {POSTINGS_UNORDERED.format(rows='passages')}")
    report("postings", 0)
    for statement in rebuild:
        tx.execute(statement)
    report("indexes", len(rebuild))
    for table in _NUMBERED:
        tx.execute(
            f"""SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                              COALESCE(MAX(id), 0) + 1, false) FROM {table}"""
        )


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


def _drop_secondary_indexes(tx: psycopg.Connection) -> list[str]:
    """Drop the secondary indexes of the large tables and the postings' key (nothing refers
    to it); the statements that build them again as they were."""
    rebuild = []
    indexes = tx.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
           WHERE i.indrelid = ANY(%s::regclass[])
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
           ORDER BY 1""",
        [list(_INDEXED_AFTER)],
    ).fetchall()
    for name, definition in indexes:
        tx.execute(f"DROP INDEX {name}")
        rebuild.append(definition)
    keys = tx.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = 'passage_postings'::regclass AND contype = 'p'"""
    ).fetchall()
    for name, definition in keys:
        tx.execute(f"ALTER TABLE passage_postings DROP CONSTRAINT {name}")
        rebuild.append(f"ALTER TABLE passage_postings ADD CONSTRAINT {name} {definition}")
    return rebuild


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
    with (
        target.transaction() as tx,
        tx.cursor() as cursor,
        cursor.copy(
            f"COPY {fresh.table} (passage_id, embedding) FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.write(_BINARY_HEADER)
        for start in range(0, len(ids), VECTOR_BATCH):
            batch = ids[start : start + VECTOR_BATCH]
            copy.write(_binary_rows(batch, vectors.vectors_for(batch.tolist()), dimension))
            report("vectors", start + len(batch))
        copy.write(_BINARY_TRAILER)
    live = home.publish(fresh)  # builds the HNSW graph once, over every vector
    return Copied("vectors", vectors.count, live.count)


# COPY's binary format: a signature, flags and header extension; then per row its number of
# fields and each field's length and bytes (big-endian); -1 ends it.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + np.array([0, 0], dtype=">i4").tobytes()
_BINARY_TRAILER = np.array([-1], dtype=">i2").tobytes()


def _binary_rows(ids: np.ndarray, vectors: np.ndarray, dimension: int) -> bytes:
    """Rows (passage_id bigint, embedding vector) in COPY's binary format, made by numpy at
    once: pgvector's binary form of a vector is its dimension, a zero, and the float4s."""
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("id_length", ">i4"),
            ("id", ">i8"),
            ("vector_length", ">i4"),
            ("dimension", ">i2"),
            ("unused", ">i2"),
            ("values", ">f4", (dimension,)),
        ]
    )
    rows = np.zeros(len(ids), dtype=row)
    rows["fields"] = 2
    rows["id_length"] = 8
    rows["id"] = ids
    rows["vector_length"] = 4 + 4 * dimension
    rows["dimension"] = dimension
    rows["values"] = np.asarray(vectors, dtype=np.float32).reshape(len(ids), dimension)
    return rows.tobytes()
