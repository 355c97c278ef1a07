"""The bot's state in PostgreSQL (subscriptions, the outbox, feeds, feedback, alert votes and
the job locks), the same interfaces as the SQLite stores, for many workers sharing one database.
Importing it needs psycopg (`pip install 'newsbot[postgres]'`)."""

from index.state.postgres.alert_votes import PostgresAlertVotes
from index.state.postgres.chat_settings import PostgresChatSettings
from index.state.postgres.feedback import PostgresFeedback
from index.state.postgres.feeds import PostgresFeeds
from index.state.postgres.jobs import AdvisoryJobLocks
from index.state.postgres.statements import database_clock

__all__ = [
    "AdvisoryJobLocks",
    "PostgresAlertVotes",
    "PostgresChatSettings",
    "PostgresFeedback",
    "PostgresFeeds",
    "database_clock",
]
