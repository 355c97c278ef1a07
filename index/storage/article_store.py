"""Articles and passages in SQLite: the source of truth the vector index is rebuilt from."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from index.embedding.sentence_vectors import SentenceVectors
from index.storage.article_rows import (
    ARTICLE_COLUMNS,
    COPIES_SQL,
    STORIES_SQL,
    STORY_INDEXES,
    article_values,
    copies_by_original,
    near_duplicate_of,
    story_records,
)
from index.storage.database import Database, Migration, Transaction
from index.storage.interfaces import PassageRecord, StoredArticle, StoryRecord
from index.text.articles import Article
from index.text.near_duplicates import simhash
from index.text.passages import PassageSpan


class ArticleStore:
    """Reads and writes articles and passages; lexical search through FTS5."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._df_cache: dict[tuple[str, int], int] = {}

    def has_article(self, article_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchone()
        return row is not None

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

    def delete_article(self, article_id: str) -> list[int]:
        """Remove an article and its passages; returns the removed passage ids."""
        with self.database.transaction() as tx:
            ids = [
                r[0]
                for r in tx.execute("SELECT id FROM passages WHERE article_id = ?", [article_id])
            ]
            tx.execute(
                "DELETE FROM passage_sentences WHERE passage_id IN "
                "(SELECT id FROM passages WHERE article_id = ?)",
                [article_id],
            )
            tx.execute("DELETE FROM passages WHERE article_id = ?", [article_id])
            tx.execute("DELETE FROM articles WHERE id = ?", [article_id])
        return ids

    def passages(self, ids: Sequence[int]) -> dict[int, PassageRecord]:
        if not ids:
            return {}
        rows = self._db.execute(
            f"""SELECT p.id, p.article_id, p.ordinal, p.start, p."end", p.text, a.title,
                       a.source, a.url, a.published
                FROM passages p JOIN articles a ON a.id = p.article_id
                WHERE p.id IN ({",".join("?" * len(ids))})""",
            [int(i) for i in ids],
        ).fetchall()
        return {row[0]: PassageRecord(*row) for row in rows}

    def article_passages(self, article_id: str) -> list[PassageRecord]:
        ids = [
            r[0]
            for r in self._db.execute(
                "SELECT id FROM passages WHERE article_id = ? ORDER BY ordinal", [article_id]
            )
        ]
        found = self.passages(ids)
        return [found[i] for i in ids]

    def passage_ids_of_articles(self, article_ids: Sequence[str]) -> list[int]:
        """The passage ids of these articles (unknown ids are ignored)."""
        ids = list(article_ids)
        found: list[int] = []
        for start in range(0, len(ids), 500):  # under SQLite's limit on bound parameters
            chunk = ids[start : start + 500]
            found.extend(
                row[0]
                for row in self._db.execute(
                    f"SELECT id FROM passages WHERE article_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            )
        return found

    def article(self, article_id: str) -> dict | None:
        rows = list(self._db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
        return rows[0] if rows else None

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

    def passage_ids_published_after(self, moment: str) -> list[int]:
        """The passages of articles published after `moment` (ISO, UTC)."""
        return [
            r[0]
            for r in self._db.execute(
                """SELECT p.id FROM articles a JOIN passages p ON p.article_id = a.id
                   WHERE a.published > ?""",
                [moment],
            )
        ]

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

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, SentenceVectors]:
        """The stored sentence vectors of those passages that have them."""
        found: dict[int, SentenceVectors] = {}
        ids = list(dict.fromkeys(ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self._db.execute(
                "SELECT passage_id, spans, vectors FROM passage_sentences "
                f"WHERE passage_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update(SentenceVectors.read_rows(rows))
        return found

    def put_sentence_vectors(self, rows: Sequence[tuple[int, SentenceVectors]]) -> None:
        """Store (or replace) the sentence vectors of existing passages (re-indexing)."""
        with self.database.transaction() as tx:
            _put_sentences(tx, rows)

    def max_passage_id(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(id), 0) FROM passages").fetchone()[0])

    def iter_passages_for_embedding(
        self, after_id: int = 0, batch: int = 2048
    ) -> Iterator[list[tuple[int, str, str]]]:
        """(id, title, text) of every passage with id > after_id, in id order, in batches."""
        last = after_id
        while True:
            rows = self._db.execute(
                "SELECT id, title, text FROM passages WHERE id > ? ORDER BY id LIMIT ?",
                [last, batch],
            ).fetchall()
            if not rows:
                return
            yield [(int(r[0]), r[1], r[2]) for r in rows]
            last = rows[-1][0]

    def recent_article_passage_ids(self, limit: int) -> dict[str, list[int]]:
        """Passage ids (in order) of the `limit` most recently stored non-duplicate articles."""
        rows = self._db.execute(
            """SELECT p.article_id, p.id FROM passages p JOIN (
                   SELECT rowid AS r, id FROM articles WHERE duplicate_of IS NULL
                   ORDER BY rowid DESC LIMIT ?) a ON a.id = p.article_id
               ORDER BY a.r DESC, p.ordinal""",
            [limit],
        )
        found: dict[str, list[int]] = {}
        for article_id, passage_id in rows:
            found.setdefault(article_id, []).append(int(passage_id))
        return found

    def passage_ids(self) -> list[int]:
        return [r[0] for r in self._db.execute("SELECT id FROM passages ORDER BY id")]

    def newest_published(self, before: str) -> str | None:
        """The latest publication date (ISO, UTC) earlier than `before`, or None."""
        row = self._db.execute(
            "SELECT MAX(published) FROM articles WHERE published < ?", [before]
        ).fetchone()
        return row[0] if row else None

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

    def recent_titles(self, limit: int) -> list[str]:
        rows = self._db.execute(
            """SELECT title FROM articles WHERE duplicate_of IS NULL AND title != ''
               ORDER BY COALESCE(published, ingested_at) DESC LIMIT ?""",
            [limit],
        )
        return [r[0] for r in rows]

    def stories(self, since: str, before: str, limit: int) -> list[StoryRecord]:
        rows = self._db.execute(STORIES_SQL.format(mark="?"), [since, before, limit]).fetchall()
        return story_records(rows, self.copies_of([row[0] for row in rows]))

    def copies_of(self, article_ids: Sequence[str]) -> dict[str, list[str]]:
        ids = list(article_ids)
        rows = []
        for start in range(0, len(ids), 500):  # under SQLite's limit on bound parameters
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows += self._db.execute(COPIES_SQL.format(marks=marks), chunk).fetchall()
        return copies_by_original(rows)

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
