"""What both passage stores write for an article, decided once: its row's columns and values,
and whether it is a near-copy of a stored story (SimHash bands find the candidates, the
Hamming distance decides)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from index.clock import timestamp
from index.storage.interfaces import StoryRecord
from index.text.articles import Article
from index.text.near_duplicates import bands, is_near_duplicate

ARTICLE_COLUMNS = (
    "id",
    "url",
    "title",
    "source",
    "published",
    "text",
    "simhash",
    "band0",
    "band1",
    "band2",
    "band3",
    "duplicate_of",
    "feed_url",
    "ingested_at",
)

# Texts shorter than this are too small for a fingerprint to tell stories apart.
MIN_WORDS_FOR_DUPLICATE_CHECK = 50

# (band0, band1, band2, band3) -> (id, simhash) of stored originals sharing any band.
Candidates = Callable[[tuple[int, int, int, int]], Iterable[tuple[str, int | None]]]


def article_values(
    article: Article, fingerprint: int, duplicate_of: str | None, feed_url: str | None
) -> list:
    """The article's row, in ARTICLE_COLUMNS order."""
    return [
        article.id,
        article.url,
        article.title,
        article.source,
        article.published,
        article.text,
        fingerprint,
        *bands(fingerprint),
        duplicate_of,
        feed_url,
        timestamp(),
    ]


def near_duplicate_of(text: str, fingerprint: int, candidates: Candidates) -> str | None:
    """The id of a stored story this text nearly copies, or None."""
    if len(text.split()) < MIN_WORDS_FOR_DUPLICATE_CHECK:
        return None
    for other_id, other_hash in candidates(bands(fingerprint)):
        if other_hash is not None and is_near_duplicate(fingerprint, other_hash):
            return other_id
    return None


# Stories of a time range, newest first (`?` marks: Dialect.sql). The partial
# indexes of schema version 9 (SQLite) / 7 (PostgreSQL) serve both statements.
STORIES_SQL = """SELECT a.id, a.title, a.source, a.url, a.published,
        (SELECT MIN(p.id) FROM passages p WHERE p.article_id = a.id)
    FROM articles a
    WHERE a.duplicate_of IS NULL AND a.published >= ? AND a.published < ?
    ORDER BY a.published DESC, a.id LIMIT ?"""
COPIES_SQL = "SELECT duplicate_of, source FROM articles WHERE {among}"
STORY_INDEXES = (
    "CREATE INDEX articles_original_published ON articles (published) WHERE duplicate_of IS NULL",
    "CREATE INDEX articles_copies ON articles (duplicate_of, source)"
    " WHERE duplicate_of IS NOT NULL",
)


def copies_by_original(rows: Iterable[Sequence[str]]) -> dict[str, list[str]]:
    """COPIES_SQL rows (original id, copy's outlet) by original."""
    outlets: dict[str, list[str]] = {}
    for original, source in rows:
        outlets.setdefault(original, []).append(source or "")
    return outlets


def story_records(rows: Iterable[Sequence], outlets: dict[str, list[str]]) -> list[StoryRecord]:
    """StoryRecords from STORIES_SQL rows and the copies' outlets by original."""
    return [
        StoryRecord(
            article_id=row[0],
            title=row[1] or "",
            source=row[2] or "",
            url=row[3],
            published=row[4],
            first_passage=None if row[5] is None else int(row[5]),
            copies=tuple(outlets.get(row[0], ())),
        )
        for row in rows
    ]
