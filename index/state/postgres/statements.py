"""The small state stores' statements on PostgreSQL: the SQLite stores' own
(index/state/statements.py), their `?` marks turned into psycopg's `%s`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from index.clock import Clock
from index.storage.postgres.database import PostgresDatabase


def database_clock(database: PostgresDatabase) -> Clock:
    """The database server's clock, for every moment workers compare (leases, claims, retry
    times): each worker's own clock may be off by minutes, the server's is one for all."""

    def now() -> datetime:
        moment = database.execute("SELECT statement_timestamp()").fetchone()[0]
        return moment.astimezone(UTC)

    return now


class PostgresStatements:
    """Put first in a PostgreSQL store's bases, before the SQLite store it inherits."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database
        self._now = database_clock(database)

    def _sql(self, statement: str) -> str:
        """`statement` with psycopg's marks (the statements hold no literal `?` or `%`)."""
        return statement.replace("?", "%s")

    def _read(self, statement: str, params: Sequence[Any] | None = None) -> Any:
        return self.database.execute(self._sql(statement), params)

    def _write(self, statement: str, params: Sequence[Any]) -> Any:
        """One statement: a connection in autocommit commits it on its own."""
        return self.database.execute(self._sql(statement), params)
