"""Articles and passages in PostgreSQL: the same `PassageStore` as SqlitePassageStore,
with full-text search scored by the BM25 that SQLite's FTS5 uses (k1 1.2, b 0.75, its idf and
its column weights), so both backends rank alike: summed from the postings kept beside the
passages (schema.py), phrases checked on the passages' GIN-indexed tsvector."""

from __future__ import annotations

import math
from collections.abc import Sequence

import psycopg

from index.embedding.sentence_vectors import SentenceVectors
from index.storage.article_rows import (
    ARTICLE_COLUMNS,
    article_values,
    near_duplicate_of,
)
from index.storage.interfaces import StoredArticle
from index.storage.passage_reads import PassageReads
from index.storage.postgres.database import PostgresDatabase
from index.text.articles import Article
from index.text.near_duplicates import simhash
from index.text.passages import PassageSpan

# FTS5's BM25 constants (sqlite/ext/fts5/fts5_aux.c) and its floor for a term in most rows.
_K1, _B, _IDF_FLOOR = 1.2, 0.75, 1e-6
_DF_CACHE_SIZE = 50_000
_DF_CACHE_DRIFT = 0.01
_STEM_CACHE_SIZE = 50_000
_ARTICLE_COLUMNS = ", ".join(ARTICLE_COLUMNS)


# FTS5's BM25 from the postings (schema.py, version 4), read by index for the searched words
# only. Each (passage, phrase) has the phrase's weighted count in the passage (title
# positions count title_weight, text positions text_weight, as FTS5 weighs columns), then
# FTS5's BM25 sums over phrases. A phrase of several words counts in a passage that has it
# (its words side by side: checked on that passage's terms), as often as its rarest word
# (FTS5 counts the phrase itself). All in float8: a numeric in the sum made it 3x slower.
def _bm25_sql(published_filter: str) -> str:
    return f"""
WITH q AS (
    SELECT * FROM unnest(%(phrases)s::integer[], %(lexemes)s::text[], %(idfs)s::float8[],
                         %(lengths)s::integer[], %(queries)s::text[])
    AS q(phrase, lexeme, idf, words, query)),
per_phrase AS (
    SELECT t.passage_id, q.idf, t.tokens::float8 AS tokens,
           t.title_count * %(title_weight)s::float8 + t.text_count * %(text_weight)s::float8
           AS freq
    FROM q JOIN passage_postings t ON t.term = q.lexeme AND t.passage_id > %(after)s
    WHERE q.words = 1
    UNION ALL
    SELECT g.passage_id, g.idf, g.tokens, g.freq FROM (
        SELECT q.phrase, t.passage_id, MIN(q.idf) AS idf, MIN(q.query) AS query,
               MIN(t.tokens)::float8 AS tokens, COUNT(*) = MIN(q.words) AS whole,
               MIN(t.title_count * %(title_weight)s::float8
                   + t.text_count * %(text_weight)s::float8) AS freq
        FROM q JOIN passage_postings t ON t.term = q.lexeme AND t.passage_id > %(after)s
        WHERE q.words > 1 GROUP BY q.phrase, t.passage_id) g
    JOIN passages p ON p.id = g.passage_id AND g.whole AND p.terms @@ g.query::tsquery)
SELECT passage_id, SUM(idf * freq * ({_K1}::float8 + 1)
                 / (freq + {_K1}::float8 * (1 - {_B}::float8 + {_B}::float8 * tokens
                                            / %(average)s::float8))) AS score
FROM per_phrase {published_filter}
GROUP BY passage_id ORDER BY score DESC, passage_id LIMIT %(k)s
"""


_BM25 = _bm25_sql("")
# Filtered before LIMIT: a story published after the question's moment cannot take an
# earlier one's place.
_BM25_PUBLISHED_BY = _bm25_sql(
    """WHERE NOT EXISTS (
    SELECT 1 FROM passages fp JOIN articles fa ON fa.id = fp.article_id
    WHERE fp.id = per_phrase.passage_id AND fa.published > %(published_by)s)"""
)


class PostgresPassageStore(PassageReads):
    """Reads and writes articles and passages in PostgreSQL; lexical search by BM25. What
    both backends read alike is PassageReads'."""

    def __init__(self, database: PostgresDatabase) -> None:
        super().__init__(database)
        self._df_cache: dict[tuple[str, int, bool], int] = {}
        self._df_cache_passages = 0  # how many passages there were when the cache started
        # A term's stemmed words: the text search configuration changes only with the schema.
        self._stem_cache: dict[str, list[str]] = {}

    def add_article(
        self,
        article: Article,
        spans: Sequence[PassageSpan],
        feed_url: str | None = None,
        sentences: Sequence[SentenceVectors] | None = None,
    ) -> StoredArticle:
        """Store the article, its passages and their sentence vectors in one transaction; a
        no-op if already stored. A near-identical copy of a stored story is recorded
        (duplicate_of) without passages, as the SQLite store does."""
        fingerprint = simhash(article.text)
        with self.database.transaction() as tx:
            # One article at a time per id, whoever stores it: the second waits, then sees it.
            tx.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [article.id])
            if tx.execute("SELECT 1 FROM articles WHERE id = %s", [article.id]).fetchone():
                return StoredArticle(article.id, False, None, ())
            duplicate_of = near_duplicate_of(
                article.text,
                fingerprint,
                lambda b: tx.execute(
                    """SELECT id, simhash FROM articles WHERE duplicate_of IS NULL AND
                       (band0 = %s OR band1 = %s OR band2 = %s OR band3 = %s)""",
                    list(b),
                ).fetchall(),
            )
            tx.execute(
                f"""INSERT INTO articles ({_ARTICLE_COLUMNS})
                    VALUES ({", ".join(["%s"] * len(ARTICLE_COLUMNS))})""",
                article_values(article, fingerprint, duplicate_of, feed_url),
            )
            ids: list[int] = []
            if duplicate_of is None and spans:
                rows = tx.execute(
                    """INSERT INTO passages (article_id, ordinal, start, "end", title, text)
                       SELECT %s, ordinal - 1, start, "end", %s, text
                       FROM unnest(%s::integer[], %s::integer[], %s::text[])
                            WITH ORDINALITY AS s(start, "end", text, ordinal)
                       RETURNING id, ordinal""",
                    [
                        article.id,
                        article.title,
                        [s.start for s in spans],
                        [s.end for s in spans],
                        [article.text[s.start : s.end] for s in spans],
                    ],
                ).fetchall()
                ids = [int(i) for i, _ in sorted(rows, key=lambda row: row[1])]
                if sentences is not None:
                    _put_sentences(tx, zip(ids, sentences, strict=True))
        return StoredArticle(article.id, True, duplicate_of, tuple(ids))

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
        phrases = self._phrases(terms)
        if not phrases:
            return []
        passages, tokens = self._totals()
        if not passages:
            return []
        idfs = [
            max(_idf(passages, self._frequency(words, 0, text_only=False)), _IDF_FLOOR)
            for words in phrases.values()
        ]
        rows = self._execute(
            _BM25 if published_by is None else _BM25_PUBLISHED_BY,
            {  # one row per word of each phrase, with its phrase's number, idf and query
                "phrases": [n for n, words in enumerate(phrases.values()) for _ in words],
                "lexemes": [word for words in phrases.values() for word in words],
                "idfs": [
                    idf for idf, words in zip(idfs, phrases.values(), strict=True) for _ in words
                ],
                "lengths": [len(words) for words in phrases.values() for _ in words],
                "queries": [phrase for phrase, words in phrases.items() for _ in words],
                "after": after_id,
                "title_weight": float(title_weight),
                "text_weight": float(text_weight),
                "average": max(float(tokens) / float(passages), 1e-9),
                "k": k,
                "published_by": published_by,
            },
        ).fetchall()
        return [(int(i), float(score)) for i, score in rows]

    def document_frequencies(self, terms: Sequence[str], after_id: int = 0) -> dict[str, int]:
        """How many passages with id > after_id have each term in their text (stemmed, as
        the search stems it); cached, as it moves slowly."""
        self._totals()
        stemmed = self._stemmed(terms)
        out: dict[str, int] = {}
        for term in terms:
            cleaned = term.replace('"', "")
            if not cleaned:
                continue
            words = stemmed[cleaned]  # no word (punctuation alone) is in no passage
            out[term] = self._frequency(words, after_id, True) if words else 0
        return out

    def passage_summary(self) -> tuple[int, int]:
        """(count, max id) of passages: the count from the running totals, no table scan."""
        count, max_id = self._execute(
            "SELECT (SELECT passages FROM passage_totals), "
            "(SELECT COALESCE(MAX(id), 0) FROM passages)"
        ).fetchone()
        return int(count), int(max_id)

    def counts(self) -> dict[str, int]:
        articles, duplicates, passages = self._execute(
            """SELECT COUNT(*) FILTER (WHERE duplicate_of IS NULL),
                      COUNT(*) FILTER (WHERE duplicate_of IS NOT NULL),
                      (SELECT passages FROM passage_totals)
               FROM articles"""
        ).fetchone()
        return {"articles": int(articles), "duplicates": int(duplicates), "passages": int(passages)}

    def _put_sentences(self, tx: psycopg.Connection, rows) -> None:
        _put_sentences(tx, rows)

    # -- internals -------------------------------------------------------------------------

    def _execute(self, sql: str, params=None) -> psycopg.Cursor:
        return self.database.execute(sql, params)

    def _phrases(self, terms: Sequence[str]) -> dict[str, list[str]]:
        """The terms as tsquery phrases of their stemmed words, each with those words; terms
        that stem to nothing are dropped, repeated ones searched once."""
        phrases: dict[str, list[str]] = {}
        for words in self._stemmed(terms).values():
            if words:
                phrases.setdefault(_phrase(words), words)
        return phrases

    def _stemmed(self, terms: Sequence[str]) -> dict[str, list[str]]:
        """Each term (double quotes dropped, as the SQLite store drops them) and its stemmed
        words in order, [] for a term of no word; one query for those not seen before."""
        cleaned = list(dict.fromkeys(t.replace('"', "") for t in terms))
        missing = [term for term in cleaned if term not in self._stem_cache]
        if missing:
            found: dict[str, list[str]] = {term: [] for term in missing}
            rows = self._execute(
                """SELECT t.term, u.lexeme FROM unnest(%s::text[]) AS t(term)
                   CROSS JOIN LATERAL unnest(to_tsvector('newsbot', t.term)) AS u
                   ORDER BY t.term, u.positions[1]""",
                [missing],
            )
            for term, lexeme in rows:
                found[term].append(lexeme)
            if len(self._stem_cache) > _STEM_CACHE_SIZE:
                self._stem_cache.clear()
            self._stem_cache.update(found)
        return {term: self._stem_cache[term] for term in cleaned}

    def _totals(self) -> tuple[int, int]:
        """(passages, their tokens), and the frequency cache emptied once the archive has
        grown or shrunk by more than _DF_CACHE_DRIFT since it started: FTS5 counts afresh
        for every search, and a cached count must not drift far from that."""
        passages, tokens = self._execute("SELECT passages, tokens FROM passage_totals").fetchone()
        if abs(passages - self._df_cache_passages) > _DF_CACHE_DRIFT * self._df_cache_passages:
            self._df_cache.clear()
            self._df_cache_passages = int(passages)
        return int(passages), int(tokens)

    def _frequency(self, words: Sequence[str], after_id: int, text_only: bool) -> int:
        """Passages with id > after_id holding the stemmed words as a phrase (in their text
        alone, or anywhere)."""
        key = (tuple(words), after_id, text_only)
        cached = self._df_cache.get(key)
        if cached is None:
            cached = self._count(words, after_id, text_only)
            if len(self._df_cache) > _DF_CACHE_SIZE:
                self._df_cache.clear()
            self._df_cache[key] = cached
        return cached

    def _count(self, words: Sequence[str], after_id: int, text_only: bool) -> int:
        """A word's passages counted in its postings' index; a phrase's on the passages' own
        terms, through their GIN index."""
        if len(words) == 1:
            return int(
                self._execute(
                    f"""SELECT COUNT(*) FROM passage_postings WHERE term = %s
                        AND passage_id > %s{" AND text_count > 0" if text_only else ""}""",
                    [words[0], after_id],
                ).fetchone()[0]
            )
        # The text column's words are weighted B (schema.PASSAGE_TERMS).
        phrase = " <-> ".join(_quoted(w) + (":B" if text_only else "") for w in words)
        return int(
            self._execute(
                "SELECT COUNT(*) FROM passages WHERE terms @@ %s::tsquery AND id > %s",
                [phrase, after_id],
            ).fetchone()[0]
        )


def _phrase(words: Sequence[str]) -> str:
    """Stemmed words as a tsquery phrase (each right after the one before)."""
    return " <-> ".join(_quoted(w) for w in words)


def _quoted(lexeme: str) -> str:
    """A lexeme as tsquery text, taken as it is (already stemmed)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _idf(rows: int, hits: int) -> float:
    return math.log((rows - hits + 0.5) / (hits + 0.5))


def _put_sentences(tx: psycopg.Connection, rows) -> None:
    records = []
    for passage_id, sentences in rows:
        spans, vectors = sentences.to_blobs()
        records.append((int(passage_id), spans, vectors))
    if records:
        with tx.cursor() as cursor:
            cursor.executemany(
                """INSERT INTO passage_sentences (passage_id, spans, vectors)
                   VALUES (%s, %s, %s)
                   ON CONFLICT (passage_id) DO UPDATE
                   SET spans = EXCLUDED.spans, vectors = EXCLUDED.vectors""",
                records,
            )
