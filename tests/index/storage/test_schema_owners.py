"""The schema, now declared by each table's owner, is the one the single migration list of
schema version 4 built: the same sqlite_master, so databases created before open unchanged.

`_old_v1` .. `_old_v4` are that list as it was, frozen here; do not edit them.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from index.backends.sqlite import open_database
from index.backends.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from index.storage import Database


def _old_v1(db: sqlite_utils.Database) -> None:
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


def _old_v2(db: sqlite_utils.Database) -> None:
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


def _old_v3(db: sqlite_utils.Database) -> None:
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


def _old_v4(db: sqlite_utils.Database) -> None:
    """Feed items skipped by the last poll (unreadable link, no text, ...) and why, so /feeds
    shows a feed that polls fine but loses items."""
    db.execute("ALTER TABLE feeds ADD COLUMN items_skipped INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE feeds ADD COLUMN last_item_error TEXT")


_OLD_MIGRATIONS = [_old_v1, _old_v2, _old_v3, _old_v4]


def _old_database(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    for version, migration in enumerate(_OLD_MIGRATIONS, start=1):
        migration(db)
        db.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
    return db


def _schema(db: sqlite_utils.Database) -> list[tuple]:
    return db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
    ).fetchall()


def test_owners_schema_is_the_single_list_schema(tmp_path: Path) -> None:
    old = _old_database(tmp_path / "old.db")
    new = Database(tmp_path / "new.db", MIGRATIONS[: len(_OLD_MIGRATIONS)])
    assert _schema(new.connection()) == _schema(old)


def test_a_version_4_database_is_upgraded_keeping_its_tables_and_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = _old_database(path)
    old["feeds"].insert({"url": "https://example.org/feed", "title": "Example", "added_at": ""})
    before = _schema(old)
    old.close()
    reopened = open_database(path)
    assert reopened.schema_version() == SCHEMA_VERSION > 4
    after = _schema(reopened.connection())
    # Later versions only add, but for the subscriptions table, rebuilt by version 7 (ids
    # never reused: AUTOINCREMENT), which keeps its rows (tests/index/state/test_subscription_store.py).
    kept = [row for row in before if row[2] != "subscriptions"]
    assert [row for row in after if row in kept] == kept
    assert {row[1] for row in after if row not in before} >= {"passage_sentences"}
    rebuilt = [row[3] for row in after if row[1] == "subscriptions"]
    assert "AUTOINCREMENT" in rebuilt[0]
    assert [r["title"] for r in reopened.connection()["feeds"].rows] == ["Example"]
