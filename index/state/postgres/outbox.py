"""The alert outbox in PostgreSQL: the same rows, states and exactly-once rule as the SQLite
outbox (index/state/outbox.py, whose docstring draws the transitions), for many workers on many
machines at once.

A claim is one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)`: a worker passes
over rows another is claiming this instant instead of waiting for them, and a row it finds
claimed since its snapshot is checked again at its latest version, so no two workers ever hold
one row. A claim is a lease (`claimed_until`): a worker killed mid-send holds nothing once its
lease runs out, and another takes the row, resuming after the last piece recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

import psycopg

from index.clock import Clock, timestamp, utc_now
from index.state.interfaces import Delivery, NewDelivery, RetryPolicy
from index.state.outbox import (
    DELIVERY_FIELDS,
    GIVEN_UP,
    RELEASE,
    DeliveryOutbox,
    delivery_from_row,
    move_deliveries,
    next_try,
)
from index.storage.postgres.database import PostgresDatabase

_COLUMNS = ", ".join("d." + name.strip() for name in DELIVERY_FIELDS.split(","))
# Due, not held by a live claim, for a chat that is not paused.
_CLAIMABLE = """d.status = 'pending' AND COALESCE(d.next_attempt_at, '') <= %(now)s
    AND COALESCE(d.claimed_until, '') <= %(now)s AND COALESCE(c.paused, 0) = 0"""


class PostgresOutbox(DeliveryOutbox):
    """Reads and writes `alert_queue` and `deliveries`. `clock` gives the current UTC time
    (every worker's clock is taken to be right: leases are compared with it).

    The transitions (claim_due, claim_for_chat, release, store_body, record_pieces, defer,
    refuse, mark_failed) are the SQLite outbox's own: they hand `_claim` and `_update` SQL
    written with SQLite's `:name` and `?` marks, which those two here turn into psycopg's;
    the statements themselves are this class's."""

    def __init__(self, database: PostgresDatabase, clock: Clock = utc_now) -> None:
        super().__init__(database, clock)  # type: ignore[arg-type]

    def queued_articles(self, limit: int) -> list[tuple[str, str]]:
        """(article_id, queued_at) of articles not yet matched, oldest first."""
        rows = self.database.execute(
            "SELECT article_id, queued_at FROM alert_queue ORDER BY queued_at, seq LIMIT %s",
            [limit],
        )
        return [(row[0], row[1]) for row in rows]

    def settle(self, article_id: str, matches: Sequence[NewDelivery]) -> int:
        """Enqueue the matches of an article and take it off the queue, in one transaction;
        how many deliveries were new (a chat's topic gets an article at most once)."""
        now = timestamp(self.clock())
        ordered = sorted(matches, key=lambda m: -m.score)
        with self.database.transaction() as tx:
            added = tx.execute(
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
            tx.execute("DELETE FROM alert_queue WHERE article_id = %s", [article_id])
        return max(added, 0)

    def _claim(
        self, where: str, params: dict, worker: str, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        where = re.sub(r":(\w+)", r"%(\1)s", where)
        now = self.clock()
        values = {
            **params,
            "now": timestamp(now),
            "worker": worker,
            "until": timestamp(now + timedelta(seconds=lease_seconds)),
            "limit": limit,
        }
        rows = self.database.execute(
            f"""UPDATE deliveries SET claimed_by = %(worker)s, claimed_until = %(until)s
                WHERE id IN (SELECT d.id FROM deliveries d
                    LEFT JOIN chats c ON c.chat_id = d.chat_id
                    WHERE {_CLAIMABLE} AND {where} ORDER BY d.id LIMIT %(limit)s
                    FOR UPDATE OF d SKIP LOCKED)
                RETURNING {DELIVERY_FIELDS}""",
            values,
        ).fetchall()
        return sorted((delivery_from_row(row) for row in rows), key=lambda d: d.id)

    def retry_later(
        self, ids: Sequence[int], worker: str, error: str, policy: RetryPolicy
    ) -> list[int]:
        """Count a failed attempt and back off; the ids whose retry window is over are given
        up (failed, or partial when some pieces arrived) and returned."""
        now = self.clock()
        given_up = []
        with self.database.transaction() as tx:
            rows = tx.execute(
                """SELECT id, attempts, created_at FROM deliveries WHERE id = ANY(%s)
                   AND claimed_by = %s AND status = 'pending' ORDER BY id FOR UPDATE""",
                [list(ids), worker],
            ).fetchall()
            for delivery_id, attempts, created_at in rows:
                attempts = int(attempts or 0) + 1
                retry_at = next_try(attempts, created_at, now, policy)
                if retry_at is None:
                    given_up.append(delivery_id)
                    changes, values = f"status = {GIVEN_UP}, {RELEASE}", []
                else:
                    changes, values = f"next_attempt_at = %s, {RELEASE}", [timestamp(retry_at)]
                tx.execute(
                    f"""UPDATE deliveries SET attempts = %s, last_error = %s, {changes}
                        WHERE id = %s""",
                    [attempts, error[:500], *values, delivery_id],
                )
        order = {delivery_id: n for n, delivery_id in enumerate(ids)}
        return sorted(given_up, key=order.__getitem__)

    @staticmethod
    def cancel_for_subscriptions(tx: psycopg.Connection, subscription_ids: Sequence[int]) -> None:
        """Unsubscribed: the subscriptions' waiting deliveries become cancelled, in `tx`."""
        tx.execute(
            f"""UPDATE deliveries SET status = 'cancelled', {RELEASE}
                WHERE subscription_id = ANY(%s) AND status = 'pending'""",
            [list(subscription_ids)],
        )

    @staticmethod
    def move_for_chat(tx: psycopg.Connection, old_chat_id: int, new_chat_id: int) -> None:
        """The chat got a new id: its alerts go with it, in `tx`."""
        move_deliveries(tx.execute, "%s", old_chat_id, new_chat_id)

    @staticmethod
    def hold_for_chat(tx: psycopg.Connection, chat_id: int) -> None:
        """The chat was paused: its waiting deliveries become paused, in `tx`."""
        tx.execute(
            f"""UPDATE deliveries SET status = 'paused', {RELEASE}
                WHERE chat_id = %s AND status = 'pending'""",
            [chat_id],
        )

    def next_due_at(self) -> datetime | None:
        """When the earliest pending one-by-one delivery can be claimed (None: nothing waits)."""
        row = self.database.execute(
            """SELECT MIN(GREATEST(COALESCE(d.next_attempt_at, ''),
                                   COALESCE(d.claimed_until, '')))
               FROM deliveries d LEFT JOIN chats c ON c.chat_id = d.chat_id
               WHERE d.status = 'pending' AND COALESCE(c.digest, 0) = 0
               AND COALESCE(c.paused, 0) = 0"""
        ).fetchone()
        if row[0] is None:
            return None
        return datetime.fromisoformat(row[0]) if row[0] else self.clock()

    def get(self, delivery_id: int) -> Delivery | None:
        row = self.database.execute(
            f"SELECT {_COLUMNS} FROM deliveries d WHERE d.id = %s", [delivery_id]
        ).fetchone()
        return delivery_from_row(row) if row else None

    def counts(self) -> dict[str, int]:
        rows = self.database.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
        counts = {row[0]: int(row[1]) for row in rows}
        queued = self.database.execute("SELECT COUNT(*) FROM alert_queue").fetchone()[0]
        return {**counts, "queued_articles": int(queued)}

    def _update(
        self, ids: Sequence[int], worker: str, changes: str, values: list, extra: str = ""
    ) -> int:
        """Change pending rows that `worker` still holds; returns how many it changed."""
        if not ids:
            return 0
        changes = changes.replace("?", "%s")
        cursor = self.database.execute(
            f"""UPDATE deliveries SET {changes} WHERE id = ANY(%s) AND claimed_by = %s
                AND status = 'pending' {extra}""",
            [*values, list(ids), worker],
        )
        return cursor.rowcount


def create_outbox(db: psycopg.Connection) -> None:
    """The deliveries and the queue of articles to match, filled by a trigger on articles in
    the transaction that stores each (whoever stores it), as in SQLite. Ids are given by
    default, not always, so `newsbot migrate` can copy rows with theirs."""
    db.execute(
        """CREATE TABLE deliveries (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            chat_id bigint NOT NULL,
            thread_id bigint,
            article_id text NOT NULL,
            subscription_id bigint,
            passage_id bigint,
            score double precision,
            status text NOT NULL DEFAULT 'pending',
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at text,
            last_error text,
            created_at text,
            sent_at text,
            claimed_by text,
            claimed_until text,
            pieces_sent integer NOT NULL DEFAULT 0,
            body text
        )"""
    )
    db.execute(
        """CREATE UNIQUE INDEX deliveries_chat_thread_article
           ON deliveries (chat_id, COALESCE(thread_id, 0), article_id)"""
    )
    db.execute("CREATE INDEX deliveries_status ON deliveries (status, next_attempt_at)")
    db.execute("CREATE INDEX deliveries_subscription ON deliveries (subscription_id)")
    db.execute(
        """CREATE TABLE alert_queue (
            seq bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE,
            article_id text PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            queued_at text NOT NULL
        )"""
    )
    db.execute(
        """CREATE FUNCTION newsbot_queue_alert() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             INSERT INTO alert_queue (article_id, queued_at)
             VALUES (NEW.id, COALESCE(NEW.ingested_at, '')) ON CONFLICT DO NOTHING;
             RETURN NULL;
           END $$"""
    )
    db.execute(
        """CREATE TRIGGER articles_queue_alerts AFTER INSERT ON articles
           FOR EACH ROW WHEN (NEW.duplicate_of IS NULL)
           EXECUTE FUNCTION newsbot_queue_alert()"""
    )


MIGRATIONS = {2: create_outbox}
