"""This backend's tables of articles, passages and vectors, by version: append-only, like the
SQLite file's (a database already at a version never runs an edited one again). Each step runs
inside the migration transaction; index/backends/postgres/schema.py puts them in one list with the
state tables' (index/state/postgres/).

The vectors' table is not here: its column type needs the embedder's dimension, so
index/storage/postgres/vectors.py creates it when an archive first opens (and again on
`newsbot reindex` with another model).
"""

from __future__ import annotations

import psycopg

from index.storage.article_rows import STORY_INDEXES
from index.storage.postgres.database import Migration

# The words of title and text, weighted A and B so a search can weigh the two columns as
# SQLite's bm25(passages_fts, title_weight, text_weight) does. Used by the generated columns
# and by nothing else: change it only in a new version that rebuilds them.
PASSAGE_TERMS = (
    "setweight(to_tsvector('newsbot'::regconfig, title), 'A')"
    " || setweight(to_tsvector('newsbot'::regconfig, text), 'B')"
)


def _articles_and_passages(db: psycopg.Connection) -> None:
    """Version 1: articles, passages with their full-text terms (GIN), sentence vectors, and
    running totals for BM25 (count and length of passages) kept by statement triggers, so no
    search counts a million rows."""
    db.execute("CREATE EXTENSION IF NOT EXISTS vector")
    db.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    # SQLite's FTS5 (tokenize="porter") stems English words, folds accents and keeps every
    # word; so does this: the snowball stemmer without its stop-word list, after unaccent.
    db.execute(
        "CREATE TEXT SEARCH DICTIONARY newsbot_stem (TEMPLATE = snowball, Language = english)"
    )
    db.execute("CREATE TEXT SEARCH CONFIGURATION newsbot (COPY = simple)")
    db.execute(
        """ALTER TEXT SEARCH CONFIGURATION newsbot ALTER MAPPING FOR
           asciiword, asciihword, hword_asciipart, word, hword, hword_part
           WITH unaccent, newsbot_stem"""
    )
    db.execute(
        """CREATE FUNCTION newsbot_token_count(terms tsvector) RETURNS integer
           LANGUAGE sql IMMUTABLE PARALLEL SAFE
           RETURN (SELECT COALESCE(SUM(array_length(positions, 1)), 0)::integer
                   FROM unnest(terms))"""
    )
    db.execute(
        """CREATE TABLE articles (
            seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            id text PRIMARY KEY,
            url text,
            title text,
            source text,
            published text,
            text text,
            simhash bigint,
            band0 integer,
            band1 integer,
            band2 integer,
            band3 integer,
            duplicate_of text,
            feed_url text,
            ingested_at text
        )"""
    )
    for column in ("band0", "band1", "band2", "band3", "published", "ingested_at"):
        db.execute(f"CREATE INDEX articles_{column} ON articles ({column})")
    db.execute(
        f"""CREATE TABLE passages (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            article_id text NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            ordinal integer NOT NULL,
            start integer NOT NULL,
            "end" integer NOT NULL,
            title text NOT NULL,
            text text NOT NULL,
            terms tsvector GENERATED ALWAYS AS ({PASSAGE_TERMS}) STORED,
            tokens integer GENERATED ALWAYS AS (newsbot_token_count({PASSAGE_TERMS})) STORED
        )"""
    )
    db.execute("CREATE INDEX passages_article ON passages (article_id)")
    db.execute("CREATE INDEX passages_terms ON passages USING gin (terms)")
    db.execute(
        """CREATE TABLE passage_sentences (
            passage_id bigint PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
            spans bytea NOT NULL,
            vectors bytea NOT NULL
        )"""
    )
    db.execute("CREATE TABLE passage_totals (passages bigint NOT NULL, tokens bigint NOT NULL)")
    db.execute("INSERT INTO passage_totals VALUES (0, 0)")
    db.execute(
        """CREATE FUNCTION newsbot_count_passages() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF TG_OP = 'INSERT' THEN
               UPDATE passage_totals SET passages = passages + s.n, tokens = tokens + s.t
               FROM (SELECT COUNT(*) AS n, COALESCE(SUM(tokens), 0) AS t FROM changed) s;
             ELSE
               UPDATE passage_totals SET passages = passages - s.n, tokens = tokens - s.t
               FROM (SELECT COUNT(*) AS n, COALESCE(SUM(tokens), 0) AS t FROM changed) s;
             END IF;
             RETURN NULL;
           END $$"""
    )
    _after_each_insert_and_delete(db, "passages_counted", "newsbot_count_passages")
    # The vectors: which model made them, and a running count per table (the live one and a
    # re-index's table being built), kept by the vectors' own statement triggers.
    db.execute(
        """CREATE TABLE vector_index (
            one boolean PRIMARY KEY DEFAULT true CHECK (one),
            model text NOT NULL,
            dimension integer NOT NULL
        )"""
    )
    db.execute("CREATE TABLE vector_counts (name text PRIMARY KEY, vectors bigint NOT NULL)")
    db.execute(
        """CREATE FUNCTION newsbot_count_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF TG_OP = 'INSERT' THEN
               UPDATE vector_counts SET vectors = vectors + (SELECT COUNT(*) FROM changed)
               WHERE name = TG_TABLE_NAME;
             ELSE
               UPDATE vector_counts SET vectors = vectors - (SELECT COUNT(*) FROM changed)
               WHERE name = TG_TABLE_NAME;
             END IF;
             RETURN NULL;
           END $$"""
    )


# A passage's postings from its stored terms: one row per word, its positions in the title
# (weighted A) and in the text (the rest), and the passage's length. POSTINGS_OF orders them by
# word so the rows of one word lie together on disk; `newsbot migrate` fills the table with
# POSTINGS_UNORDERED and builds the key's index after (a search reads that index alone).
POSTINGS_UNORDERED = """
    SELECT u.lexeme, c.id,
           cardinality(array_positions(u.weights, 'A')),
           cardinality(u.weights) - cardinality(array_positions(u.weights, 'A')),
           c.tokens
    FROM {rows} c CROSS JOIN LATERAL unnest(c.terms) AS u"""
_POSTINGS_OF = (
    POSTINGS_UNORDERED
    + """
    ORDER BY u.lexeme, c.id"""
)
# The trigger that fills the postings as passages are inserted (`newsbot migrate` disables it
# while it copies, then fills them in one statement).
POSTINGS_TRIGGER = "passages_posted"


def _passage_postings(db: psycopg.Connection) -> None:
    """Version 4: postings, one row per (word, passage) with the word's counts in title and
    text and the passage's length, read by index for the few searched words, so BM25 sums
    them without reading any passage's terms (benchmarks/README.md "Scale-out"). Filled here
    from the stored terms, then kept in step by statement triggers on passages (which are
    only ever inserted and deleted). No foreign key: its check on a passage's deletion would
    scan the postings by passage, which no index leads; the trigger deletes by the key."""
    db.execute(
        """CREATE TABLE passage_postings (
            term text NOT NULL,
            passage_id bigint NOT NULL,
            title_count integer NOT NULL,
            text_count integer NOT NULL,
            tokens integer NOT NULL
        )"""
    )
    db.execute(f"INSERT INTO passage_postings {_POSTINGS_OF.format(rows='passages')}")
    # The counts ride in the key's index, so a search reads the index alone.
    db.execute(
        """ALTER TABLE passage_postings ADD PRIMARY KEY (term, passage_id)
           INCLUDE (title_count, text_count, tokens)"""
    )
    db.execute(
        f"""CREATE FUNCTION newsbot_post_passages() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'INSERT' THEN
                INSERT INTO passage_postings {_POSTINGS_OF.format(rows="changed")};
              ELSE
                DELETE FROM passage_postings p
                USING changed c CROSS JOIN LATERAL unnest(c.terms) AS u
                WHERE p.term = u.lexeme AND p.passage_id = c.id;
              END IF;
              RETURN NULL;
            END $$"""
    )
    _after_each_insert_and_delete(db, POSTINGS_TRIGGER, "newsbot_post_passages")


def _after_each_insert_and_delete(db: psycopg.Connection, name: str, function: str) -> None:
    """Statement triggers `name`_insert and `name`_delete on passages running `function`,
    which sees the rows inserted or deleted as the table `changed`."""
    for event, rows in (("INSERT", "NEW"), ("DELETE", "OLD")):
        db.execute(
            f"""CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON passages
                REFERENCING {rows} TABLE AS changed FOR EACH STATEMENT
                EXECUTE FUNCTION {function}()"""
        )


def _migrate_runs(db: psycopg.Connection) -> None:
    """Version 5: what `newsbot migrate` (index/migrate.py) copied into this database: the
    data directory, when its rows and vectors were committed (together, in one transaction),
    and when the steps after it finished. A rerun reads it to finish a copy that was
    interrupted after its commit, or to say the copy is already made."""
    db.execute(
        """CREATE TABLE migrate_runs (
            source text NOT NULL,
            copied_at text NOT NULL,
            finished_at text
        )"""
    )


def _story_indexes(db: psycopg.Connection) -> None:
    """Version 7: the newest originals, and the copies of an original, read by index (what
    /latest and /today list), as SQLite's version 9."""
    for statement in STORY_INDEXES:
        db.execute(statement)


MIGRATIONS: dict[int, Migration] = {
    1: _articles_and_passages,
    4: _passage_postings,
    5: _migrate_runs,
    7: _story_indexes,
}
