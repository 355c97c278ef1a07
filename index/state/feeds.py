"""The feeds the bot polls: who added them, their HTTP validators (ETag/Last-Modified) and how
the last poll went, so /feeds can show it and a restart resumes where it left off."""

from __future__ import annotations

from index.clock import Clock, timestamp, utc_now
from index.state.interfaces import FeedRecord
from index.state.statements import Statements
from index.storage.database import Migration, Transaction

FEED_COLUMNS = (
    "url, title, etag, last_modified, added_at, added_by, last_polled_at, last_error,"
    " error_count, article_count, items_skipped, last_item_error"
)


class FeedRegistry(Statements):
    """Reads and writes the `feeds` table."""

    # What else recording a poll sets, given the recording worker: nothing here (an SQLite
    # archive's feeds have no lease).
    _ALSO_POLLED = ""

    def __init__(self, database, clock: Clock = utc_now) -> None:
        """`clock`: the moments recorded. One process polls an SQLite archive, so its clock
        is the process's; the PostgreSQL registry keeps the server's."""
        super().__init__(database)
        self._now = clock

    def _polled_by(self, worker: str | None) -> list:
        return []

    def add(self, url: str, title: str, added_by: int | None = None) -> bool:
        """Register a feed; False when it was already registered (its title is refreshed)."""
        with self.database.transaction() as tx:
            if tx.execute("SELECT 1 FROM feeds WHERE url = ?", [url]).fetchone():
                tx.execute("UPDATE feeds SET title = ? WHERE url = ?", [title, url])
                return False
            tx.execute(
                "INSERT INTO feeds (url, title, added_at, added_by) VALUES (?, ?, ?, ?)",
                [url, title, timestamp(), added_by],
            )
        return True

    def remove(self, url: str) -> bool:
        return self._write("DELETE FROM feeds WHERE url = ?", [url]).rowcount > 0

    def get(self, url: str) -> FeedRecord | None:
        row = self._read(f"SELECT {FEED_COLUMNS} FROM feeds WHERE url = ?", [url]).fetchone()
        return feed_from_row(row) if row else None

    def all(self) -> list[FeedRecord]:
        """Every feed, oldest first (the order /feeds numbers them in)."""
        rows = self._read(
            f"SELECT {FEED_COLUMNS} FROM feeds ORDER BY added_at, {self.dialect.added_order}"
        )
        return [feed_from_row(row) for row in rows]

    def record_success(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        new_articles: int,
        items_skipped: int = 0,
        item_error: str | None = None,
        worker: str | None = None,
    ) -> None:
        """The feed was read; `items_skipped` of its items were not (the first reason kept).
        `worker`: who polled it, whose lease (only) the record ends."""
        self._write(
            f"""UPDATE feeds SET etag = ?, last_modified = ?, last_polled_at = ?,
                last_error = NULL, error_count = 0, article_count = article_count + ?,
                items_skipped = ?, last_item_error = ?{self._ALSO_POLLED}
                WHERE url = ?""",
            [
                etag,
                last_modified,
                timestamp(self._now()),
                new_articles,
                items_skipped,
                item_error[:500] if item_error else None,
                *self._polled_by(worker),
                url,
            ],
        )

    def record_failure(
        self, url: str, error: str, new_articles: int = 0, worker: str | None = None
    ) -> None:
        """The feed could not be read (or not in time); articles stored before that still
        count. `worker`: who polled it, whose lease (only) the record ends."""
        self._write(
            f"""UPDATE feeds SET last_polled_at = ?, last_error = ?,
                error_count = error_count + 1, article_count = article_count + ?{self._ALSO_POLLED}
                WHERE url = ?""",
            [timestamp(self._now()), error[:500], new_articles, *self._polled_by(worker), url],
        )

    def lease(self, url: str, worker: str, seconds: float, interval: float = 0.0) -> bool:
        """Always granted: one process polls an SQLite archive, one poll at a time."""
        return True

    def count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM feeds").fetchone()[0])


def feed_from_row(row: tuple) -> FeedRecord:
    return FeedRecord(*row[:8], int(row[8] or 0), int(row[9] or 0), int(row[10] or 0), row[11])


# -- the tables this module owns, created and changed by schema version (index/backends/sqlite/schema.py
# runs every owner's migrations in one ordered list)


def _create_feeds(db: Transaction) -> None:
    """Schema version 1: the feeds table."""
    db["feeds"].create(
        {
            "url": str,
            "title": str,
            "etag": str,
            "last_modified": str,
            "added_at": str,
            "added_by": int,
            "last_polled_at": str,
            "last_error": str,
            "error_count": int,
            "article_count": int,
        },
        pk="url",
        defaults={"error_count": 0, "article_count": 0},
    )


def _feed_health(db: Transaction) -> None:
    """Feed items skipped by the last poll (unreadable link, no text, ...) and why, so /feeds
    shows a feed that polls fine but loses items."""
    db.execute("ALTER TABLE feeds ADD COLUMN items_skipped INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE feeds ADD COLUMN last_item_error TEXT")


MIGRATIONS: dict[int, Migration] = {1: _create_feeds, 4: _feed_health}
