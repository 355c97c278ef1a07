"""What only the PostgreSQL backend has to get right: its vectors live in shared tables, so a
re-index must be one at a time and clean up after a killed one; and the test server itself."""

from __future__ import annotations

import math
import re

import numpy as np
import psycopg
import pytest

from config import PassageSettings
from index import NewsArchive, StoreError
from index.storage import ArchiveBusyError
from index.text.passages import chunk_text
from newsbot_testing.bbc_news import bbc_by_category
from newsbot_testing.made_up import HashEmbedder
from newsbot_testing.stores import DIM as CONTRACT_DIM
from newsbot_testing.stores import open_stores
from newsbot_testing.vectors import DIM as VECTOR_DIM
from newsbot_testing.vectors import clustered, exact_top

postgres_only = pytest.mark.parametrize("storage_url", ["postgres"], indirect=True)


@postgres_only
def test_one_reindex_at_a_time_and_a_killed_ones_table_is_dropped(make_settings) -> None:
    settings = make_settings(**{"vectors.approximate_after": 50})
    _, home = open_stores(settings)
    _, other = open_stores(settings)
    home.open()
    first = home.fresh()
    with pytest.raises(ArchiveBusyError, match="another process is re-indexing"):
        other.fresh()
    home._rebuilding.close()  # the first re-index dies before its swap
    second = other.fresh()
    assert first.table != second.table and second.count == 0
    assert first.size_bytes() == 0  # its table was dropped
    many = settings.vectors.approximate_after + 1
    rows = np.random.default_rng(0).standard_normal((many, CONTRACT_DIM)).astype(np.float32)
    second.add(np.arange(many), rows / np.linalg.norm(rows, axis=1, keepdims=True))
    assert second.kind == "flat"  # its graph is built once, at the swap
    assert other.publish(second).kind == "hnsw"
    assert home.fresh().count == 0  # released by the swap


def test_the_test_server_listens_on_loopback_with_pgvector(postgres_server) -> None:
    url = postgres_server.create_database()
    assert "@127.0.0.1:" in url
    with psycopg.connect(url) as connection:
        versions = dict(
            connection.execute("SELECT name, default_version FROM pg_available_extensions")
        )
        assert "vector" in versions
        assert connection.execute("SHOW server_version").fetchone()[0].startswith("18")


def test_full_text_search_ranks_as_sqlite_fts5_does(make_settings, postgres_server, shared_data):
    """The same 100 BBC articles in both stores, searched for two words of each title: the
    PostgreSQL BM25 finds what FTS5's finds, in nearly the same order, with nearly the same
    scores, and counts the same document frequencies (tokenisers differ at the edges:
    hyphens, apostrophes, Porter against Snowball stems)."""
    sqlite_store, _ = open_stores(make_settings())
    postgres_store, _ = open_stores(
        make_settings(**{"storage.url": postgres_server.create_database()})
    )
    stories = [a for group in bbc_by_category(shared_data, 20).values() for a in group]
    for article in stories:
        spans = chunk_text(article.text, PassageSettings())
        assert sqlite_store.add_article(article, spans).passage_ids == (
            postgres_store.add_article(article, spans).passage_ids
        )
    queries = [sorted(re.findall(r"[a-z]{5,}", a.title.lower()), key=len)[-2:] for a in stories]
    queries = [q for q in queries if q][:60]
    first_same, overlaps, score_ratios = [], [], []
    for terms in queries:
        lite = sqlite_store.lexical_search(terms, 10, title_weight=2.0)
        post = postgres_store.lexical_search(terms, 10, title_weight=2.0)
        assert bool(lite) == bool(post), terms
        if not lite:
            continue
        first_same.append(lite[0][0] == post[0][0])
        overlaps.append(len({i for i, _ in lite} & {i for i, _ in post}) / len(lite))
        score_ratios.append(post[0][1] / lite[0][1])
    words = sorted({w for q in queries for w in q})
    lite_df = sqlite_store.document_frequencies(words)
    post_df = postgres_store.document_frequencies(words)
    same_df = np.mean([lite_df[w] == post_df[w] for w in words])
    print(
        f"top-1 same {np.mean(first_same):.3f}, top-10 overlap {np.mean(overlaps):.3f}, "
        f"score ratio median {np.median(score_ratios):.3f}, df same {same_df:.3f} "
        f"over {len(overlaps)} queries, {len(words)} words"
    )
    assert np.mean(first_same) >= 0.9 and np.mean(overlaps) >= 0.9
    assert 0.9 <= np.median(score_ratios) <= 1.1
    assert same_df >= 0.9


@pytest.mark.slow
@postgres_only
def test_hnsw_on_halfvec_recall_at_10_against_exact_search(make_settings) -> None:
    """pgvector's HNSW over half-precision copies, at the settings FAISS's HNSW uses, finds
    the exact top 10 as FAISS does (tests/index/storage/test_vectors.py holds FAISS to the same bar)."""
    settings = make_settings(**{"vectors.approximate_after": 1000})
    _, home = open_stores(settings, dimension=VECTOR_DIM)
    vectors = home.open()
    data = clustered(20_000, seed=3)
    ids = np.arange(100, 20_100)
    for start in range(0, len(ids), 5000):
        vectors.add(ids[start : start + 5000], data[start : start + 5000])
    assert vectors.kind == "hnsw"
    queries = clustered(200, seed=4)
    truth = exact_top(data, ids, queries, 10)
    found = [{pid for pid, _ in hits} for hits in vectors.search(queries, 10)]
    recall = np.mean([len(f & t) / 10 for f, t in zip(found, truth, strict=True)])
    print(f"recall@10 {recall:.3f}")
    assert recall >= 0.95, recall


@postgres_only
def test_a_lost_connection_is_one_store_error_and_the_next_call_reconnects(
    make_settings, postgres_server
) -> None:
    settings = make_settings()
    store, _ = open_stores(settings)
    assert store.counts()["articles"] == 0
    with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
        admin.execute(  # the server ends this database's sessions, as a restart would
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [settings.storage.url.rsplit("/", 1)[1]],
        )
    with pytest.raises(StoreError, match=r"the PostgreSQL server at 127\.0\.0\.1:\d+/\w+ failed"):
        store.counts()
    assert store.counts()["articles"] == 0


@postgres_only
def test_without_the_driver_the_archive_says_what_to_install(make_settings, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    postgres_modules = ("index.storage.postgres", "index.state.postgres", "index.backends.postgres")
    for module in [m for m in sys.modules if m.startswith(postgres_modules)]:
        monkeypatch.delitem(sys.modules, module)
    with pytest.raises(
        StoreError, match=r"psycopg is not installed: pip install 'newsbot\[postgres\]'"
    ):
        NewsArchive(make_settings(), embedder=HashEmbedder())


@postgres_only
def test_evaluation_archives_are_not_built_in_a_shared_database(make_settings, tmp_path) -> None:
    from retrieval.evaluation.datasets import prepared_archive

    with pytest.raises(StoreError, match="without storage.url"):
        prepared_archive("seed", [], "k", make_settings(), tmp_path, HashEmbedder())
    assert not list(tmp_path.glob("seed-*"))


def _postings_from_stored_terms(connection: psycopg.Connection) -> set[tuple]:
    """Every passage's (word, passage, title count, text count, length), read off its stored
    tsvector here, to hold the postings table against."""
    rows = connection.execute(
        "SELECT p.id, p.tokens, u.lexeme, u.weights FROM passages p, unnest(p.terms) AS u"
    )
    return {
        (lexeme, pid, weights.count("A"), len(weights) - weights.count("A"), tokens)
        for pid, tokens, lexeme, weights in rows
    }


def _bbc_archive_before_postings(postgres_server, shared_data, per_category: int):
    """A database at the schema version before the postings, holding BBC articles; the
    URL, the articles (the rest of each category's first `per_category + 2` not stored)."""
    from index.backends.postgres.schema import MIGRATIONS
    from index.storage.postgres import PostgresDatabase
    from index.storage.postgres.passages import PostgresPassageStore

    name = f"before_postings_{next(_databases)}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    url = postgres_server.url(name)
    before = PostgresDatabase(url, migrations=MIGRATIONS[:3])
    stories = [
        a for group in bbc_by_category(shared_data, per_category + 2).values() for a in group
    ]
    stored = [a for i, a in enumerate(stories) if i % (per_category + 2) < per_category]
    store = PostgresPassageStore(before)
    for article in stored:
        store.add_article(article, chunk_text(article.text, PassageSettings()))
    before.close()
    return url, stored, [a for a in stories if a not in stored]


_databases = iter(range(1_000_000))


def test_postings_are_filled_by_their_migration_and_kept_in_step(postgres_server, shared_data):
    """Opening a database from before the postings fills them from the stored terms; storing
    and deleting articles afterwards keeps them equal to those terms."""
    from index.backends.postgres import open_database as open_postgres
    from index.storage.postgres.passages import PostgresPassageStore

    url, stored, rest = _bbc_archive_before_postings(postgres_server, shared_data, 2)
    database = open_postgres(url)
    try:
        connection = database.connection()
        postings = set(connection.execute("SELECT * FROM passage_postings"))
        assert len(postings) > 1000 and postings == _postings_from_stored_terms(connection)
        store = PostgresPassageStore(database)
        for article in rest:
            store.add_article(article, chunk_text(article.text, PassageSettings()))
        gone = store.delete_article(stored[0].id) + store.delete_article(rest[0].id)
        assert gone
        postings = set(connection.execute("SELECT * FROM passage_postings"))
        assert postings == _postings_from_stored_terms(connection)
        assert not {p for p in postings if p[1] in gone}
    finally:
        database.close()


def _stored_terms(connection) -> tuple[dict[int, dict[str, list[str]]], dict[int, int]]:
    """Every passage's words with the weights of their positions, and its length."""
    words: dict[int, dict[str, list[str]]] = {}
    tokens: dict[int, int] = {}
    for pid, length, lexeme, weights in connection.execute(
        "SELECT p.id, p.tokens, u.lexeme, u.weights FROM passages p, unnest(p.terms) AS u"
    ):
        tokens[pid] = length
        words.setdefault(pid, {})[lexeme] = weights
    return words, tokens


def _bm25_from_stored_terms(connection, stored, terms, k, title_weight, after_id):
    """FTS5's BM25 as the store computed it before it had postings, here in Python from every
    passage's stored tsvector (`stored`, from _stored_terms): each term a phrase of its
    stemmed words, counted where they stand together, as often as its rarest word; idf over
    all passages."""
    words_of, tokens = stored
    phrases: list[tuple[str, ...]] = []
    for term in terms:
        words = tuple(
            r[0]
            for r in connection.execute(
                "SELECT lexeme FROM unnest(to_tsvector('newsbot', %s)) ORDER BY positions[1]",
                [term.replace('"', "")],
            )
        )
        if words and words not in phrases:
            phrases.append(words)
    average = sum(tokens.values()) / len(tokens)
    scores: dict[int, float] = {}
    for words in phrases:
        having = [pid for pid, found in words_of.items() if all(w in found for w in words)]
        if len(words) > 1:  # side by side
            query = " <-> ".join("'" + w.replace("'", "''") + "'" for w in words)
            having = [
                r[0]
                for r in connection.execute(
                    "SELECT id FROM passages WHERE id = ANY(%s) AND terms @@ %s::tsquery",
                    [having, query],
                )
            ]
        idf = max(math.log((len(tokens) - len(having) + 0.5) / (len(having) + 0.5)), 1e-6)
        for pid in having:
            if pid > after_id:
                freq = min(
                    sum(title_weight if w == "A" else 1.0 for w in words_of[pid][word])
                    for word in words
                )
                scores[pid] = scores.get(pid, 0.0) + idf * freq * 2.2 / (
                    freq + 1.2 * (0.25 + 0.75 * tokens[pid] / average)
                )
    return sorted(scores.items(), key=lambda hit: (-hit[1], hit[0]))[:k]


def test_bm25_from_the_postings_is_bm25_from_the_stored_terms(postgres_server, shared_data):
    """The search reads postings, not the passages' terms, and finds and scores exactly what
    the terms give: words, phrases, title weight, the id window."""
    from index.backends.postgres import open_database as open_postgres
    from index.storage.postgres.passages import PostgresPassageStore

    url, stored, _ = _bbc_archive_before_postings(postgres_server, shared_data, 5)
    database = open_postgres(url)
    try:
        store = PostgresPassageStore(database)
        connection = database.connection()
        stored_terms = _stored_terms(connection)
        middle = connection.execute(
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY id) FROM passages"
        ).fetchone()[0]
        queries = [sorted(re.findall(r"[a-z]{4,}", a.title.lower()), key=len)[-3:] for a in stored]
        queries += [
            ["prime minister", "election"],
            ["new york"],
            ["the", "film"],
            ["gordon brown's"],
        ]
        compared = 0
        for terms in queries:
            for title_weight, after_id in ((1.0, 0), (2.0, middle)):
                got = store.lexical_search(
                    terms, 1000, title_weight=title_weight, after_id=after_id
                )
                want = _bm25_from_stored_terms(
                    connection, stored_terms, terms, 1000, title_weight, after_id
                )
                assert [i for i, _ in got] == [i for i, _ in want], terms
                assert np.allclose([s for _, s in got], [s for _, s in want], rtol=1e-9)
                compared += len(got)
        assert compared > 300
    finally:
        database.close()
