"""Topic subscriptions and per-chat alert settings in PostgreSQL: the same store as
index/state/subscriptions.py. The chat's row is locked for the length of an add, so the cap on
topics holds with any number of workers adding at once."""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg

from index.clock import timestamp
from index.state.interfaces import ChatSettings, Subscription
from index.state.outbox import move_deliveries
from index.state.postgres.outbox import PostgresOutbox
from index.state.subscriptions import (
    ACTIVE_SUBSCRIPTIONS,
    BUMP_VERSION,
    SUBSCRIPTION_COLUMNS,
    chat_from_row,
    check_limits,
    move_chat_rows,
    subscription_from_row,
)
from index.storage.postgres.database import PostgresDatabase

_CHAT = "SELECT chat_id, digest, paused, last_digest_at FROM chats"


class PostgresSubscriptions:
    """Reads and writes `subscriptions` and `chats`; waiting alerts are withdrawn by the
    outbox inside the same transaction."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database
        self._active: tuple[tuple, list[Subscription]] | None = None

    def add(
        self,
        chat_id: int,
        thread_id: int | None,
        topic: str,
        query: str,
        required: Sequence[str] = (),
        excluded: Sequence[str] = (),
        *,
        limit: int | None = None,
        user_id: int | None = None,
        user_limit: int | None = None,
    ) -> tuple[Subscription, bool]:
        """Subscribe a chat (thread) to a topic; (subscription, False) if it already was;
        SubscriptionLimitError when it already follows `limit` topics, or `user_id` made
        `user_limit` subscriptions across all chats (the version row, locked by every
        change, keeps concurrent adds of one user from passing it)."""
        with self.database.transaction() as tx:
            self._ensure_chat(tx, chat_id)
            tx.execute("SELECT 1 FROM chats WHERE chat_id = %s FOR UPDATE", [chat_id])
            if user_limit is not None and user_id is not None:
                tx.execute(BUMP_VERSION)  # taken first: one add at a time across chats
            existing = tx.execute(
                f"""SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE chat_id = %s
                    AND COALESCE(thread_id, 0) = %s AND lower(topic) = lower(%s)""",
                [chat_id, thread_id or 0, topic],
            ).fetchone()
            if existing:
                return subscription_from_row(existing), False
            check_limits(tx.execute, "%s", chat_id, thread_id, limit, user_id, user_limit)
            row = tx.execute(
                f"""INSERT INTO subscriptions
                    (chat_id, thread_id, topic, query, required, excluded, created_at,
                     created_by)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {SUBSCRIPTION_COLUMNS}""",
                [
                    chat_id,
                    thread_id,
                    topic,
                    query,
                    json.dumps(list(required)),
                    json.dumps(list(excluded)),
                    timestamp(),
                    user_id,
                ],
            ).fetchone()
            tx.execute(BUMP_VERSION)
        return subscription_from_row(row), True

    def for_chat(self, chat_id: int, thread_id: int | None) -> list[Subscription]:
        rows = self.database.execute(
            f"""SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE chat_id = %s
                AND COALESCE(thread_id, 0) = %s ORDER BY id""",
            [chat_id, thread_id or 0],
        )
        return [subscription_from_row(row) for row in rows]

    def get(self, subscription_id: int, chat_id: int | None = None) -> Subscription | None:
        """The subscription, if it exists (and, with `chat_id`, belongs to that chat)."""
        row = self.database.execute(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = %s", [subscription_id]
        ).fetchone()
        found = subscription_from_row(row) if row else None
        return found if found and chat_id in (None, found.chat_id) else None

    def active(self) -> list[Subscription]:
        """Subscriptions of chats that are not paused, kept while `subscriptions_version`
        (bumped by every change, any worker's) stays the same; read before the rows."""
        (version,) = self.database.execute("SELECT version FROM subscriptions_version").fetchone()
        cached = self._active
        if cached is not None and cached[0] == version:
            return list(cached[1])
        rows = self.database.execute(ACTIVE_SUBSCRIPTIONS)
        found = [subscription_from_row(row) for row in rows]
        self._active = (version, found)
        return list(found)

    def remove(self, chat_id: int, ids: Sequence[int]) -> list[Subscription]:
        """Remove these subscriptions of the chat (others' ids are ignored); returns them."""
        with self.database.transaction() as tx:
            rows = tx.execute(
                f"""DELETE FROM subscriptions WHERE chat_id = %s AND id = ANY(%s)
                    RETURNING {SUBSCRIPTION_COLUMNS}""",
                [chat_id, list(ids)],
            ).fetchall()
            if rows:
                PostgresOutbox.cancel_for_subscriptions(tx, [row[0] for row in rows])
                tx.execute(BUMP_VERSION)
        return sorted((subscription_from_row(row) for row in rows), key=lambda s: s.id)

    def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """As SubscriptionStore.move_chat: settings, subscriptions and alerts to the new id."""
        with self.database.transaction() as tx:
            moved = move_chat_rows(tx.execute, "%s", old_chat_id, new_chat_id)
            move_deliveries(tx.execute, "%s", old_chat_id, new_chat_id)
            if moved:
                tx.execute(BUMP_VERSION)
        return moved

    def chat(self, chat_id: int) -> ChatSettings:
        row = self.database.execute(f"{_CHAT} WHERE chat_id = %s", [chat_id]).fetchone()
        return chat_from_row(row) if row else ChatSettings(chat_id, False, False, None)

    def set_digest(self, chat_id: int, on: bool) -> None:
        with self.database.transaction() as tx:
            self._ensure_chat(tx, chat_id)
            tx.execute("UPDATE chats SET digest = %s WHERE chat_id = %s", [int(on), chat_id])

    def digest_chats(self) -> list[ChatSettings]:
        rows = self.database.execute(f"{_CHAT} WHERE digest = 1 AND paused = 0 ORDER BY chat_id")
        return [chat_from_row(row) for row in rows]

    def mark_digest_sent(self, chat_id: int, at: str) -> None:
        self.database.execute(
            "UPDATE chats SET last_digest_at = %s WHERE chat_id = %s", [at, chat_id]
        )

    def pause_chat(self, chat_id: int) -> None:
        """The chat cannot be reached: stop matching for it and hold its waiting alerts."""
        with self.database.transaction() as tx:
            self._ensure_chat(tx, chat_id)
            tx.execute("UPDATE chats SET paused = 1 WHERE chat_id = %s", [chat_id])
            tx.execute(BUMP_VERSION)
            PostgresOutbox.hold_for_chat(tx, chat_id)

    def resume_chat(self, chat_id: int) -> bool:
        """The chat is reachable again; True if it had been paused (held alerts stay held)."""
        with self.database.transaction() as tx:
            cursor = tx.execute(
                "UPDATE chats SET paused = 0 WHERE chat_id = %s AND paused = 1", [chat_id]
            )
            if cursor.rowcount > 0:
                tx.execute(BUMP_VERSION)
        return cursor.rowcount > 0

    def counts(self) -> dict[str, int]:
        row = self.database.execute(
            """SELECT (SELECT COUNT(*) FROM subscriptions),
                      (SELECT COUNT(DISTINCT chat_id) FROM subscriptions),
                      (SELECT COUNT(*) FROM chats WHERE paused = 1)"""
        ).fetchone()
        return {
            "subscriptions": int(row[0]),
            "subscribed_chats": int(row[1]),
            "paused_chats": int(row[2]),
        }

    @staticmethod
    def _ensure_chat(tx: psycopg.Connection, chat_id: int) -> None:
        tx.execute(
            """INSERT INTO chats (chat_id, digest, paused) VALUES (%s, 0, 0)
               ON CONFLICT (chat_id) DO NOTHING""",
            [chat_id],
        )


def create_subscriptions(db: psycopg.Connection) -> None:
    """Chats (0/1 flags, as in SQLite, so rows copy over unchanged) and their topics."""
    db.execute(
        """CREATE TABLE chats (
            chat_id bigint PRIMARY KEY,
            digest integer NOT NULL DEFAULT 0,
            paused integer NOT NULL DEFAULT 0,
            last_digest_at text
        )"""
    )
    db.execute(
        """CREATE TABLE subscriptions (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            chat_id bigint NOT NULL,
            thread_id bigint,
            topic text NOT NULL,
            query text,
            required text,
            excluded text,
            created_at text
        )"""
    )
    db.execute("CREATE INDEX subscriptions_chat ON subscriptions (chat_id)")


def subscriptions_version(db: psycopg.Connection) -> None:
    """Version 5: the version row `active()` keys its cache on (a digest of ids missed a
    change that kept them, such as a chat's subscriptions moving to its new id), and who
    made each subscription (the per-user cap). Ids come from an identity column: never
    reused."""
    db.execute("CREATE TABLE subscriptions_version (version bigint NOT NULL)")
    db.execute("INSERT INTO subscriptions_version (version) VALUES (0)")
    db.execute("ALTER TABLE subscriptions ADD COLUMN created_by bigint")
    db.execute("CREATE INDEX subscriptions_created_by ON subscriptions (created_by)")


MIGRATIONS = {2: create_subscriptions, 5: subscriptions_version}
