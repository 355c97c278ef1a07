"""Processes sharing one PostgreSQL archive, as users run them (`newsbot ingest`, `newsbot
reindex` as real processes): two ingests from two data directories (two machines, as far as
the archive can tell) lose no vector, and kill -9 in the middle of an ingest or a re-index
leaves an archive that opens, agrees with itself after reconcile, and is not locked."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_settings
from index import Ingestor, NewsArchive
from index.sources import read_file
from index.storage.postgres import AdvisoryLock
from newsbot_testing.made_up import write_articles
from newsbot_testing.processes import kill_when_progress_shows
from newsbot_testing.processes import start_newsbot as start_in_data_dir

pytestmark = pytest.mark.slow


def start_newsbot(url: str, data_dir: Path, *args: str, on_terminal: bool = False):
    """`newsbot --data-dir DIR args` on the PostgreSQL archive at `url`."""
    return start_in_data_dir(
        data_dir, *args, on_terminal=on_terminal, env={"NEWSBOT_STORAGE_URL": url}
    )


def open_archive(url: str, data_dir: Path, embedder) -> NewsArchive:
    settings = load_settings(env={}, overrides={"data_dir": str(data_dir), "storage.url": url})
    return NewsArchive(settings, embedder=embedder)


def assert_archive_recovers(url: str, data_dir: Path, embedder) -> NewsArchive:
    """After a crash: the write lock is free and, after reconcile, every passage has a vector."""
    archive = open_archive(url, data_dir, embedder)
    assert isinstance(archive.write_lock, AdvisoryLock)
    archive.write_lock.timeout_seconds = 0
    with archive.write_lock:
        pass
    archive.reconcile()
    assert sorted(archive.vectors.ids().tolist()) == archive.store.passage_ids()
    return archive


def test_two_ingest_processes_on_two_machines_lose_no_vector(tmp_path, embedder, postgres_server):
    url = postgres_server.create_database()
    files = [write_articles(tmp_path / f"{name}.jsonl", name, 60) for name in ("east", "west")]
    processes = [
        start_newsbot(url, tmp_path / f"machine-{n}", "ingest", str(path))[0]
        for n, path in enumerate(files)
    ]
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        assert "60 new articles" in out
    archive = open_archive(url, tmp_path / "reader", embedder)
    assert archive.store.counts()["articles"] == 120
    # no reconcile: what the writers stored
    assert sorted(archive.vectors.ids().tolist()) == archive.store.passage_ids()


def test_kill_9_in_the_middle_of_an_ingest_loses_nothing(tmp_path, embedder, postgres_server):
    url = postgres_server.create_database()
    source = write_articles(tmp_path / "many.jsonl", "many", 200)
    process, terminal = start_newsbot(
        url, tmp_path / "data", "ingest", str(source), on_terminal=True
    )
    kill_when_progress_shows(process, terminal, r"\b[1-9]\d* articles")
    archive = assert_archive_recovers(url, tmp_path / "data", embedder)
    stored = archive.store.counts()["articles"]
    assert 0 < stored < 200
    report = Ingestor(archive).ingest(read_file(source))
    assert len(report.added) + report.unchanged == 200 and report.unchanged == stored
    assert sorted(archive.vectors.ids().tolist()) == archive.store.passage_ids()


def test_kill_9_in_the_middle_of_a_reindex_keeps_the_old_index(tmp_path, embedder, postgres_server):
    url = postgres_server.create_database()
    source = write_articles(tmp_path / "long.jsonl", "long", 90, paragraphs=3)
    archive = open_archive(url, tmp_path / "data", embedder)
    Ingestor(archive).ingest(read_file(source))
    before = sorted(archive.vectors.ids().tolist())
    assert len(before) > 2 * 128  # several re-index batches
    process, terminal = start_newsbot(url, tmp_path / "data", "reindex", on_terminal=True)
    kill_when_progress_shows(process, terminal, r"\b[1-9]\d*(/\d+| passages)")
    reopened = assert_archive_recovers(url, tmp_path / "data", embedder)
    assert sorted(reopened.vectors.ids().tolist()) == before
    rebuilding = "SELECT tablename FROM pg_tables WHERE tablename LIKE 'passage_vectors_rebuild_%'"
    [(killed,)] = reopened.database.execute(rebuilding).fetchall()
    # The next re-index may start (the killed one's lock went with it) and drops its table.
    started = reopened.home.fresh()
    assert reopened.database.execute(rebuilding).fetchall() == [(started.table,)] != [(killed,)]
