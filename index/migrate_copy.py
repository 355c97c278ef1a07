"""The copying half of `newsbot migrate` (index/migrate.py runs it): the rows of every table
by COPY, and the FAISS vectors into a re-index table by binary COPY.

It is a bulk load (benchmarks/README.md "Scale-out" has the times): the secondary indexes of
articles and passages and the postings' key are dropped inside the rows' transaction and built
again after the rows, each in one pass; the postings trigger is off while the passages are
copied and the postings are made by one INSERT … SELECT after; the vectors go over by binary
COPY and their HNSW graph is built once, over all of them. The result is what the trigger and
row-by-row inserts would have made
(tests/index/test_migrate.py::test_migrate_makes_the_postings_and_indexes_that_ingesting_makes).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql

from config import Settings
from index.errors import StoreError
from index.state.chat_settings import COLUMNS as CHAT_SETTINGS_COLUMNS
from index.state.feeds import FEED_COLUMNS
from index.state.outbox import DELIVERY_FIELDS
from index.state.subscriptions import SUBSCRIPTION_COLUMNS
from index.storage.article_rows import ARTICLE_COLUMNS
from index.storage.lock import POLL_SECONDS, ArchiveBusyError
from index.storage.postgres.database import PostgresDatabase
from index.storage.postgres.schema import POSTINGS_TRIGGER, POSTINGS_UNORDERED
from index.storage.postgres.vectors import PostgresVectorHome, PostgresVectorStore
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


def copy_rows(source, tx: psycopg.Connection, report: Progress) -> None:
    """Every table, then the postings from the passages, then the indexes dropped for the
    copy, then the id sequences past the copied ids."""
    # Every sequence from its start: a killed run's rolled-back rows used up numbers (no
    # sequence rolls back), and the identity columns not copied (`seq`) would differ.
    tx.execute(
        """SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)
           FROM pg_sequences WHERE schemaname = current_schema()"""
    )
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
                              GREATEST(COALESCE(MAX(id), 0), %s) + 1, false) FROM {table}""",
            [last_given_id(source, table)],
        )


def last_given_id(source, table: str) -> int:
    """The highest id SQLite ever gave in `table`, removed rows included: a subscription
    removed last must not have its id given again on PostgreSQL (its old deliveries and votes
    still name it)."""
    given = source.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [table]).fetchone()
    highest = int(given[0]) if given else 0
    if table == "subscriptions":
        named = source.execute("SELECT MAX(subscription_id) FROM deliveries").fetchone()[0]
        highest = max(highest, int(named or 0))
    return highest


def _drop_secondary_indexes(tx: psycopg.Connection) -> list[sql.Composable]:
    """Drop the secondary indexes of the large tables and the postings' key (nothing refers
    to it); the statements that build them again as they were."""
    rebuild: list[sql.Composable] = []
    indexes = tx.execute(
        """SELECT n.nspname, c.relname, pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE i.indrelid = ANY(%s::regclass[])
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
           ORDER BY 2""",
        [list(_INDEXED_AFTER)],
    ).fetchall()
    # Names read from the catalogue go in as quoted identifiers; the definitions are the
    # server's own text (pg_get_indexdef quotes what needs quoting).
    for schema, name, definition in indexes:
        tx.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, name)))
        rebuild.append(sql.SQL(definition))
    keys = tx.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = 'passage_postings'::regclass AND contype = 'p'"""
    ).fetchall()
    for name, definition in keys:
        key = sql.Identifier(name)
        tx.execute(sql.SQL("ALTER TABLE passage_postings DROP CONSTRAINT {}").format(key))
        rebuild.append(
            sql.SQL("ALTER TABLE passage_postings ADD CONSTRAINT {} {}").format(
                key, sql.SQL(definition)
            )
        )
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


def count_rows(database, table: str) -> int:
    return int(database.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def load_faiss(faiss_path: Path, settings: Settings) -> VectorIndex:
    """The FAISS file's vectors in memory, under the model its metadata names."""
    try:
        meta = json.loads(metadata_path(faiss_path).read_text())
        model, dimension = str(meta["model"]), int(meta["dimension"])
    except (OSError, ValueError, KeyError) as error:
        raise StoreError(
            f"the vector index metadata beside {faiss_path} is unreadable: {error}"
        ) from None
    return VectorIndex.load(faiss_path, dimension, model, settings.vectors)


class VectorCopy:
    """The vectors copied into a re-index table on a thread and connection of their own,
    beside the rows (nothing in the rows refers to them, and the server does both at once);
    staged, graph built, not yet live: the rows' transaction swaps the table in.
    `cancel()` stops it at once (the rows' copy failed)."""

    def __init__(self, vectors: VectorIndex, target: PostgresDatabase, settings: Settings):
        self.vectors = vectors
        self.home = PostgresVectorHome(
            target, vectors.dimension, vectors.model_name, settings.vectors
        )
        self.target = target
        self.lock_timeout = settings.storage.lock_timeout_seconds
        self._cancelled = threading.Event()
        self._connection: psycopg.Connection | None = None

    def run(self, report: Progress) -> PostgresVectorStore:
        """Copy, then build the graph; the filled re-index table."""
        self._connection = self.target.connection()  # this thread's, cancelled by cancel()
        self.home.open()
        fresh = self._fresh_table()
        ids = np.sort(self.vectors.ids())
        dimension = self.vectors.dimension
        with (
            self.target.transaction() as tx,
            tx.cursor() as cursor,
            cursor.copy(
                f"COPY {fresh.table} (passage_id, embedding) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.write(_BINARY_HEADER)
            for start in range(0, len(ids), VECTOR_BATCH):
                if self._cancelled.is_set():
                    raise StoreError("the vector copy was cancelled")
                batch = ids[start : start + VECTOR_BATCH]
                copy.write(_binary_rows(batch, self.vectors.vectors_for(batch.tolist()), dimension))
                report("vectors", start + len(batch))
            copy.write(_BINARY_TRAILER)
        if self._cancelled.is_set():
            raise StoreError("the vector copy was cancelled")
        self.home.prepare(fresh)  # the HNSW graph, once over every vector
        return fresh

    def _fresh_table(self) -> PostgresVectorStore:
        """A re-index table, once the server has noticed that a killed run's connection is
        gone (its re-index lock goes with it; the lock timeout bounds the wait)."""
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return self.home.fresh()
            except ArchiveBusyError:
                if time.monotonic() >= deadline or self._cancelled.is_set():
                    raise
                time.sleep(POLL_SECONDS)

    def cancel(self) -> None:
        """Stop between batches, and stop the statement the server is running (a COPY, the
        graph's build) now rather than when it ends."""
        self._cancelled.set()
        if self._connection is not None and not self._connection.closed:
            self._connection.cancel_safe(timeout=5)


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
