"""The feeds the bot polls, in PostgreSQL: the same registry as index/state/feeds.py, and a
lease per feed, so two workers never poll one feed at once and a feed is read once per poll
interval however many workers poll.

`leased_by` names the worker polling the feed, or the one that polled it last once the poll
is recorded (`leased_until` is then empty): that worker polls it again on its own schedule,
and another takes it only when its last poll is an interval old (its poller stopped or fell
behind)."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from index.clock import timestamp, utc_now
from index.state.feeds import FEED_COLUMNS, feed_from_row
from index.state.interfaces import FeedRecord
from index.storage.postgres.database import PostgresDatabase

# Recording a poll ends its lease; `leased_by` stays, naming the feed's last poller.
_POLLED = "leased_until = NULL"


class PostgresFeeds:
    """Reads and writes the `feeds` table."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    def add(self, url: str, title: str, added_by: int | None = None) -> bool:
        """Register a feed; False when it was already registered (its title is refreshed)."""
        row = self.database.execute(
            """INSERT INTO feeds (url, title, added_at, added_by) VALUES (%s, %s, %s, %s)
               ON CONFLICT (url) DO UPDATE SET title = EXCLUDED.title
               RETURNING xmax = 0""",
            [url, title, timestamp(), added_by],
        ).fetchone()
        return bool(row[0])  # xmax is 0 on a row just inserted, not on one updated

    def remove(self, url: str) -> bool:
        return self.database.execute("DELETE FROM feeds WHERE url = %s", [url]).rowcount > 0

    def get(self, url: str) -> FeedRecord | None:
        row = self.database.execute(
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE url = %s", [url]
        ).fetchone()
        return feed_from_row(row) if row else None

    def all(self) -> list[FeedRecord]:
        """Every feed, oldest first (the order /feeds numbers them in)."""
        rows = self.database.execute(f"SELECT {FEED_COLUMNS} FROM feeds ORDER BY added_at, seq")
        return [feed_from_row(row) for row in rows]

    def lease(self, url: str, worker: str, seconds: float, interval: float = 0.0) -> bool:
        """Take the feed for `worker` until its poll is recorded, or `seconds` pass (the
        worker was killed); False while another worker's lease runs, or when another worker
        recorded a poll of it less than `interval` seconds ago."""
        now = utc_now()
        cursor = self.database.execute(
            """UPDATE feeds SET leased_by = %(worker)s, leased_until = %(until)s
               WHERE url = %(url)s
               AND (leased_until IS NULL OR leased_until <= %(now)s OR leased_by = %(worker)s)
               AND (leased_by IS NULL OR leased_by = %(worker)s OR last_polled_at IS NULL
                    OR last_polled_at <= %(due)s)""",
            {
                "worker": worker,
                "until": timestamp(now + timedelta(seconds=seconds)),
                "url": url,
                "now": timestamp(now),
                "due": timestamp(now - timedelta(seconds=interval)),
            },
        )
        return cursor.rowcount > 0

    def record_success(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        new_articles: int,
        items_skipped: int = 0,
        item_error: str | None = None,
    ) -> None:
        """The feed was read; `items_skipped` of its items were not (the first reason kept)."""
        self.database.execute(
            f"""UPDATE feeds SET etag = %s, last_modified = %s, last_polled_at = %s,
                last_error = NULL, error_count = 0, article_count = article_count + %s,
                items_skipped = %s, last_item_error = %s, {_POLLED}
                WHERE url = %s""",
            [
                etag,
                last_modified,
                timestamp(),
                new_articles,
                items_skipped,
                item_error[:500] if item_error else None,
                url,
            ],
        )

    def record_failure(self, url: str, error: str, new_articles: int = 0) -> None:
        """The feed could not be read (or not in time); articles stored before that count."""
        self.database.execute(
            f"""UPDATE feeds SET last_polled_at = %s, last_error = %s,
                error_count = error_count + 1, article_count = article_count + %s, {_POLLED}
                WHERE url = %s""",
            [timestamp(), error[:500], new_articles, url],
        )

    def count(self) -> int:
        return int(self.database.execute("SELECT COUNT(*) FROM feeds").fetchone()[0])


def create_feeds(db: psycopg.Connection) -> None:
    """The feeds, in the order they were added (`seq`), with the poll lease."""
    db.execute(
        """CREATE TABLE feeds (
            url text PRIMARY KEY,
            title text,
            etag text,
            last_modified text,
            added_at text,
            added_by bigint,
            last_polled_at text,
            last_error text,
            error_count integer NOT NULL DEFAULT 0,
            article_count integer NOT NULL DEFAULT 0,
            items_skipped integer NOT NULL DEFAULT 0,
            last_item_error text,
            seq bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE,
            leased_by text,
            leased_until text
        )"""
    )


MIGRATIONS = {2: create_feeds}
