"""The passage store's statements both backends run alike, written once with `?` marks and
run with the database's dialect (index/storage/dialect.py). The stores themselves add what
truly differs: storing an article (SQLite row by row, PostgreSQL from arrays), lexical search
(FTS5 against BM25 on postings) and the counts PostgreSQL keeps running totals of."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from index.embedding.sentence_vectors import SentenceVectors
from index.storage.article_rows import (
    ARTICLE_COLUMNS,
    COPIES_SQL,
    STORIES_SQL,
    copies_by_original,
    story_records,
)
from index.storage.dialect import Dialect
from index.storage.interfaces import PassageRecord, StoryRecord

_PASSAGE_RECORD = """SELECT p.id, p.article_id, p.ordinal, p.start, p."end", p.text, a.title,
                            a.source, a.url, a.published
                     FROM passages p JOIN articles a ON a.id = p.article_id"""


class PassageReads:
    """What both passage stores read (and delete) the same way."""

    def __init__(self, database: Any) -> None:
        self.database = database
        self.dialect: Dialect = database.dialect

    def _read(self, statement: str, params: Sequence[Any] | None = None) -> Any:
        return self.database.execute(self.dialect.sql(statement), params)

    def _put_sentences(self, tx: Any, rows: Any) -> None:
        """Store (or replace) passages' sentence vectors in the driver's transaction `tx`."""
        raise NotImplementedError

    def has_article(self, article_id: str) -> bool:
        return (
            self._read("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchone() is not None
        )

    def delete_article(self, article_id: str) -> list[int]:
        """Remove an article, its passages and their sentence vectors; returns the removed
        passage ids."""
        with self.database.transaction() as tx:
            sql = self.dialect.sql
            tx.execute(
                sql(
                    "DELETE FROM passage_sentences WHERE passage_id IN "
                    "(SELECT id FROM passages WHERE article_id = ?)"
                ),
                [article_id],
            )
            # fetchall: SQLite finishes a RETURNING statement only once its rows are read.
            rows = tx.execute(
                sql("DELETE FROM passages WHERE article_id = ? RETURNING id"), [article_id]
            ).fetchall()
            tx.execute(sql("DELETE FROM articles WHERE id = ?"), [article_id])
        return sorted(int(row[0]) for row in rows)

    def passages(self, ids: Sequence[int]) -> dict[int, PassageRecord]:
        found: dict[int, PassageRecord] = {}
        for chunk in self.dialect.batches([int(i) for i in ids]):
            among, params = self.dialect.any_of("p.id", chunk)
            rows = self._read(f"{_PASSAGE_RECORD} WHERE {among}", params).fetchall()
            found.update((int(row[0]), PassageRecord(*row)) for row in rows)
        return found

    def article_passages(self, article_id: str) -> list[PassageRecord]:
        rows = self._read(
            f"{_PASSAGE_RECORD} WHERE p.article_id = ? ORDER BY p.ordinal", [article_id]
        ).fetchall()
        return [PassageRecord(*row) for row in rows]

    def passage_ids_of_articles(self, article_ids: Sequence[str]) -> list[int]:
        """The passage ids of these articles (unknown ids are ignored)."""
        found: list[int] = []
        for chunk in self.dialect.batches(article_ids):
            among, params = self.dialect.any_of("article_id", chunk)
            found.extend(
                int(r[0]) for r in self._read(f"SELECT id FROM passages WHERE {among}", params)
            )
        return found

    def passage_ids_published_after(self, moment: str) -> list[int]:
        """The passages of articles published after `moment` (ISO, UTC)."""
        rows = self._read(
            """SELECT p.id FROM articles a JOIN passages p ON p.article_id = a.id
               WHERE a.published > ?""",
            [moment],
        )
        return [int(r[0]) for r in rows]

    def article(self, article_id: str) -> dict | None:
        cursor = self._read(
            f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles WHERE id = ?", [article_id]
        )
        row = cursor.fetchone()
        return None if row is None else dict(zip(ARTICLE_COLUMNS, row, strict=True))

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, SentenceVectors]:
        """The stored sentence vectors of those passages that have them."""
        found: dict[int, SentenceVectors] = {}
        for chunk in self.dialect.batches([int(i) for i in dict.fromkeys(ids)]):
            among, params = self.dialect.any_of("passage_id", chunk)
            rows = self._read(
                f"SELECT passage_id, spans, vectors FROM passage_sentences WHERE {among}", params
            )
            found.update(SentenceVectors.read_rows(rows))
        return found

    def put_sentence_vectors(self, rows: Sequence[tuple[int, SentenceVectors]]) -> None:
        """Store (or replace) the sentence vectors of existing passages (re-indexing)."""
        with self.database.transaction() as tx:
            self._put_sentences(tx, rows)

    def max_passage_id(self) -> int:
        return int(self._read("SELECT COALESCE(MAX(id), 0) FROM passages").fetchone()[0])

    def passage_ids(self) -> list[int]:
        return [int(r[0]) for r in self._read("SELECT id FROM passages ORDER BY id")]

    def iter_passages_for_embedding(
        self, after_id: int = 0, batch: int = 2048
    ) -> Iterator[list[tuple[int, str, str]]]:
        """(id, title, text) of every passage with id > after_id, in id order, in batches."""
        last = after_id
        while True:
            rows = self._read(
                "SELECT id, title, text FROM passages WHERE id > ? ORDER BY id LIMIT ?",
                [last, batch],
            ).fetchall()
            if not rows:
                return
            yield [(int(r[0]), r[1], r[2]) for r in rows]
            last = rows[-1][0]

    def recent_article_passage_ids(self, limit: int) -> dict[str, list[int]]:
        """Passage ids (in order) of the `limit` most recently stored non-duplicate articles."""
        order = self.dialect.added_order
        rows = self._read(
            f"""SELECT p.article_id, p.id FROM passages p JOIN (
                   SELECT {order} AS added, id FROM articles WHERE duplicate_of IS NULL
                   ORDER BY {order} DESC LIMIT ?) a ON a.id = p.article_id
               ORDER BY a.added DESC, p.ordinal""",
            [limit],
        )
        found: dict[str, list[int]] = {}
        for article_id, passage_id in rows:
            found.setdefault(article_id, []).append(int(passage_id))
        return found

    def newest_published(self, before: str) -> str | None:
        """The latest publication date (ISO, UTC) earlier than `before`, or None."""
        row = self._read(
            "SELECT MAX(published) FROM articles WHERE published < ?", [before]
        ).fetchone()
        return row[0] if row else None

    def recent_titles(self, limit: int) -> list[str]:
        rows = self._read(
            """SELECT title FROM articles WHERE duplicate_of IS NULL AND title != ''
               ORDER BY COALESCE(published, ingested_at) DESC LIMIT ?""",
            [limit],
        )
        return [r[0] for r in rows]

    def stories(self, since: str, before: str, limit: int) -> list[StoryRecord]:
        rows = self._read(STORIES_SQL, [since, before, limit]).fetchall()
        return story_records(rows, self.copies_of([row[0] for row in rows]))

    def copies_of(self, article_ids: Sequence[str]) -> dict[str, list[str]]:
        rows: list = []
        for chunk in self.dialect.batches(article_ids):
            among, params = self.dialect.any_of("duplicate_of", chunk)
            rows += self._read(COPIES_SQL.format(among=among), params).fetchall()
        return copies_by_original(rows)
