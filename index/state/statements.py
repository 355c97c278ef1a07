"""How the small state stores (feeds, feedback, alert votes) run their SQL: written once, with
SQLite's `?` marks, and run here on the archive's SQLite `Database`. Their PostgreSQL stores
inherit them and run the same statements through `PostgresStatements`
(index/state/postgres/statements.py), keeping only what PostgreSQL does differently."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from index.storage.database import Database


class Statements:
    """A store's statements on SQLite."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def _sql(self, statement: str) -> str:
        """`statement` with this database's marks (SQLite's own here)."""
        return statement

    def _read(self, statement: str, params: Sequence[Any] | None = None) -> Any:
        """The cursor of one query, on this thread's connection."""
        return self.database.connection().execute(statement, params)

    def _write(self, statement: str, params: Sequence[Any]) -> Any:
        """One statement, committed on its own; its cursor (for `rowcount`)."""
        with self.database.transaction() as tx:
            return tx.execute(statement, params)
