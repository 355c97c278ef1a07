"""Ingest is idempotent, links wire copies, and a failure leaves what was stored intact."""

from __future__ import annotations

import numpy as np
import pytest

from index import NewsArchive
from index.ingest import KEPT_FAILURES, Ingestor
from index.sources import read_file
from index.text import Article
from newsbot_testing.made_up import WIRE, distinct_article
from newsbot_testing.paths import SAMPLE_ARTICLE
from newsbot_testing.postgres import both_backends


@both_backends
def test_ingesting_twice_changes_nothing(make_archive):
    archive = make_archive()
    first = Ingestor(archive).ingest(read_file(SAMPLE_ARTICLE))
    counts = archive.stats()
    second = Ingestor(archive).ingest(read_file(SAMPLE_ARTICLE))
    assert len(first.added) == 1 and first.passages > 0
    assert second.added == [] and second.unchanged == 1
    assert archive.stats() == counts
    assert archive.vectors.count == counts["passages"]


@both_backends
def test_a_wire_copy_on_another_outlet_is_stored_once(make_archive):
    archive = make_archive()
    original = Article("Bridge to open", WIRE, "https://a.example/bridge", "A")
    copy = Article("Bridge opens soon", WIRE + " ", "https://b.example/news/1", "B")
    report = Ingestor(archive).ingest([original, copy])
    assert len(report.added) == 1 and report.duplicates == 1
    assert archive.store.counts()["duplicates"] == 1


@both_backends
def test_same_url_with_tracking_parameters_is_the_same_article(make_archive):
    archive = make_archive()
    a = Article("Bridge", WIRE, "https://www.a.example/bridge/?utm_source=x#top", "A")
    b = Article("Bridge", WIRE, "http://a.example/bridge", "A")
    report = Ingestor(archive).ingest([a, b])
    assert len(report.added) == 1 and report.unchanged == 1


class FailingEmbedder:
    """The real model, failing on the n-th call: a crash in the middle of an ingest."""

    def __init__(self, inner, fail_on_call: int) -> None:
        self.inner, self.calls, self.fail_on_call = inner, 0, fail_on_call
        self.model_name, self.dimension = inner.model_name, inner.dimension

    def encode(self, texts):
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("simulated crash while embedding")
        return self.inner.encode(texts)


@both_backends
def test_a_failure_midway_keeps_earlier_articles_and_leaves_no_half(make_settings, embedder):
    settings = make_settings()
    archive = NewsArchive(settings, embedder=FailingEmbedder(embedder, fail_on_call=2))
    articles = [distinct_article(i) for i in range(3)]
    with pytest.raises(RuntimeError):
        Ingestor(archive, batch_articles=1).ingest(articles)
    assert archive.store.counts()["articles"] == 1
    assert archive.vectors.count == archive.store.passage_summary()[0]
    # the next run picks up where it stopped
    reopened = NewsArchive(settings, embedder=embedder)
    reopened.reconcile()
    report = Ingestor(reopened).ingest(articles)
    assert len(report.added) == 2 and report.unchanged == 1


def test_vectors_lost_in_a_crash_are_restored_from_sqlite(make_settings, embedder):
    settings = make_settings()
    archive = NewsArchive(settings, embedder=embedder)
    Ingestor(archive).ingest(read_file(SAMPLE_ARTICLE), save=False)  # crash before saving
    reopened = NewsArchive(settings, embedder=embedder)
    assert reopened.vectors.count == 0
    assert reopened.reconcile() == reopened.store.passage_summary()[0]
    assert np.array_equal(np.sort(reopened.vectors.ids()), np.array(reopened.store.passage_ids()))


@both_backends
def test_an_index_from_another_model_is_refused(make_settings, embedder):
    from index import StoreError

    settings = make_settings()
    archive = NewsArchive(settings, embedder=embedder)
    Ingestor(archive).ingest(read_file(SAMPLE_ARTICLE))

    class OtherModel:
        model_name, dimension = "other/model", 384

    with pytest.raises(StoreError, match="newsbot reindex"):
        NewsArchive(settings, embedder=OtherModel())


def test_twenty_megabyte_sentence_is_stored_as_bounded_passages(make_archive, tmp_path):
    """Text without sentence punctuation was one passage: a 20 MB article took 3.4 GB."""
    archive = make_archive(**{"sources.max_article_chars": 5_000, "passages.max_chars": 500})
    path = tmp_path / "endless.txt"
    path.write_text("A title without end\n" + "council budget harbor vote " * 750_000)
    assert path.stat().st_size > 20_000_000
    report = Ingestor(archive).ingest(read_file(path, archive.settings.sources))
    assert len(report.added) == 1 and report.passages > 1
    rows = list(archive.database.connection().query('SELECT "start", "end", text FROM passages'))
    settings = archive.settings.passages
    assert max(row["end"] for row in rows) <= 5_000
    for row in rows:
        assert len(row["text"]) <= settings.max_chars
        assert len(row["text"].split()) <= settings.max_words


def test_a_file_of_bad_lines_is_counted_not_kept_line_by_line(make_archive, tmp_path):
    path = tmp_path / "mostly-bad.jsonl"
    path.write_text("not json\n" * 5_000 + '{"title": "Good", "text": "A good line."}\n')
    report = Ingestor(make_archive()).ingest(read_file(path))
    assert len(report.added) == 1
    assert (report.failed, len(report.failures)) == (5_000, KEPT_FAILURES)
    assert "5000 failed" in report.summary()
