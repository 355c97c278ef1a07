"""The schema, now declared by each table's owner, is the one the single migration list of
schema version 4 built: the same sqlite_master, so databases created before open unchanged.

schema_v4.json is what that list made (sqlite_master in order), frozen; do not edit it.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from index.backends.sqlite import open_database
from index.backends.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from index.storage import Database

FROZEN = Path(__file__).with_name("schema_v4.json")


def _frozen_schema() -> list[tuple]:
    return [tuple(row) for row in json.loads(FROZEN.read_text())]


def _old_database(path: Path) -> sqlite_utils.Database:
    """A database as the single migration list of version 4 left it, made from its frozen
    sqlite_master; SQLite makes the FTS5 shadow tables and sqlite_sequence itself."""
    db = sqlite_utils.Database(path)
    rows = _frozen_schema()
    virtual = [name for kind, name, _, sql in rows if sql and sql.startswith("CREATE VIRTUAL")]
    for _, name, _, sql in rows:
        made_by_sqlite = name == "sqlite_sequence" or any(
            name.startswith(f"{table}_") for table in virtual
        )
        if sql and not made_by_sqlite:
            db.execute(sql)
    db.conn.executemany(
        "INSERT INTO schema_version (version) VALUES (?)", [(v,) for v in range(1, 5)]
    )
    db.conn.commit()
    return db


def _schema(db: sqlite_utils.Database) -> list[tuple]:
    return db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
    ).fetchall()


def test_owners_schema_is_the_single_list_schema(tmp_path: Path) -> None:
    new = Database(tmp_path / "new.db", MIGRATIONS[:4])
    assert _schema(new.connection()) == _frozen_schema()
    assert _schema(_old_database(tmp_path / "old.db")) == _frozen_schema()


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
