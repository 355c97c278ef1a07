"""The alert outbox: one row per chat, forum topic and article, claimed before it is sent.

    alert_queue (filled by a trigger on articles) --settle()--> deliveries: pending
    pending --claim_due() / claim_for_chat()--> pending, claimed by one worker for a lease
    claimed --store_body()--> the rendered pieces are kept, so a retry sends the same text
    claimed --record_pieces(k)--> pieces 1..k arrived; after the last piece: sent
    claimed --defer() (429)--> pending, later, not counted as an attempt
    claimed --retry_later() (network, 5xx)--> pending, later (capped exponential backoff);
        once the retry window since the row's creation is over: failed, or partial
    claimed --refuse() (400)--> failed if no piece arrived, partial if some did
    pending --pause (403)--> paused;   pending --unsubscribe--> cancelled
    a lease that runs out (the worker was killed) makes the row claimable again

Exactly once, precisely: each piece of an alert is sent at most once, because pieces_sent is
committed after Telegram accepts piece k and before piece k+1 is sent, and a retry starts at
the first piece not recorded. The one exception: when Telegram accepted a piece but its
pieces_sent was not committed (the worker crashed while the request or its answer was on the
way or before the commit, the connection dropped after Telegram accepted it, or the claim
was lost meanwhile), that one piece is sent again. Nothing is lost: a row leaves `pending`
only as sent, partial, failed, paused or cancelled, and a killed worker's claim runs out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from index.clock import Clock, timestamp, utc_now
from index.state.interfaces import Delivery, NewDelivery, RetryPolicy
from index.state.statements import Statements
from index.storage.database import Migration, Transaction
from index.storage.dialect import Marked

DELIVERY_FIELDS = (
    "id, chat_id, thread_id, article_id, subscription_id, passage_id, score, status, attempts,"
    " pieces_sent, body, created_at"
)
_COLUMNS = ", ".join("d." + name.strip() for name in DELIVERY_FIELDS.split(","))
# Due, not held by a live claim, for a chat that is not paused (the moment twice).
_CLAIMABLE = """d.status = 'pending' AND COALESCE(d.next_attempt_at, '') <= ?
    AND COALESCE(d.claimed_until, '') <= ? AND COALESCE(c.paused, 0) = 0"""
RELEASE = "claimed_by = NULL, claimed_until = NULL"
# Deliveries that are still waiting; unsubscribing or pausing withdraws them, and drops any
# claim on them: a sender holding one finds its claim gone and sends no further piece.
_WAITING = "status = 'pending'"


class DeliveryOutbox(Statements):
    """Reads and writes `alert_queue` and `deliveries`, on either backend. `clock` gives the
    current UTC time: the process's on SQLite (one process runs the bot on the file), the
    database server's on PostgreSQL (index/backends/postgres), since each worker's own clock
    may be off.

    A claim is one `UPDATE ... WHERE id IN (SELECT ...) RETURNING`: on SQLite the one writer
    at a time makes it atomic; on PostgreSQL the SELECT skips rows another worker is claiming
    this instant (SKIP LOCKED) instead of waiting for them, and a row it finds claimed since
    its snapshot is checked again at its latest version, so no two workers ever hold one row.
    """

    def __init__(self, database: Any, clock: Clock = utc_now) -> None:
        super().__init__(database)
        self.clock = clock

    # -- the queue of articles to match

    def queued_articles(self, limit: int) -> list[tuple[str, str]]:
        """(article_id, queued_at) of articles not yet matched, oldest first."""
        rows = self._read(
            "SELECT article_id, queued_at FROM alert_queue"
            f" ORDER BY queued_at, {self.dialect.added_order} LIMIT ?",
            [limit],
        )
        return [(row[0], row[1]) for row in rows]

    def settle(self, article_id: str, matches: Sequence[NewDelivery]) -> int:
        """Enqueue the matches of an article and take it off the queue, in one transaction.
        Returns how many deliveries were new (a chat's topic gets an article at most once)."""
        now = timestamp(self.clock())
        ordered = sorted(matches, key=lambda m: -m.score)
        insert = _INSERT_MATCHES[self.dialect.name]
        with self._transaction() as tx:
            # One statement for all of an article's matches: a story that matches thousands
            # of subscriptions is written in milliseconds, not one round trip each.
            added = insert(tx.transaction, article_id, ordered, now)
            tx.execute("DELETE FROM alert_queue WHERE article_id = ?", [article_id])
        return max(added, 0)

    # -- claiming

    def claim_due(self, worker: str, limit: int, lease_seconds: float) -> list[Delivery]:
        """Take up to `limit` due deliveries of chats taking alerts one by one, for `worker`
        alone until the lease runs out. Atomic: no two workers ever hold the same row."""
        return self._claim("COALESCE(c.digest, 0) = 0", [], worker, limit, lease_seconds)

    def claim_for_chat(
        self, chat_id: int, worker: str, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        """Take a digest chat's due deliveries, oldest first, the same way as `claim_due`."""
        return self._claim("d.chat_id = ?", [chat_id], worker, limit, lease_seconds)

    def _claim(
        self, where: str, params: list, worker: str, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        now = self.clock()
        until = timestamp(now + timedelta(seconds=lease_seconds))
        with self._transaction() as tx:
            rows = tx.execute(
                f"""UPDATE deliveries SET claimed_by = ?, claimed_until = ?
                    WHERE id IN (SELECT d.id FROM deliveries d
                        LEFT JOIN chats c ON c.chat_id = d.chat_id
                        WHERE {_CLAIMABLE} AND {where} ORDER BY d.id LIMIT ?
                        {self.dialect.skip_locked.format("d")})
                    RETURNING {DELIVERY_FIELDS}""",
                [worker, until, timestamp(now), timestamp(now), *params, limit],
            ).fetchall()
        return sorted((delivery_from_row(row) for row in rows), key=lambda d: d.id)

    def release(self, ids: Sequence[int], worker: str) -> None:
        """Give claimed rows back untouched (the worker stops before sending them)."""
        self._update(ids, worker, RELEASE, [])

    # -- progress

    def store_body(self, ids: Sequence[int], worker: str, pieces: Sequence[str]) -> bool:
        """Keep the rendered pieces of claimed rows that have none yet; False if the claim
        was lost. A retry then sends exactly these pieces, even if the renderer changed."""
        return self._update(
            ids, worker, "body = ?", [json.dumps(list(pieces))], "AND body IS NULL"
        ) == len(ids)

    def record_pieces(
        self, ids: Sequence[int], worker: str, pieces_sent: int, total: int, lease_seconds: float
    ) -> bool:
        """Telegram accepted pieces 1..pieces_sent (of total): commit it, renewing the lease;
        the last piece marks the rows sent. False if the claim was lost (stop sending)."""
        now = self.clock()
        if pieces_sent >= total:
            changes = f"""pieces_sent = ?, status = 'sent', sent_at = ?, attempts = attempts + 1,
                last_error = NULL, {RELEASE}"""
            values: list = [pieces_sent, timestamp(now)]
        else:
            changes = "pieces_sent = ?, claimed_until = ?"
            values = [pieces_sent, timestamp(now + timedelta(seconds=lease_seconds))]
        return self._update(ids, worker, changes, values) == len(ids)

    # -- what Telegram's refusals mean

    def defer(self, ids: Sequence[int], worker: str, until: datetime, error: str) -> None:
        """Flood control: try again at `until`. Not counted as an attempt (not its fault)."""
        self._update(
            ids,
            worker,
            f"next_attempt_at = ?, last_error = ?, {RELEASE}",
            [timestamp(until), error[:500]],
        )

    def retry_later(
        self, ids: Sequence[int], worker: str, error: str, policy: RetryPolicy
    ) -> list[int]:
        """Count a failed attempt and back off; the ids whose retry window is over are given
        up (failed, or partial when some pieces arrived) and returned, in the order given."""
        now = self.clock()
        given_up = []
        among, params = self.dialect.any_of("id", ids)
        with self._transaction() as tx:
            rows = tx.execute(
                f"""SELECT id, attempts, created_at FROM deliveries WHERE {among}
                    AND claimed_by = ? AND status = 'pending'
                    ORDER BY id{self.dialect.for_update}""",
                [*params, worker],
            ).fetchall()
            for delivery_id, attempts, created_at in rows:
                attempts = int(attempts or 0) + 1
                retry_at = next_try(attempts, created_at, now, policy)
                if retry_at is None:
                    given_up.append(delivery_id)
                    changes, values = f"status = {GIVEN_UP}, {RELEASE}", []
                else:
                    changes, values = f"next_attempt_at = ?, {RELEASE}", [timestamp(retry_at)]
                tx.execute(
                    f"UPDATE deliveries SET attempts = ?, last_error = ?, {changes} WHERE id = ?",
                    [attempts, error[:500], *values, delivery_id],
                )
        order = {delivery_id: n for n, delivery_id in enumerate(ids)}
        return sorted(given_up, key=order.__getitem__)

    def refuse(self, ids: Sequence[int], worker: str, error: str) -> None:
        """Telegram refused a piece for good (400): failed, or partial if pieces arrived."""
        changes = f"status = {GIVEN_UP}, attempts = attempts + 1, last_error = ?, {RELEASE}"
        self._update(ids, worker, changes, [error[:500]])

    def mark_failed(self, ids: Sequence[int], worker: str, error: str) -> None:
        """Nothing can be sent (the article is no longer stored)."""
        changes = f"status = 'failed', attempts = attempts + 1, last_error = ?, {RELEASE}"
        self._update(ids, worker, changes, [error[:500]])

    # -- withdrawn by the subscriptions, inside their transaction

    @staticmethod
    def cancel_for_subscriptions(tx: Marked, subscription_ids: Sequence[int]) -> None:
        """Unsubscribed: the subscriptions' waiting deliveries become cancelled, in `tx`, the
        transaction that deletes the subscriptions."""
        among, params = tx.dialect.any_of("subscription_id", subscription_ids)
        tx.execute(
            f"UPDATE deliveries SET status = 'cancelled', {RELEASE} WHERE {among} AND {_WAITING}",
            params,
        )

    @staticmethod
    def hold_for_chat(tx: Marked, chat_id: int) -> None:
        """The chat was paused: its waiting deliveries become paused, in `tx`, the
        transaction that pauses the chat."""
        tx.execute(
            f"UPDATE deliveries SET status = 'paused', {RELEASE} WHERE chat_id = ? AND {_WAITING}",
            [chat_id],
        )

    @staticmethod
    def move_for_chat(tx: Marked, old_chat_id: int, new_chat_id: int) -> None:
        """The chat got a new id: its alerts go with it, in `tx`, the transaction that moves
        its subscriptions, keeping the claims (a sender holding one sends it to the new id on
        its next try). One the new chat already has (the same article in the same forum
        topic) is not moved, and withdrawn if still waiting."""
        tx.execute(
            """UPDATE deliveries SET chat_id = ? WHERE chat_id = ? AND NOT EXISTS
                (SELECT 1 FROM deliveries e WHERE e.chat_id = ?
                 AND COALESCE(e.thread_id, 0) = COALESCE(deliveries.thread_id, 0)
                 AND e.article_id = deliveries.article_id)""",
            [new_chat_id, old_chat_id, new_chat_id],
        )
        tx.execute(
            f"UPDATE deliveries SET status = 'cancelled', {RELEASE} WHERE chat_id = ? AND {_WAITING}",
            [old_chat_id],
        )

    # -- reading

    def next_due_at(self) -> datetime | None:
        """When the earliest pending one-by-one delivery can be claimed (None: nothing waits)."""
        row = self._read(
            f"""SELECT MIN({self.dialect.greatest}(COALESCE(d.next_attempt_at, ''),
                                                  COALESCE(d.claimed_until, '')))
               FROM deliveries d LEFT JOIN chats c ON c.chat_id = d.chat_id
               WHERE d.status = 'pending' AND COALESCE(c.digest, 0) = 0
               AND COALESCE(c.paused, 0) = 0"""
        ).fetchone()
        if row[0] is None:
            return None
        return datetime.fromisoformat(row[0]) if row[0] else self.clock()

    def get(self, delivery_id: int) -> Delivery | None:
        row = self._read(
            f"SELECT {_COLUMNS} FROM deliveries d WHERE d.id = ?", [delivery_id]
        ).fetchone()
        return delivery_from_row(row) if row else None

    def counts(self) -> dict[str, int]:
        rows = self._read("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
        counts = {row[0]: int(row[1]) for row in rows}
        queued = int(self._read("SELECT COUNT(*) FROM alert_queue").fetchone()[0])
        return {**counts, "queued_articles": queued}

    def _update(
        self, ids: Sequence[int], worker: str, changes: str, values: list, extra: str = ""
    ) -> int:
        """Change pending rows that `worker` still holds; returns how many it changed."""
        if not ids:
            return 0
        among, params = self.dialect.any_of("id", ids)
        cursor = self._write(
            f"""UPDATE deliveries SET {changes} WHERE {among} AND claimed_by = ?
                AND status = 'pending' {extra}""",
            [*values, *params, worker],
        )
        return cursor.rowcount


def _insert_matches_sqlite(
    tx: Any, article_id: str, ordered: Sequence[NewDelivery], now: str
) -> int:
    """An article's matches in one executemany; how many were new."""
    return tx.conn.executemany(
        """INSERT OR IGNORE INTO deliveries (chat_id, thread_id, article_id,
           subscription_id, passage_id, score, status, attempts, next_attempt_at,
           created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)""",
        [
            (m.chat_id, m.thread_id, article_id, m.subscription_id, m.passage_id, m.score, now, now)
            for m in ordered
        ],
    ).rowcount


def _insert_matches_postgresql(
    tx: Any, article_id: str, ordered: Sequence[NewDelivery], now: str
) -> int:
    """An article's matches in one INSERT from arrays (unnest), in their order; how many
    were new."""
    return tx.execute(
        """INSERT INTO deliveries (chat_id, thread_id, article_id, subscription_id,
               passage_id, score, status, attempts, next_attempt_at, created_at)
           SELECT chat, thread, %(article)s, subscription, passage, score, 'pending', 0,
                  %(now)s, %(now)s
           FROM unnest(%(chats)s::bigint[], %(threads)s::bigint[],
                       %(subscriptions)s::bigint[], %(passages)s::bigint[],
                       %(scores)s::float8[])
                WITH ORDINALITY AS m(chat, thread, subscription, passage, score, n)
           ORDER BY n
           ON CONFLICT (chat_id, COALESCE(thread_id, 0), article_id) DO NOTHING""",
        {
            "article": article_id,
            "now": now,
            "chats": [m.chat_id for m in ordered],
            "threads": [m.thread_id for m in ordered],
            "subscriptions": [m.subscription_id for m in ordered],
            "passages": [m.passage_id for m in ordered],
            "scores": [m.score for m in ordered],
        },
    ).rowcount


# Bulk inserts are where the two drivers truly differ.
_INSERT_MATCHES = {"sqlite": _insert_matches_sqlite, "postgresql": _insert_matches_postgresql}


# Given up on: partial when some pieces arrived, so /stats tells the two apart.
GIVEN_UP = "CASE WHEN pieces_sent > 0 THEN 'partial' ELSE 'failed' END"


def next_try(
    attempts: int, created_at: str | None, now: datetime, policy: RetryPolicy
) -> datetime | None:
    """When a row that failed its `attempts`-th try goes again; None once its retry window
    (from `created_at`) is over. The last try falls on the window's end, not after it."""
    deadline = (datetime.fromisoformat(created_at) if created_at else now) + policy.window
    if now >= deadline:
        return None
    return min(now + policy.delay(attempts), deadline)


def delivery_from_row(row: tuple) -> Delivery:
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
        pieces_sent=int(row[9] or 0),
        body=tuple(json.loads(row[10])) if row[10] else None,
        created_at=row[11] or "",
    )


# -- the tables this module owns, created and changed by schema version (index/backends/sqlite/schema.py
# runs every owner's migrations in one ordered list)


def _create_deliveries(db: Transaction) -> None:
    """Schema version 1: the deliveries table."""
    db["deliveries"].create(
        {
            "id": int,
            "chat_id": int,
            "thread_id": int,
            "article_id": str,
            "subscription_id": int,
            "passage_id": int,
            "score": float,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        defaults={"status": "pending", "attempts": 0},
    )
    db["deliveries"].create_index(["chat_id", "article_id"], unique=True)
    db["deliveries"].create_index(["status", "next_attempt_at"])


def _alert_queue(db: Transaction) -> None:
    """Articles waiting to be matched against topic subscriptions.

    A trigger fills it, so every new (non-duplicate) article is queued in the same
    transaction that stores it, whoever stores it (the bot's feed poller, `newsbot ingest`):
    a crash can neither lose an alert nor match an article twice.
    """
    db.execute(
        """CREATE TABLE alert_queue (
            article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            queued_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TRIGGER articles_queue_alerts AFTER INSERT ON articles
           WHEN NEW.duplicate_of IS NULL
           BEGIN
               INSERT OR IGNORE INTO alert_queue (article_id, queued_at)
               VALUES (NEW.id, COALESCE(NEW.ingested_at, ''));
           END"""
    )


def _outbox_claims(db: Transaction) -> None:
    """The outbox keyed by forum topic too, with a claim (a lease) and progress per row.

    SQLite cannot put COALESCE in a table's UNIQUE constraint, but can in a unique index on
    an expression: a group's topics each get the article, the topic-less chat (NULL) once.
    The old key (chat, article) was stricter, so existing rows all fit the new one. `body`
    keeps the rendered pieces (JSON) from the first attempt, and `pieces_sent` how many of
    them Telegram accepted, so a retry sends the rest of the same text.
    """
    for column in (
        "claimed_by TEXT",
        "claimed_until TEXT",
        "pieces_sent INTEGER NOT NULL DEFAULT 0",
        "body TEXT",
    ):
        db.execute(f"ALTER TABLE deliveries ADD COLUMN {column}")
    db.execute("DROP INDEX IF EXISTS idx_deliveries_chat_id_article_id")
    db.execute(
        """CREATE UNIQUE INDEX deliveries_chat_thread_article
           ON deliveries (chat_id, COALESCE(thread_id, 0), article_id)"""
    )


MIGRATIONS: dict[int, Migration] = {1: _create_deliveries, 2: _alert_queue, 3: _outbox_claims}
