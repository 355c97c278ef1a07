"""The PostgreSQL backend's schema: every table owner's migrations, in one list ordered by
version, as index/backends/sqlite/schema.py is for the SQLite file (a change goes into the owner of the table
it changes, under the next version number). Importing it needs psycopg."""

from __future__ import annotations

from index.state.postgres import (
    alert_votes,
    chat_settings,
    feedback,
    feeds,
    outbox,
    subscriptions,
)
from index.storage.database import in_version_order
from index.storage.postgres import schema

# Within a version, the owners run in this order.
OWNERS = (
    schema.MIGRATIONS,  # articles, passages, sentence vectors, vector bookkeeping
    feeds.MIGRATIONS,  # feeds (with their poll leases)
    subscriptions.MIGRATIONS,  # chats, subscriptions
    outbox.MIGRATIONS,  # deliveries, alert_queue (and the trigger on articles that fills it)
    feedback.MIGRATIONS,  # feedback
    alert_votes.MIGRATIONS,  # alert_votes
    chat_settings.MIGRATIONS,  # chat_settings
)
MIGRATIONS = in_version_order(OWNERS)
