"""What differs between the SQL the two backends run, in one small object each database
carries (`database.dialect`): the stores write a statement once, with `?` marks and the
syntax both accept (RETURNING, ON CONFLICT ... DO NOTHING), and ask the dialect for the rest.

Where the backends truly differ (full-text search, bulk inserts, claiming work among many
workers) each keeps its own code."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dialect:
    name: str
    mark: str  # the driver's placeholder
    # Appended to a SELECT that must hold its rows until the transaction ends. SQLite needs
    # none: its one writer at a time (BEGIN IMMEDIATE) already holds the whole file.
    for_update: str
    # Appended to a SELECT whose rows must not change or go until the transaction ends, while
    # others may read them too.
    for_share: str
    # Appended to a SELECT claiming rows other workers may be claiming at once (a worker
    # passes over rows another is claiming this instant instead of waiting for them); `{}` is
    # the claimed table's name in the query.
    skip_locked: str
    greatest: str  # the larger of two values: SQLite's scalar MAX, PostgreSQL's GREATEST
    # The column numbering a table's rows in the order they were added: SQLite's rowid; in
    # PostgreSQL, where there is none, the tables that need one have `seq`.
    added_order: str

    def sql(self, statement: str) -> str:
        """`statement`, written with `?` marks (and no other `?` or `%`), in this driver's."""
        return statement if self.mark == "?" else statement.replace("?", self.mark)

    def batches(self, values: Sequence[Any]) -> Iterator[list[Any]]:
        """`values` in lists small enough for one `any_of`: SQLite binds each value (and
        limits how many one statement takes), PostgreSQL binds the whole list as one array."""
        values = list(values)
        size = 500 if self.name == "sqlite" else max(len(values), 1)
        for start in range(0, len(values), size):
            yield values[start : start + size]

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition that `column` is one of `values`, and its parameters."""
        if self.name == "postgresql":
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({','.join('?' * len(values)) or 'NULL'})", list(values)


SQLITE = Dialect(
    "sqlite",
    mark="?",
    for_update="",
    for_share="",
    skip_locked="",
    greatest="MAX",
    added_order="rowid",
)
POSTGRESQL = Dialect(
    "postgresql",
    mark="%s",
    for_update=" FOR UPDATE",
    for_share=" FOR SHARE",
    skip_locked=" FOR UPDATE OF {} SKIP LOCKED",
    greatest="GREATEST",
    added_order="seq",
)


class Marked:
    """A transaction whose statements are written with `?` marks (Dialect.sql)."""

    def __init__(self, transaction: Any, dialect: Dialect) -> None:
        self.transaction = transaction
        self.dialect = dialect

    def execute(self, statement: str, params: Sequence[Any] | None = None) -> Any:
        return self.transaction.execute(self.dialect.sql(statement), params)
