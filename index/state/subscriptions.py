"""Topic subscriptions and per-chat alert settings (digest mode, paused after a 403).

A subscription belongs to a chat and, in forum groups, to one topic thread of it. Topics are
stored as typed and as parsed (query words, +required, -excluded) so matching never has to
parse them again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from index.clock import timestamp
from index.state.interfaces import ChatSettings, Subscription, SubscriptionLimitError
from index.state.outbox import DeliveryOutbox
from index.state.statements import Statements
from index.state.subscription_ids import never_reuse_ids
from index.storage.database import Migration, Transaction
from index.storage.dialect import Marked

SUBSCRIPTION_COLUMNS = (
    "id, chat_id, thread_id, topic, query, required, excluded, created_at, created_by"
)
# Bumped in the transaction of every change to the set `active()` returns (a subscription
# added, removed or moved to another chat, a chat paused or resumed): the cache is keyed on it.
BUMP_VERSION = "UPDATE subscriptions_version SET version = version + 1"


class SubscriptionStore(Statements):
    """Reads and writes the `subscriptions` and `chats` tables, on either backend; the alerts
    waiting for them are withdrawn by the outbox, inside the same transaction.

    A subscription's id is never given again once removed (AUTOINCREMENT in SQLite, an
    identity column in PostgreSQL): alerts, votes and buttons name subscriptions by id, and a
    reused id would hand them to another chat."""

    def __init__(self, database: Any) -> None:
        super().__init__(database)
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
        """Subscribe a chat (thread) to a topic for `user_id`; (subscription, False) if it
        already was.

        With `limit`, raises SubscriptionLimitError when the chat (thread) already follows that
        many topics, and with `user_limit` when `user_id` made that many subscriptions across
        all chats and forum topics; counted in the insert's own transaction, so concurrent
        adds never pass either: SQLite has one writer at a time, and in PostgreSQL the chat's
        row is locked, and with `user_limit` the version row first (one add at a time across
        chats).
        """
        with self._transaction() as tx:
            self._ensure_chat(tx, chat_id)
            if self.dialect.for_update:
                tx.execute(
                    f"SELECT 1 FROM chats WHERE chat_id = ?{self.dialect.for_update}", [chat_id]
                )
                if user_limit is not None and user_id is not None:
                    tx.execute(BUMP_VERSION)
            existing = tx.execute(
                f"""SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE chat_id = ?
                    AND COALESCE(thread_id, 0) = ? AND lower(topic) = lower(?)""",
                [chat_id, thread_id or 0, topic],
            ).fetchone()
            if existing:
                return subscription_from_row(existing), False
            check_limits(tx.execute, chat_id, thread_id, limit, user_id, user_limit)
            # fetchall: SQLite finishes a RETURNING statement only once its rows are read.
            [row] = tx.execute(
                f"""INSERT INTO subscriptions
                    (chat_id, thread_id, topic, query, required, excluded, created_at,
                     created_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {SUBSCRIPTION_COLUMNS}""",
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
            ).fetchall()
            tx.execute(BUMP_VERSION)
        return subscription_from_row(row), True

    def for_chat(self, chat_id: int, thread_id: int | None) -> list[Subscription]:
        rows = self._read(
            f"""SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE chat_id = ?
                AND COALESCE(thread_id, 0) = ? ORDER BY id""",
            [chat_id, thread_id or 0],
        )
        return [subscription_from_row(row) for row in rows]

    def get(self, subscription_id: int, chat_id: int | None = None) -> Subscription | None:
        """The subscription, if it exists (and, with `chat_id`, belongs to that chat)."""
        row = self._read(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?", [subscription_id]
        ).fetchone()
        found = subscription_from_row(row) if row else None
        return found if found and chat_id in (None, found.chat_id) else None

    def active(self) -> list[Subscription]:
        """Subscriptions of chats that are not paused: the ones new articles are matched to.

        Alert matching asks for them every batch; with 10,000 subscriptions reading and
        parsing them all takes ~70 ms, so the list is kept until the set changes: every
        change (any worker's) bumps `subscriptions_version` in its own transaction. The
        version is read before the rows, so a change committed in between only makes the
        next call read again.
        """
        (version,) = self._read("SELECT version FROM subscriptions_version").fetchone()
        cached = self._active
        if cached is not None and cached[0] == version:
            return list(cached[1])
        rows = self._read(ACTIVE_SUBSCRIPTIONS)
        found = [subscription_from_row(row) for row in rows]
        self._active = (version, found)
        return list(found)

    def remove(self, chat_id: int, ids: Sequence[int]) -> list[Subscription]:
        """Remove these subscriptions of the chat (others' ids are ignored); returns them."""
        among, params = self.dialect.any_of("id", ids)
        with self._transaction() as tx:
            rows = tx.execute(
                f"""DELETE FROM subscriptions WHERE chat_id = ? AND {among}
                    RETURNING {SUBSCRIPTION_COLUMNS}""",
                [chat_id, *params],
            ).fetchall()
            if rows:
                DeliveryOutbox.cancel_for_subscriptions(tx, [row[0] for row in rows])
                tx.execute(BUMP_VERSION)
        return sorted((subscription_from_row(row) for row in rows), key=lambda s: s.id)

    def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """The group became a supergroup with a new id: its subscriptions, settings and
        alerts (sent and waiting; the votes follow their subscriptions) go to the new id, in
        one transaction. A topic the new chat already follows is kept once. Returns how many
        subscriptions moved; 0 when there was nothing left to move (a repeated move)."""
        with self._transaction() as tx:
            moved = move_chat_rows(tx.execute, old_chat_id, new_chat_id)
            DeliveryOutbox.move_for_chat(tx, old_chat_id, new_chat_id)
            if moved:
                tx.execute(BUMP_VERSION)
        return moved

    def chat(self, chat_id: int) -> ChatSettings:
        row = self._read(f"{_CHAT} WHERE chat_id = ?", [chat_id]).fetchone()
        return chat_from_row(row) if row else ChatSettings(chat_id, False, False, None)

    def set_digest(self, chat_id: int, on: bool) -> None:
        with self._transaction() as tx:
            self._ensure_chat(tx, chat_id)
            tx.execute("UPDATE chats SET digest = ? WHERE chat_id = ?", [int(on), chat_id])

    def digest_chats(self) -> list[ChatSettings]:
        rows = self._read(f"{_CHAT} WHERE digest = 1 AND paused = 0 ORDER BY chat_id")
        return [chat_from_row(row) for row in rows]

    def mark_digest_sent(self, chat_id: int, at: str) -> None:
        self._write("UPDATE chats SET last_digest_at = ? WHERE chat_id = ?", [at, chat_id])

    def pause_chat(self, chat_id: int) -> None:
        """The chat cannot be reached: stop matching for it and hold its waiting alerts."""
        with self._transaction() as tx:
            self._ensure_chat(tx, chat_id)
            tx.execute("UPDATE chats SET paused = 1 WHERE chat_id = ?", [chat_id])
            tx.execute(BUMP_VERSION)
            DeliveryOutbox.hold_for_chat(tx, chat_id)

    def resume_chat(self, chat_id: int) -> bool:
        """The chat is reachable again; True if it had been paused. Held alerts stay held:
        they are old news by now."""
        with self._transaction() as tx:
            cursor = tx.execute(
                "UPDATE chats SET paused = 0 WHERE chat_id = ? AND paused = 1", [chat_id]
            )
            if cursor.rowcount > 0:
                tx.execute(BUMP_VERSION)
        return cursor.rowcount > 0

    def counts(self) -> dict[str, int]:
        row = self._read(
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
    def _ensure_chat(tx: Marked, chat_id: int) -> None:
        tx.execute(
            """INSERT INTO chats (chat_id, digest, paused) VALUES (?, 0, 0)
               ON CONFLICT (chat_id) DO NOTHING""",
            [chat_id],
        )


_CHAT = "SELECT chat_id, digest, paused, last_digest_at FROM chats"
ACTIVE_SUBSCRIPTIONS = (
    "SELECT "
    + ", ".join("s." + c.strip() for c in SUBSCRIPTION_COLUMNS.split(","))
    + " FROM subscriptions s LEFT JOIN chats c ON c.chat_id = s.chat_id"
    " WHERE COALESCE(c.paused, 0) = 0 ORDER BY s.id"
)


def check_limits(
    execute: Callable[..., Any],
    chat_id: int,
    thread_id: int | None,
    limit: int | None,
    user_id: int | None,
    user_limit: int | None,
) -> None:
    """SubscriptionLimitError when the chat (thread) follows `limit` topics already, or
    `user_id` made `user_limit` subscriptions across every chat and forum topic. Both
    backends: `execute` runs a statement (with `?` marks) of the add's transaction."""
    if limit is not None:
        (count,) = execute(
            """SELECT COUNT(*) FROM subscriptions WHERE chat_id = ?
                AND COALESCE(thread_id, 0) = ?""",
            [chat_id, thread_id or 0],
        ).fetchone()
        if count >= limit:
            raise SubscriptionLimitError(count)
    if user_limit is not None and user_id is not None:
        (count,) = execute(
            "SELECT COUNT(*) FROM subscriptions WHERE created_by = ?", [user_id]
        ).fetchone()
        if count >= user_limit:
            raise SubscriptionLimitError(count, per_user=True)


def move_chat_rows(execute: Callable[..., Any], old_chat_id: int, new_chat_id: int) -> int:
    """The chat's settings and subscriptions under its new id (both backends, in the
    caller's transaction); how many subscriptions moved. The new chat keeps its own
    settings if it has some already, and is not paused: it is where the bot now is."""
    execute(
        """INSERT INTO chats (chat_id, digest, paused, last_digest_at)
            SELECT ?, digest, 0, last_digest_at FROM chats WHERE chat_id = ?
            ON CONFLICT (chat_id) DO NOTHING""",
        [new_chat_id, old_chat_id],
    )
    execute("DELETE FROM chats WHERE chat_id = ?", [old_chat_id])
    # The chat's own settings (previews, quiet hours, zone, digest schedule) and paused topics
    # go with it too (index/state/chat_settings.py owns those tables).
    execute(
        """INSERT INTO chat_settings (chat_id, previews, quiet, quiet_from, quiet_until,
                                       timezone, digest_schedule, updated_at)
            SELECT ?, previews, quiet, quiet_from, quiet_until, timezone, digest_schedule,
                   updated_at FROM chat_settings WHERE chat_id = ?
            ON CONFLICT (chat_id) DO NOTHING""",
        [new_chat_id, old_chat_id],
    )
    execute("DELETE FROM chat_settings WHERE chat_id = ?", [old_chat_id])
    execute(
        "UPDATE paused_topics SET chat_id = ? WHERE chat_id = ?",
        [new_chat_id, old_chat_id],
    )
    return execute(
        "UPDATE subscriptions SET chat_id = ? WHERE chat_id = ?",
        [new_chat_id, old_chat_id],
    ).rowcount


def subscription_from_row(row: tuple) -> Subscription:
    return Subscription(
        id=int(row[0]),
        chat_id=int(row[1]),
        thread_id=row[2],
        topic=row[3],
        query=row[4] or "",
        required=tuple(json.loads(row[5] or "[]")),
        excluded=tuple(json.loads(row[6] or "[]")),
        created_at=row[7],
        created_by=row[8],
    )


def chat_from_row(row: tuple) -> ChatSettings:
    return ChatSettings(int(row[0]), bool(row[1]), bool(row[2]), row[3])


# -- the tables this module owns, created and changed by schema version (index/backends/sqlite/schema.py
# runs every owner's migrations in one ordered list)


def _create_chats_and_subscriptions(db: Transaction) -> None:
    """Schema version 1: chats and their subscriptions."""
    db["chats"].create(
        {"chat_id": int, "digest": int, "paused": int, "last_digest_at": str},
        pk="chat_id",
        defaults={"digest": 0, "paused": 0},
    )
    db["subscriptions"].create(
        {
            "id": int,
            "chat_id": int,
            "thread_id": int,
            "topic": str,
            "query": str,
            "required": str,
            "excluded": str,
            "created_at": str,
        },
        pk="id",
        not_null={"chat_id", "topic"},
    )
    db["subscriptions"].create_index(["chat_id"])


MIGRATIONS: dict[int, Migration] = {
    1: _create_chats_and_subscriptions,
    7: never_reuse_ids,
}
