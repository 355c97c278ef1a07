"""`newsbot migrate --to postgresql://…` through the command line: a small SQLite + FAISS
archive with its bot state goes over whole (vectors and sentence vectors as they were, ids
kept, nothing embedded again, the alert queue as it stood), the counts are printed, and a
database that already holds an archive is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import psycopg
import pytest

from index import Ingestor, NewsArchive
from index.embedding.sentence_vectors import SentenceVectors
from index.sources import read_file
from index.state import NewDelivery
from index.text import Article
from newsbot_testing.in_process_cli import run_cli
from newsbot_testing.made_up import HashEmbedder
from newsbot_testing.paths import SAMPLE_ARTICLE, settings_for


def ingest_articles(archive: NewsArchive) -> None:
    ingest = Ingestor(archive)
    ingest.ingest(read_file(SAMPLE_ARTICLE))
    ingest.ingest(
        Article(
            f"Bridge story {n}",
            f"The new bridge number {n} across the river opens to traffic next month after "
            f"{n + 2} years of construction and repeated delays caused by floods in the valley.",
            f"https://news.example.org/bridge-{n}",
        )
        for n in range(5)
    )


@pytest.fixture
def sqlite_archive(tmp_path):
    """Articles, a sentence-vector row, a feed, two subscriptions, an alert sent and one
    pending, feedback, a vote on the sent alert, and one article still queued for matching."""
    data_dir = tmp_path / "data"
    archive = NewsArchive(settings_for(data_dir), embedder=HashEmbedder())
    state = archive.open_state()
    ingest_articles(archive)
    first_passage = archive.store.passage_ids()[0]
    spans = ((0, 10), (11, 30))
    matrix = np.random.default_rng(1).standard_normal((2, 16)).astype(np.float32)
    archive.store.put_sentence_vectors([(first_passage, SentenceVectors(spans, matrix))])
    state.feeds.add("https://news.example.org/feed.xml", "Example", added_by=7)
    ceasefire, _ = state.subscriptions.add(1, None, "ceasefire talks", "ceasefire talks")
    state.subscriptions.add(2, 11, "bridge", "bridge", required=["river"])
    for article_id, _ in state.outbox.queued_articles(100)[:-1]:  # the last stays queued
        state.outbox.settle(article_id, [NewDelivery(1, None, ceasefire.id, first_passage, 0.6)])
    [sent] = state.outbox.claim_due("worker", 1, 60)
    state.outbox.store_body([sent.id], "worker", ["🔔 one"])
    state.outbox.record_pieces([sent.id], "worker", 1, 1, 60)
    state.feedback.record(1, 5, "What condition did Zelensky set?", [first_passage], 1)
    state.alert_votes.record(sent.id, ceasefire.id, 5, sent.article_id, -1, chat_id=sent.chat_id)
    archive.save_vectors()
    return data_dir, archive, state


def test_migrate_copies_the_archive_and_its_state_without_embedding_again(
    sqlite_archive, postgres_server
):
    data_dir, source, source_state = sqlite_archive
    url = postgres_server.create_database()
    result = run_cli("--data-dir", str(data_dir), "migrate", "--to", url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for name, count in (
        ("articles", 6),
        ("passages", source.store.passage_summary()[0]),
        ("subscriptions", 2),
        ("vectors", source.vectors.count),
    ):
        assert any(
            line.split()[:1] == [name] and line.split()[1:3] == [f"{count:,}"] * 2 for line in lines
        ), (name, lines)
    assert "differs" not in result.stdout

    class NoEmbedding(HashEmbedder):
        def encode(self, texts):
            raise AssertionError(f"embedded again: {texts[:1]}")

    copy = NewsArchive(settings_for(data_dir, url), embedder=NoEmbedding())
    assert copy.reconcile() == 0  # every passage has its vector
    ids = source.store.passage_ids()
    assert copy.store.passage_ids() == ids
    assert np.array_equal(copy.vectors.vectors_for(ids), source.vectors.vectors_for(ids))
    [(passage_id, sentences)] = copy.store.sentence_vectors(ids).items()
    assert passage_id == ids[0] and sentences.spans == ((0, 10), (11, 30))
    query = HashEmbedder().encode(["ceasefire"])
    assert copy.vectors.search(query, 5) == source.vectors.search(query, 5)
    words = ["zelensky", "condition"]
    found = [[i for i, _ in store.lexical_search(words, 5)] for store in (copy.store, source.store)]
    assert found[0] == found[1] != []

    state = copy.open_state()
    assert state.subscriptions.active() == source_state.subscriptions.active()
    assert state.outbox.counts() == source_state.outbox.counts()
    assert state.outbox.queued_articles(10) == source_state.outbox.queued_articles(10)
    assert [f.url for f in state.feeds.all()] == ["https://news.example.org/feed.xml"]
    assert state.alert_votes.versions() == source_state.alert_votes.versions() != {}
    # Ids handed out after the copy follow the copied ones.
    added, _ = state.subscriptions.add(3, None, "tsunami", "tsunami")
    assert added.id == max(s.id for s in source_state.subscriptions.active()) + 1
    now = datetime.now(UTC)
    assert state.outbox.next_due_at() is not None and state.outbox.next_due_at() <= now


def test_a_removed_newest_subscriptions_id_is_not_given_again_after_migrate(
    sqlite_archive, postgres_server
):
    """Regression (issue 19): the id sequence was set past the copied rows only, so the id of
    a subscription removed last on SQLite was handed out again on PostgreSQL."""
    data_dir, _source, source_state = sqlite_archive
    newest, _ = source_state.subscriptions.add(3, None, "typo topic", "typo topic")
    assert source_state.subscriptions.remove(3, [newest.id])
    url = postgres_server.create_database()
    result = run_cli("--data-dir", str(data_dir), "migrate", "--to", url)
    assert result.returncode == 0, result.stderr
    state = NewsArchive(settings_for(data_dir, url), embedder=HashEmbedder()).open_state()
    added, _ = state.subscriptions.add(4, None, "tsunami", "tsunami")
    assert added.id > newest.id


def test_migrate_runs_again_safely_and_refuses_another_archive(
    sqlite_archive, postgres_server, tmp_path
):
    """A second run over the same data directory finds the copy made (nothing copied twice);
    another data directory, or a database that holds an archive it did not copy, is refused."""
    data_dir, _, _ = sqlite_archive
    url = postgres_server.create_database()
    first = run_cli("--data-dir", str(data_dir), "migrate", "--to", url)
    assert first.returncode == 0, first.stderr
    again = run_cli("--data-dir", str(data_dir), "migrate", "--to", url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"an earlier run of migrate had copied {data_dir}")
    assert again.stdout.splitlines()[1:-1] == first.stdout.splitlines()[:-1]
    other = tmp_path / "other"
    NewsArchive(settings_for(other), embedder=HashEmbedder())
    refused = run_cli("--data-dir", str(other), "migrate", "--to", url)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"newsbot: the PostgreSQL database 127.0.0.1:{postgres_server.port}/"
        f"{url.rsplit('/', 1)[1]} already holds the archive migrated from "
        f"{data_dir.resolve()}; migrate copies into an empty database only"
    ]
    ingested = postgres_server.create_database()
    ingest_articles(NewsArchive(settings_for(tmp_path / "pg", ingested), embedder=HashEmbedder()))
    refused = run_cli("--data-dir", str(data_dir), "migrate", "--to", ingested)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"newsbot: the PostgreSQL database 127.0.0.1:{postgres_server.port}/"
        f"{ingested.rsplit('/', 1)[1]} already holds an archive; migrate copies into an empty "
        "database only"
    ]
    wrong = run_cli("--data-dir", str(data_dir), "migrate", "--to", "mysql://db/news")
    assert wrong.returncode == 1 and "postgresql://" in wrong.stderr


def _postings_and_schema(url: str) -> tuple[list[tuple], list[tuple], list[tuple], tuple]:
    """Postings keyed by (article, ordinal) rather than passage id; every index of the
    archive's tables with its definition; the passage triggers and whether they are on; the
    passage totals."""
    with psycopg.connect(url) as db:
        postings = db.execute(
            """SELECT p.term, s.article_id, s.ordinal, p.title_count, p.text_count, p.tokens
               FROM passage_postings p JOIN passages s ON s.id = p.passage_id ORDER BY 1, 2, 3"""
        ).fetchall()
        indexes = db.execute(
            """SELECT tablename, indexname, indexdef FROM pg_indexes
               WHERE schemaname = 'public' AND tablename NOT LIKE 'passage_vectors%'
               ORDER BY 1, 2"""
        ).fetchall()
        triggers = db.execute(
            """SELECT tgname, tgenabled FROM pg_trigger
               WHERE tgrelid = 'passages'::regclass AND NOT tgisinternal ORDER BY 1"""
        ).fetchall()
        totals = db.execute("SELECT passages, tokens FROM passage_totals").fetchone()
    return postings, indexes, triggers, totals


def test_migrate_makes_the_postings_and_indexes_that_ingesting_makes(
    sqlite_archive, postgres_server, tmp_path
):
    """The bulk copy (postings trigger off, postings made in one statement, indexes built
    after the rows) leaves what ingesting the same articles into PostgreSQL leaves."""
    data_dir, _, _ = sqlite_archive
    migrated = postgres_server.create_database()
    assert run_cli("--data-dir", str(data_dir), "migrate", "--to", migrated).returncode == 0
    ingested = postgres_server.create_database()
    archive = NewsArchive(settings_for(tmp_path / "pg", ingested), embedder=HashEmbedder())
    ingest_articles(archive)
    postings, indexes, triggers, totals = _postings_and_schema(migrated)
    assert (postings, indexes, triggers, totals) == _postings_and_schema(ingested)
    assert len(postings) > 100 and ("passages_posted_insert", "O") in triggers
