"""The bot's state in PostgreSQL (subscriptions, the outbox, feeds, feedback, alert votes and
the job locks), the same interfaces as the SQLite stores, for many workers sharing one database.
Importing it needs psycopg (`pip install 'newsbot[postgres]'`)."""

from index.state.postgres.clock import database_clock
from index.state.postgres.feeds import PostgresFeeds
from index.state.postgres.jobs import AdvisoryJobLocks

__all__ = [
    "AdvisoryJobLocks",
    "PostgresFeeds",
    "database_clock",
]
