"""The SQLite file: connections (one per thread, WAL) and the schema, migrated in order.

Each table's owner declares its migrations by schema version (index/backends/sqlite/schema.py
lists the owners); they are append-only, and each version runs in its own transaction with the
version bump, so running them again is a no-op and an upgrade never loses subscriptions.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from index.errors import StoreError
from index.storage.dialect import SQLITE

# What `Database.transaction()` yields: run statements on it to make them part of the
# transaction.
Transaction = sqlite_utils.Database


Migration = Callable[[Transaction], None]


def in_version_order(owners: Sequence[Mapping[int, Migration]]) -> list[Migration]:
    """One step per schema version 1, 2, ...: every owner's migration of that version, in
    the owners' order. Each table's owner declares its own migrations keyed by version;
    this makes them the single ordered list `Database` runs."""
    versions = sorted({version for owned in owners for version in owned})
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"schema versions must run 1, 2, ... without gaps: {versions}")
    return [_step([owned[v] for owned in owners if v in owned]) for v in versions]


def _step(migrations: list[Migration]) -> Migration:
    def run(tx: Transaction) -> None:
        for migration in migrations:
            migration(tx)

    return run


class Database:
    """Opens the SQLite file once per thread (sqlite3 connections must not cross threads)."""

    dialect = SQLITE

    def __init__(self, path: Path, migrations: Sequence[Migration]) -> None:
        """Open (creating if need be) the file at `path` and bring its schema up to date:
        `migrations`, one per version in order (the archive's: index/backends/sqlite/schema.py,
        opened by `index.backends.sqlite.open_database`)."""
        self.path = path
        self.migrations = list(migrations)
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

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> sqlite3.Cursor:
        """One statement on this thread's connection (a write commits on its own)."""
        return self.connection().execute(sql, params)

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
        known = len(self.migrations)
        if current > known:
            raise StoreError(
                f"{self.path} has schema version {current}; this newsbot knows up to {known}"
            )
        for version in range(current + 1, known + 1):
            with self.transaction() as tx:
                self.migrations[version - 1](tx)
                tx.execute("INSERT INTO schema_version (version) VALUES (?)", [version])

    def schema_version(self) -> int:
        return self.connection().execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
