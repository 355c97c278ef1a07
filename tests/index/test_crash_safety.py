"""Processes sharing a data directory, as users run them (`newsbot ingest`, `newsbot reindex`
as real processes, the torch model so no int8 export is needed): two ingests at once lose no
vector, and kill -9 in the middle of an ingest or a re-index leaves an archive that opens,
agrees with SQLite after reconcile, and is not locked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from index import Ingestor, NewsArchive
from index.sources import read_file
from index.storage import ArchiveLock, VectorIndex
from newsbot_testing.made_up import write_articles
from newsbot_testing.paths import settings_for
from newsbot_testing.processes import kill_when_progress_shows, start_newsbot

pytestmark = pytest.mark.slow


def assert_archive_recovers(data_dir: Path, embedder) -> NewsArchive:
    """After a crash: the lock is free, SQLite is intact, the index file loads, and after
    reconcile every stored passage has a vector."""
    with ArchiveLock(data_dir / "write.lock", timeout_seconds=0):
        pass
    with sqlite3.connect(data_dir / "newsbot.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    settings = settings_for(data_dir)
    if (data_dir / "vectors.faiss").exists():
        VectorIndex.load(
            data_dir / "vectors.faiss", embedder.dimension, embedder.model_name, settings.vectors
        )
    archive = NewsArchive(settings, embedder=embedder)
    archive.reconcile()
    assert sorted(archive.vectors.ids().tolist()) == archive.store.passage_ids()
    return archive


def test_two_ingest_processes_on_one_directory_lose_no_vector(tmp_path, embedder):
    data_dir = tmp_path / "data"
    files = [write_articles(tmp_path / f"{name}.jsonl", name, 80) for name in ("east", "west")]
    processes = [start_newsbot(data_dir, "ingest", str(path))[0] for path in files]
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "80 new articles" in out
    settings = settings_for(data_dir)
    saved = VectorIndex.load(
        data_dir / "vectors.faiss", embedder.dimension, embedder.model_name, settings.vectors
    )
    with sqlite3.connect(data_dir / "newsbot.db") as db:
        stored = [row[0] for row in db.execute("SELECT id FROM passages ORDER BY id")]
        assert db.execute("SELECT COUNT(*) FROM articles").fetchone() == (160,)
    assert sorted(saved.ids().tolist()) == stored  # no reconcile: what the writers saved


def test_kill_9_in_the_middle_of_an_ingest_loses_nothing(tmp_path, embedder):
    data_dir = tmp_path / "data"
    source = write_articles(tmp_path / "many.jsonl", "many", 200)
    process, terminal = start_newsbot(data_dir, "ingest", str(source), on_terminal=True)
    kill_when_progress_shows(process, terminal, r"\b[1-9]\d* articles")
    archive = assert_archive_recovers(data_dir, embedder)
    stored = archive.store.counts()["articles"]
    assert 0 < stored < 200
    report = Ingestor(archive).ingest(read_file(source))
    assert len(report.added) + report.unchanged == 200
    assert report.unchanged == stored
    assert sorted(archive.vectors.ids().tolist()) == archive.store.passage_ids()


def test_kill_9_in_the_middle_of_a_reindex_keeps_the_old_index(tmp_path, embedder):
    data_dir = tmp_path / "data"
    source = write_articles(tmp_path / "long.jsonl", "long", 90, paragraphs=3)
    archive = NewsArchive(settings_for(data_dir), embedder=embedder)
    Ingestor(archive).ingest(read_file(source))
    before = sorted(archive.vectors.ids().tolist())
    assert len(before) > 2 * 128  # several re-index batches
    process, terminal = start_newsbot(data_dir, "reindex", on_terminal=True)
    kill_when_progress_shows(process, terminal, r"\b[1-9]\d*(/\d+| passages)")
    reopened = assert_archive_recovers(data_dir, embedder)
    assert sorted(reopened.vectors.ids().tolist()) == before
