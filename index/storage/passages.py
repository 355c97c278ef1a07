"""Articles and passages in SQLite: the source of truth the vector index is rebuilt from."""

from __future__ import annotations

from collections.abc import Sequence

from index.embedding.sentence_vectors import SentenceVectors
from index.storage.article_rows import (
    ARTICLE_COLUMNS,
    STORY_INDEXES,
    article_values,
    near_duplicate_of,
)
from index.storage.database import Database, Migration, Transaction
from index.storage.interfaces import StoredArticle
from index.storage.passage_reads import PassageReads
from index.text.articles import Article
from index.text.near_duplicates import simhash
from index.text.passages import PassageSpan


class SqlitePassageStore(PassageReads):
    """Reads and writes articles and passages in the SQLite file; lexical search through
    FTS5. What both backends read alike is PassageReads'."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self._df_cache: dict[tuple[str, int], int] = {}

    def add_article(
        self,
        article: Article,
        spans: Sequence[PassageSpan],
        feed_url: str | None = None,
        sentences: Sequence[SentenceVectors] | None = None,
    ) -> StoredArticle:
        """Store the article and its passages (with each passage's sentence vectors, when
        given) in one transaction; a no-op if already stored.

        A near-identical copy of a stored story is recorded (duplicate_of) without passages,
        so it is neither searched nor alerted twice.
        """
        article_id = article.id
        fingerprint = simhash(article.text)
        with self.database.transaction() as tx:
            if tx.execute("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchone():
                return StoredArticle(article_id, False, None, ())
            duplicate_of = near_duplicate_of(
                article.text,
                fingerprint,
                lambda b: tx.execute(
                    """SELECT id, simhash FROM articles WHERE duplicate_of IS NULL AND
                       (band0 = ? OR band1 = ? OR band2 = ? OR band3 = ?)""",
                    list(b),
                ).fetchall(),
            )
            tx.execute(
                f"""INSERT INTO articles ({", ".join(ARTICLE_COLUMNS)})
                    VALUES ({", ".join("?" * len(ARTICLE_COLUMNS))})""",
                article_values(article, fingerprint, duplicate_of, feed_url),
            )
            ids: list[int] = []
            if duplicate_of is None:
                for ordinal, span in enumerate(spans):
                    cursor = tx.execute(
                        """INSERT INTO passages (article_id, ordinal, start, "end", title, text)
                           VALUES (?, ?, ?, ?, ?, ?)""",
                        [
                            article_id,
                            ordinal,
                            span.start,
                            span.end,
                            article.title,
                            article.text[span.start : span.end],
                        ],
                    )
                    ids.append(int(cursor.lastrowid))
                if sentences is not None:
                    _put_sentences(tx, zip(ids, sentences, strict=True))
        return StoredArticle(article_id, True, duplicate_of, tuple(ids))

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        title_weight: float = 1.0,
        text_weight: float = 1.0,
        after_id: int = 0,
        published_by: str | None = None,
    ) -> list[tuple[int, float]]:
        """BM25 over passage title and text, among passages with id > after_id (and, with
        `published_by`, of articles published by then or undated): (passage_id, score) with
        higher = better."""
        words = [t.replace('"', "") for t in terms if t.replace('"', "").strip()]
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
        if published_by is None:
            rows = self._db.execute(
                """SELECT rowid, bm25(passages_fts, ?, ?) AS rank FROM passages_fts
                   WHERE passages_fts MATCH ? AND rowid > ? ORDER BY rank LIMIT ?""",
                [title_weight, text_weight, match, after_id, k],
            ).fetchall()
        else:
            # Filtered before LIMIT: a later story cannot take an earlier one's place.
            rows = self._db.execute(
                """SELECT passages_fts.rowid, bm25(passages_fts, ?, ?) AS rank FROM passages_fts
                   JOIN passages p ON p.id = passages_fts.rowid
                   JOIN articles a ON a.id = p.article_id
                   WHERE passages_fts MATCH ? AND passages_fts.rowid > ?
                     AND (a.published IS NULL OR a.published <= ?)
                   ORDER BY rank LIMIT ?""",
                [title_weight, text_weight, match, after_id, published_by, k],
            ).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def document_frequencies(self, terms: Sequence[str], after_id: int = 0) -> dict[str, int]:
        """How many passages with id > after_id contain each term (after FTS stemming);
        cached, as it moves slowly."""
        out = {}
        for term in terms:
            cleaned = term.replace('"', "")
            if not cleaned:
                continue
            cached = self._df_cache.get((cleaned, after_id))
            if cached is None:
                cached = int(
                    self._db.execute(
                        "SELECT COUNT(*) FROM passages_fts WHERE passages_fts MATCH ? AND rowid > ?",
                        [f'text:"{cleaned}"', after_id],
                    ).fetchone()[0]
                )
                if len(self._df_cache) > 50_000:
                    self._df_cache.clear()
                self._df_cache[(cleaned, after_id)] = cached
            out[term] = cached
        return out

    def passage_summary(self) -> tuple[int, int]:
        """(count, max id) of passages: a cheap consistency check against the vector index."""
        count, max_id = self._db.execute(
            "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM passages"
        ).fetchone()
        return int(count), int(max_id)

    def counts(self) -> dict[str, int]:
        """Articles, duplicates (linked to their original) and passages stored."""
        db = self._db
        one = lambda sql: int(db.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "articles": one("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NULL"),
            "duplicates": one("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL"),
            "passages": one("SELECT COUNT(*) FROM passages"),
        }

    def _put_sentences(self, tx: Transaction, rows) -> None:
        _put_sentences(tx, rows)

    @property
    def _db(self):
        return self.database.connection()


# -- the tables this module owns, created and changed by schema version (index/backends/sqlite/schema.py
# runs every owner's migrations in one ordered list)


def _create_articles_and_passages(db: Transaction) -> None:
    """Schema version 1: articles, their passages and the passages' full-text index."""
    db["articles"].create(
        {
            "id": str,
            "url": str,
            "title": str,
            "source": str,
            "published": str,
            "text": str,
            "simhash": int,
            "band0": int,
            "band1": int,
            "band2": int,
            "band3": int,
            "duplicate_of": str,
            "feed_url": str,
            "ingested_at": str,
        },
        pk="id",
    )
    for band in ("band0", "band1", "band2", "band3"):
        db["articles"].create_index([band])
    db["articles"].create_index(["published"])
    db["articles"].create_index(["ingested_at"])
    db.execute(
        """CREATE TABLE passages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL
        )"""
    )
    db["passages"].create_index(["article_id"])
    db["passages"].enable_fts(["title", "text"], tokenize="porter", create_triggers=True)


def _create_passage_sentences(db: Transaction) -> None:
    """Schema version 5: each passage's sentences and their vectors (SentenceVectors blobs).
    A passage without a row (an archive from before, an embedder that cannot pool) is
    answered by the question's words alone until `newsbot reindex` fills it."""
    db.execute(
        """CREATE TABLE passage_sentences (
            passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
            spans BLOB NOT NULL,
            vectors BLOB NOT NULL
        )"""
    )


def _put_sentences(tx: Transaction, rows) -> None:
    records = []
    for passage_id, sentences in rows:
        spans, vectors = sentences.to_blobs()
        records.append({"passage_id": passage_id, "spans": spans, "vectors": vectors})
    tx["passage_sentences"].insert_all(records, replace=True)


def _story_indexes(db: Transaction) -> None:
    """Schema version 9: the newest originals, and the copies of an original, read by index
    (/latest and /today list them; without these each listing reads every article row)."""
    for statement in STORY_INDEXES:
        db.execute(statement)


MIGRATIONS: dict[int, Migration] = {
    1: _create_articles_and_passages,
    5: _create_passage_sentences,
    9: _story_indexes,
}
