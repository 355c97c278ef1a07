"""The one clock every PostgreSQL worker shares: the database server's."""

from __future__ import annotations

from datetime import UTC, datetime

from index.clock import Clock
from index.storage.postgres.database import PostgresDatabase


def database_clock(database: PostgresDatabase) -> Clock:
    """The database server's clock, for every moment workers compare (leases, claims, retry
    times): each worker's own clock may be off by minutes, the server's is one for all."""

    def now() -> datetime:
        moment = database.execute("SELECT statement_timestamp()").fetchone()[0]
        return moment.astimezone(UTC)

    return now
