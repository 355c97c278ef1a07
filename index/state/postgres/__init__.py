"""The bot's state in PostgreSQL (subscriptions, the outbox, feeds, feedback, alert votes and
the job locks), the same interfaces as the SQLite stores, for many workers sharing one database.
Importing it needs psycopg (`pip install 'newsbot[postgres]'`)."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.state.postgres.alert_votes": ["PostgresAlertVotes"],
        "index.state.postgres.chat_settings": ["PostgresChatSettings"],
        "index.state.postgres.feedback": ["PostgresFeedback"],
        "index.state.postgres.feeds": ["PostgresFeeds"],
        "index.state.postgres.jobs": ["AdvisoryJobLocks"],
        "index.state.postgres.outbox": ["PostgresOutbox"],
        "index.state.postgres.subscriptions": ["PostgresSubscriptions"],
    },
)
