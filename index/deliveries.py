"""The alert outbox: one row per chat and article (UNIQUE), with status and attempts.

    alert_queue (filled by a trigger on articles) --settle()--> deliveries: pending
    pending --mark_sent()--> sent
    pending --retry_later()--> pending, later; after max attempts: failed
    pending --pause (403)--> paused;   pending --unsubscribe--> cancelled

A delivery is marked sent only after Telegram accepted it, so a crash in between sends it
again on restart (at least once); the UNIQUE key and the queue make sure nothing is
matched or enqueued twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from index.database import Database

MAX_RETRY_DELAY = timedelta(hours=1)


def moment(at: datetime | None = None) -> str:
    """A UTC timestamp that sorts as text (milliseconds, so short retries compare right)."""
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class NewDelivery:
    chat_id: int
    thread_id: int | None
    subscription_id: int
    passage_id: int
    score: float


@dataclass(frozen=True)
class Delivery:
    id: int
    chat_id: int
    thread_id: int | None
    article_id: str
    subscription_id: int | None
    passage_id: int | None
    score: float
    status: str
    attempts: int


_COLUMNS = (
    "d.id, d.chat_id, d.thread_id, d.article_id, d.subscription_id, d.passage_id, d.score,"
    " d.status, d.attempts"
)


class DeliveryOutbox:
    """Reads and writes `alert_queue` and `deliveries`."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- the queue of articles to match

    def queued_articles(self, limit: int) -> list[tuple[str, str]]:
        """(article_id, queued_at) of articles not yet matched, oldest first."""
        rows = self._db.execute(
            "SELECT article_id, queued_at FROM alert_queue ORDER BY queued_at, rowid LIMIT ?",
            [limit],
        )
        return [(row[0], row[1]) for row in rows]

    def settle(self, article_id: str, matches: Sequence[NewDelivery]) -> int:
        """Enqueue the matches of an article and take it off the queue, in one transaction.
        Returns how many deliveries were new (a chat gets an article at most once)."""
        now = moment()
        rows = [
            (m.chat_id, m.thread_id, article_id, m.subscription_id, m.passage_id, m.score, now, now)
            for m in sorted(matches, key=lambda m: -m.score)
        ]
        with self.database.transaction() as tx:
            # One statement for all of an article's matches: a story that matches thousands
            # of subscriptions is written in milliseconds, not one round trip each.
            added = tx.conn.executemany(
                """INSERT OR IGNORE INTO deliveries (chat_id, thread_id, article_id,
                   subscription_id, passage_id, score, status, attempts, next_attempt_at,
                   created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)""",
                rows,
            ).rowcount
            tx.execute("DELETE FROM alert_queue WHERE article_id = ?", [article_id])
        return max(added, 0)

    # -- sending

    def due(self, limit: int, at: datetime | None = None) -> list[Delivery]:
        """Pending deliveries whose time has come, for chats taking alerts one by one."""
        rows = self._db.execute(
            f"""SELECT {_COLUMNS} FROM deliveries d LEFT JOIN chats c ON c.chat_id = d.chat_id
                WHERE d.status = 'pending' AND COALESCE(d.next_attempt_at, '') <= ?
                AND COALESCE(c.digest, 0) = 0 AND COALESCE(c.paused, 0) = 0
                ORDER BY d.id LIMIT ?""",
            [moment(at), limit],
        )
        return [_delivery(row) for row in rows]

    def next_due_at(self) -> datetime | None:
        """When the earliest pending one-by-one delivery becomes due (None: nothing waits)."""
        row = self._db.execute(
            """SELECT MIN(COALESCE(d.next_attempt_at, '')) FROM deliveries d
               LEFT JOIN chats c ON c.chat_id = d.chat_id WHERE d.status = 'pending'
               AND COALESCE(c.digest, 0) = 0 AND COALESCE(c.paused, 0) = 0"""
        ).fetchone()
        if row[0] is None:
            return None
        return datetime.fromisoformat(row[0]) if row[0] else datetime.now(UTC)

    def pending_for_chat(self, chat_id: int, limit: int) -> list[Delivery]:
        """A digest chat's waiting deliveries, oldest first."""
        rows = self._db.execute(
            f"""SELECT {_COLUMNS} FROM deliveries d WHERE d.chat_id = ?
                AND d.status = 'pending' ORDER BY d.id LIMIT ?""",
            [chat_id, limit],
        )
        return [_delivery(row) for row in rows]

    def mark_sent(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.database.transaction() as tx:
            tx.execute(
                f"""UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1,
                    last_error = NULL WHERE id IN ({",".join("?" * len(ids))})""",
                [moment(), *ids],
            )

    def retry_later(
        self, delivery_id: int, error: str, base_seconds: float, max_attempts: int
    ) -> bool:
        """Count a failed attempt and back off exponentially; False when it gave up (failed)."""
        with self.database.transaction() as tx:
            row = tx.execute("SELECT attempts FROM deliveries WHERE id = ?", [delivery_id])
            attempts = int((row.fetchone() or [0])[0]) + 1
            if attempts >= max_attempts:
                tx.execute(
                    """UPDATE deliveries SET status = 'failed', attempts = ?, last_error = ?
                       WHERE id = ?""",
                    [attempts, error[:500], delivery_id],
                )
                return False
            delay = min(timedelta(seconds=base_seconds * 2 ** (attempts - 1)), MAX_RETRY_DELAY)
            tx.execute(
                """UPDATE deliveries SET attempts = ?, last_error = ?, next_attempt_at = ?
                   WHERE id = ?""",
                [attempts, error[:500], moment(datetime.now(UTC) + delay), delivery_id],
            )
        return True

    def defer(self, delivery_id: int, until: datetime, error: str) -> None:
        """Flood control: try again at `until`. Not counted as an attempt (not its fault)."""
        with self.database.transaction() as tx:
            tx.execute(
                "UPDATE deliveries SET next_attempt_at = ?, last_error = ? WHERE id = ?",
                [moment(until), error[:500], delivery_id],
            )

    def mark_failed(self, delivery_id: int, error: str) -> None:
        with self.database.transaction() as tx:
            tx.execute(
                """UPDATE deliveries SET status = 'failed', attempts = attempts + 1,
                   last_error = ? WHERE id = ?""",
                [error[:500], delivery_id],
            )

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
        counts = {row[0]: int(row[1]) for row in rows}
        queued = int(self._db.execute("SELECT COUNT(*) FROM alert_queue").fetchone()[0])
        return {**counts, "queued_articles": queued}

    @property
    def _db(self):
        return self.database.connection()


def _delivery(row: tuple) -> Delivery:
    return Delivery(
        id=int(row[0]),
        chat_id=int(row[1]),
        thread_id=row[2],
        article_id=row[3],
        subscription_id=row[4],
        passage_id=row[5],
        score=float(row[6] or 0.0),
        status=row[7],
        attempts=int(row[8] or 0),
    )
