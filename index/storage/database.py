"""The SQLite file: connections (one per thread, WAL) and the schema, migrated in order.

Migrations are append-only and each runs in its own transaction with the version bump, so
running them again is a no-op and an upgrade never loses subscriptions.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from index.errors import StoreError

# What `Database.transaction()` yields: run statements on it to make them part of the
# transaction.
Transaction = sqlite_utils.Database


def _v1(db: sqlite_utils.Database) -> None:
    db["articles"].create(
        {
            "id": str,
            "url": str,
            "title": str,
            "source": str,
            "published": str,
            "text": str,
            "simhash": int,
            "band0": int,
            "band1": int,
            "band2": int,
            "band3": int,
            "duplicate_of": str,
            "feed_url": str,
            "ingested_at": str,
        },
        pk="id",
    )
    for band in ("band0", "band1", "band2", "band3"):
        db["articles"].create_index([band])
    db["articles"].create_index(["published"])
    db["articles"].create_index(["ingested_at"])
    db.execute(
        """CREATE TABLE passages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL
        )"""
    )
    db["passages"].create_index(["article_id"])
    db["passages"].enable_fts(["title", "text"], tokenize="porter", create_triggers=True)
    db["feeds"].create(
        {
            "url": str,
            "title": str,
            "etag": str,
            "last_modified": str,
            "added_at": str,
            "added_by": int,
            "last_polled_at": str,
            "last_error": str,
            "error_count": int,
            "article_count": int,
        },
        pk="url",
        defaults={"error_count": 0, "article_count": 0},
    )
    db["chats"].create(
        {"chat_id": int, "digest": int, "paused": int, "last_digest_at": str},
        pk="chat_id",
        defaults={"digest": 0, "paused": 0},
    )
    db["subscriptions"].create(
        {
            "id": int,
            "chat_id": int,
            "thread_id": int,
            "topic": str,
            "query": str,
            "required": str,
            "excluded": str,
            "created_at": str,
        },
        pk="id",
        not_null={"chat_id", "topic"},
    )
    db["subscriptions"].create_index(["chat_id"])
    db["deliveries"].create(
        {
            "id": int,
            "chat_id": int,
            "thread_id": int,
            "article_id": str,
            "subscription_id": int,
            "passage_id": int,
            "score": float,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        defaults={"status": "pending", "attempts": 0},
    )
    db["deliveries"].create_index(["chat_id", "article_id"], unique=True)
    db["deliveries"].create_index(["status", "next_attempt_at"])
    db["feedback"].create(
        {
            "id": int,
            "chat_id": int,
            "user_id": int,
            "question": str,
            "passage_ids": str,
            "vote": int,
            "created_at": str,
        },
        pk="id",
    )


def _v2_alert_queue(db: sqlite_utils.Database) -> None:
    """Articles waiting to be matched against topic subscriptions.

    A trigger fills it, so every new (non-duplicate) article is queued in the same
    transaction that stores it, whoever stores it (the bot's feed poller, `newsbot ingest`):
    a crash can neither lose an alert nor match an article twice.
    """
    db.execute(
        """CREATE TABLE alert_queue (
            article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            queued_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TRIGGER articles_queue_alerts AFTER INSERT ON articles
           WHEN NEW.duplicate_of IS NULL
           BEGIN
               INSERT OR IGNORE INTO alert_queue (article_id, queued_at)
               VALUES (NEW.id, COALESCE(NEW.ingested_at, ''));
           END"""
    )


def _v3_outbox_claims(db: sqlite_utils.Database) -> None:
    """The outbox keyed by forum topic too, with a claim (a lease) and progress per row.

    SQLite cannot put COALESCE in a table's UNIQUE constraint, but can in a unique index on
    an expression: a group's topics each get the article, the topic-less chat (NULL) once.
    The old key (chat, article) was stricter, so existing rows all fit the new one. `body`
    keeps the rendered pieces (JSON) from the first attempt, and `pieces_sent` how many of
    them Telegram accepted, so a retry sends the rest of the same text.
    """
    for column in (
        "claimed_by TEXT",
        "claimed_until TEXT",
        "pieces_sent INTEGER NOT NULL DEFAULT 0",
        "body TEXT",
    ):
        db.execute(f"ALTER TABLE deliveries ADD COLUMN {column}")
    db.execute("DROP INDEX IF EXISTS idx_deliveries_chat_id_article_id")
    db.execute(
        """CREATE UNIQUE INDEX deliveries_chat_thread_article
           ON deliveries (chat_id, COALESCE(thread_id, 0), article_id)"""
    )


def _v4_feed_health(db: sqlite_utils.Database) -> None:
    """Feed items skipped by the last poll (unreadable link, no text, ...) and why, so /feeds
    shows a feed that polls fine but loses items."""
    db.execute("ALTER TABLE feeds ADD COLUMN items_skipped INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE feeds ADD COLUMN last_item_error TEXT")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1,
    _v2_alert_queue,
    _v3_outbox_claims,
    _v4_feed_health,
]
SCHEMA_VERSION = len(MIGRATIONS)


class Database:
    """Opens the SQLite file once per thread (sqlite3 connections must not cross threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self.write_lock = threading.RLock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.migrate()

    def connection(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            except sqlite3.Error as error:
                raise StoreError(f"cannot open database {self.path}: {error}") from None
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            db = sqlite_utils.Database(conn)
            self._local.db = db
        return db

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One writer at a time; everything inside commits together or not at all."""
        db = self.connection()
        with self.write_lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def migrate(self) -> None:
        db = self.connection()
        try:
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path} is not a newsbot database: {error}") from None
        with self.transaction() as tx:
            tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = tx.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = row[0] or 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}; this newsbot knows up to {SCHEMA_VERSION}"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction() as tx:
                MIGRATIONS[version - 1](tx)
                tx.execute("INSERT INTO schema_version (version) VALUES (?)", [version])

    def schema_version(self) -> int:
        return self.connection().execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
