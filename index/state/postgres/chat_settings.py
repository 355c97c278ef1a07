"""Chat settings in PostgreSQL: its tables (the store is
index/state/chat_settings.py, for both backends)."""

from __future__ import annotations

import psycopg

from index.state.chat_settings import CREATE_PAUSED, CREATE_TABLE


def create_chat_settings(db: psycopg.Connection) -> None:
    db.execute(CREATE_TABLE.format(integer="bigint"))
    db.execute(CREATE_PAUSED.format(integer="bigint"))
    db.execute("CREATE INDEX paused_topics_chat ON paused_topics (chat_id)")


MIGRATIONS = {6: create_chat_settings}
