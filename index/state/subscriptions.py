"""Topic subscriptions and per-chat alert settings (digest mode, paused after a 403).

A subscription belongs to a chat and, in forum groups, to one topic thread of it. Topics are
stored as typed and as parsed (query words, +required, -excluded) so matching never has to
parse them again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from index.clock import timestamp
from index.state.interfaces import ChatSettings, Subscription, SubscriptionLimitError
from index.state.outbox import DeliveryOutbox
from index.storage.database import Database, Migration, Transaction

SUBSCRIPTION_COLUMNS = "id, chat_id, thread_id, topic, query, required, excluded, created_at"


class SubscriptionStore:
    """Reads and writes the `subscriptions` and `chats` tables; the alerts waiting for them
    are withdrawn by the outbox, inside the same transaction."""

    def __init__(self, database: Database) -> None:
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
    ) -> tuple[Subscription, bool]:
        """Subscribe a chat (thread) to a topic; (subscription, False) if it already was.

        With `limit`, raises SubscriptionLimitError when the chat (thread) already follows that
        many topics; counted in the insert's own transaction, so concurrent adds never pass it.
        """
        with self.database.transaction() as tx:
            self._ensure_chat(tx, chat_id)
            existing = tx.execute(
                f"""SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE chat_id = ?
                    AND COALESCE(thread_id, 0) = ? AND lower(topic) = lower(?)""",
                [chat_id, thread_id or 0, topic],
            ).fetchone()
            if existing:
                return subscription_from_row(existing), False
            if limit is not None:
                (count,) = tx.execute(
                    """SELECT COUNT(*) FROM subscriptions WHERE chat_id = ?
                       AND COALESCE(thread_id, 0) = ?""",
                    [chat_id, thread_id or 0],
                ).fetchone()
                if count >= limit:
                    raise SubscriptionLimitError(count)
            cursor = tx.execute(
                """INSERT INTO subscriptions
                   (chat_id, thread_id, topic, query, required, excluded, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [
                    chat_id,
                    thread_id,
                    topic,
                    query,
                    json.dumps(list(required)),
                    json.dumps(list(excluded)),
                    timestamp(),
                ],
            )
            row = tx.execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?", [cursor.lastrowid]
            ).fetchone()
        return subscription_from_row(row), True

    def for_chat(self, chat_id: int, thread_id: int | None) -> list[Subscription]:
        rows = self._db.execute(
            f"""SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE chat_id = ?
                AND COALESCE(thread_id, 0) = ? ORDER BY id""",
            [chat_id, thread_id or 0],
        )
        return [subscription_from_row(row) for row in rows]

    def get(self, subscription_id: int) -> Subscription | None:
        row = self._db.execute(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?", [subscription_id]
        ).fetchone()
        return subscription_from_row(row) if row else None

    def active(self) -> list[Subscription]:
        """Subscriptions of chats that are not paused: the ones new articles are matched to.

        Alert matching asks for them every batch; with 10,000 subscriptions reading and
        parsing them all takes ~70 ms, so the list is kept until the set changes. Rows are
        only ever added or deleted (and chats paused or resumed), so count and ids tell.
        """
        active = (
            "FROM subscriptions s LEFT JOIN chats c ON c.chat_id = s.chat_id"
            " WHERE COALESCE(c.paused, 0) = 0"
        )
        signature = tuple(
            self._db.execute(f"SELECT COUNT(*), MAX(s.id), TOTAL(s.id) {active}").fetchone()
        )
        cached = self._active
        if cached is not None and cached[0] == signature:
            return list(cached[1])
        columns = ", ".join("s." + c.strip() for c in SUBSCRIPTION_COLUMNS.split(","))
        rows = self._db.execute(f"SELECT {columns} {active} ORDER BY s.id")
        found = [subscription_from_row(row) for row in rows]
        self._active = (signature, found)
        return list(found)

    def remove(self, chat_id: int, ids: Sequence[int]) -> list[Subscription]:
        """Remove these subscriptions of the chat (others' ids are ignored); returns them."""
        with self.database.transaction() as tx:
            marks = ",".join("?" * len(ids)) or "NULL"
            rows = tx.execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE chat_id = ? AND id IN ({marks})",
                [chat_id, *ids],
            ).fetchall()
            found = [row[0] for row in rows]
            if found:
                marks = ",".join("?" * len(found))
                DeliveryOutbox.cancel_for_subscriptions(tx, found)
                tx.execute(f"DELETE FROM subscriptions WHERE id IN ({marks})", found)
        return [subscription_from_row(row) for row in rows]

    def chat(self, chat_id: int) -> ChatSettings:
        row = self._db.execute(
            "SELECT chat_id, digest, paused, last_digest_at FROM chats WHERE chat_id = ?",
            [chat_id],
        ).fetchone()
        return chat_from_row(row) if row else ChatSettings(chat_id, False, False, None)

    def set_digest(self, chat_id: int, on: bool) -> None:
        with self.database.transaction() as tx:
            self._ensure_chat(tx, chat_id)
            tx.execute("UPDATE chats SET digest = ? WHERE chat_id = ?", [int(on), chat_id])

    def digest_chats(self) -> list[ChatSettings]:
        rows = self._db.execute(
            """SELECT chat_id, digest, paused, last_digest_at FROM chats
               WHERE digest = 1 AND paused = 0 ORDER BY chat_id"""
        )
        return [chat_from_row(row) for row in rows]

    def mark_digest_sent(self, chat_id: int, at: str) -> None:
        with self.database.transaction() as tx:
            tx.execute("UPDATE chats SET last_digest_at = ? WHERE chat_id = ?", [at, chat_id])

    def pause_chat(self, chat_id: int) -> None:
        """The chat cannot be reached: stop matching for it and hold its waiting alerts."""
        with self.database.transaction() as tx:
            self._ensure_chat(tx, chat_id)
            tx.execute("UPDATE chats SET paused = 1 WHERE chat_id = ?", [chat_id])
            DeliveryOutbox.hold_for_chat(tx, chat_id)

    def resume_chat(self, chat_id: int) -> bool:
        """The chat is reachable again; True if it had been paused. Held alerts stay held:
        they are old news by now."""
        with self.database.transaction() as tx:
            cursor = tx.execute(
                "UPDATE chats SET paused = 0 WHERE chat_id = ? AND paused = 1", [chat_id]
            )
        return cursor.rowcount > 0

    def counts(self) -> dict[str, int]:
        db = self._db
        return {
            "subscriptions": int(db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0]),
            "subscribed_chats": int(
                db.execute("SELECT COUNT(DISTINCT chat_id) FROM subscriptions").fetchone()[0]
            ),
            "paused_chats": int(
                db.execute("SELECT COUNT(*) FROM chats WHERE paused = 1").fetchone()[0]
            ),
        }

    @staticmethod
    def _ensure_chat(tx, chat_id: int) -> None:
        tx.execute(
            "INSERT OR IGNORE INTO chats (chat_id, digest, paused) VALUES (?, 0, 0)", [chat_id]
        )

    @property
    def _db(self):
        return self.database.connection()


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
    )


def chat_from_row(row: tuple) -> ChatSettings:
    return ChatSettings(int(row[0]), bool(row[1]), bool(row[2]), row[3])


# -- the tables this module owns, created and changed by schema version (index/schema.py
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


MIGRATIONS: dict[int, Migration] = {1: _create_chats_and_subscriptions}
