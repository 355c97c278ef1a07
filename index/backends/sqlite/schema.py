"""The archive's schema: every table owner's migrations, in one list ordered by version.

A schema change goes into the owner of the table it changes, under the next version number
(never an edit to an existing version: databases already at it would not run it).
"""

from __future__ import annotations

from index.state import alert_votes, chat_settings, feedback, feeds, outbox, subscriptions
from index.storage import passages
from index.storage.database import in_version_order

# Within a version, the owners run in this order (the tables' order in sqlite_master).
OWNERS = (
    passages.MIGRATIONS,  # articles, passages, passages_fts
    feeds.MIGRATIONS,  # feeds
    subscriptions.MIGRATIONS,  # chats, subscriptions
    outbox.MIGRATIONS,  # deliveries, alert_queue (and the trigger on articles that fills it)
    feedback.MIGRATIONS,  # feedback
    alert_votes.MIGRATIONS,  # alert_votes
    chat_settings.MIGRATIONS,  # chat_settings
)
MIGRATIONS = in_version_order(OWNERS)
SCHEMA_VERSION = len(MIGRATIONS)
