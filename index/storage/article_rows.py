"""What both passage stores write for an article, decided once: its row's columns and values,
and whether it is a near-copy of a stored story (SimHash bands find the candidates, the
Hamming distance decides)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from index.clock import timestamp
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
