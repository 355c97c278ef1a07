"""How the state stores run their SQL on either backend: written once, with `?` marks and
the syntax both accept, and run here on the archive's database (an SQLite `Database` or a
`PostgresDatabase`), whose dialect (index/storage/dialect.py) supplies what differs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from index.storage.dialect import Dialect, Marked


class Statements:
    """A store's statements on its database."""

    def __init__(self, database: Any) -> None:
        self.database = database
        self.dialect: Dialect = database.dialect

    def _sql(self, statement: str) -> str:
        """`statement` with this database's marks."""
        return self.dialect.sql(statement)

    def _read(self, statement: str, params: Sequence[Any] | None = None) -> Any:
        """The cursor of one query, on this thread's connection."""
        return self.database.execute(self._sql(statement), params)

    def _write(self, statement: str, params: Sequence[Any]) -> Any:
        """One statement, committed on its own; its cursor (for `rowcount`)."""
        with self.database.transaction() as tx:
            return tx.execute(self._sql(statement), params)

    @contextmanager
    def _transaction(self) -> Iterator[Marked]:
        """Everything inside commits together or not at all; statements with `?` marks."""
        with self.database.transaction() as tx:
            yield Marked(tx, self.dialect)
