"""One writer per data directory: the lock is re-entrant in a process, exclusive between
processes, names its holder, dies with it; and two archives writing one directory never save
over each other's vectors. Fast: random vectors, no model."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from index import Ingestor, NewsArchive
from index.storage import ArchiveBusyError, ArchiveLock, VectorIndex
from newsbot_testing.made_up import HashEmbedder, articles
from newsbot_testing.processes import newsbot_env


def assert_every_passage_has_a_vector_on_disk(make_settings, data_dir: Path) -> None:
    settings = make_settings()
    saved = VectorIndex.load(
        data_dir / "vectors.faiss",
        HashEmbedder.dimension,
        HashEmbedder.model_name,
        settings.vectors,
    )
    stored = NewsArchive(settings, embedder=HashEmbedder()).store.passage_ids()
    assert sorted(saved.ids().tolist()) == sorted(stored)


def test_two_archives_on_one_directory_never_save_over_each_others_vectors(make_settings):
    first = NewsArchive(make_settings(), embedder=HashEmbedder())
    second = NewsArchive(make_settings(), embedder=HashEmbedder())  # as another process would
    Ingestor(first, batch_articles=4).ingest(articles("first", 10))
    Ingestor(second, batch_articles=4).ingest(articles("second", 10))
    Ingestor(first, batch_articles=4).ingest(articles("third", 3))
    assert first.vectors.count == second.vectors.count + 3 == 23
    assert_every_passage_has_a_vector_on_disk(make_settings, first.data_dir)


def test_unsaved_vectors_survive_another_writers_save(make_settings):
    """A writer that has not saved yet keeps its vectors when it loads another's index."""
    first = NewsArchive(make_settings(), embedder=HashEmbedder())
    second = NewsArchive(make_settings(), embedder=HashEmbedder())
    Ingestor(first).ingest(articles("first", 5), save=False)
    Ingestor(second).ingest(articles("second", 5))
    first.save_vectors()
    assert_every_passage_has_a_vector_on_disk(make_settings, first.data_dir)


def test_a_reader_picks_up_another_writers_vectors_without_embedding_them(make_settings):
    bot = NewsArchive(make_settings(), embedder=HashEmbedder())
    Ingestor(NewsArchive(make_settings(), embedder=HashEmbedder())).ingest(articles("cli", 6))
    embedded: list[str] = []
    bot.embedder.encode = lambda texts: embedded.extend(texts) or HashEmbedder().encode(texts)
    assert bot.reconcile() == 0  # what the alert sweep does
    assert bot.vectors.count == len(bot.store.passage_ids()) == 6
    assert embedded == []


def test_a_second_writer_waits_then_fails_naming_the_holder(tmp_path):
    path = tmp_path / "write.lock"
    holder = ArchiveLock(path, timeout_seconds=5, label="newsbot ingest")
    other = ArchiveLock(path, timeout_seconds=0.2)
    with holder, holder:  # re-entrant within the process
        with pytest.raises(ArchiveBusyError) as busy:
            other.acquire()
        message = str(busy.value)
        assert message.startswith(f"the archive is being written by pid {os.getpid()} (")
        assert "newsbot ingest, since " in message
        assert message.endswith("; try again when it finishes")
        # Another thread of the holder's process waits too, and gets it once it is free.
        got_it = threading.Event()
        waiter = threading.Thread(target=lambda: (holder.acquire(), got_it.set(), holder.release()))
        waiter.start()
        assert not got_it.wait(0.2)
    waiter.join(timeout=5)
    assert got_it.is_set()
    with other:
        pass


def hold_the_lock_in_another_process(path: Path) -> subprocess.Popen:
    code = (
        "import sys, time; from pathlib import Path; from index.storage.lock import ArchiveLock;"
        f" lock = ArchiveLock(Path({str(path)!r}), 1, label='newsbot ingest'); lock.acquire();"
        " print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_newsbot_ingest_fails_with_one_line_naming_the_holder(tmp_path):
    data_dir = tmp_path / "data"
    source = tmp_path / "one.txt"
    source.write_text("A title\nSomething happened today in the harbour.\n")
    holder = hold_the_lock_in_another_process(data_dir / "write.lock")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), "ingest", str(source)],
            capture_output=True,
            text=True,
            timeout=120,
            env=newsbot_env(NEWSBOT_STORAGE_LOCK_TIMEOUT_SECONDS="0.3"),
        )
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert re.fullmatch(
        f"newsbot: the archive is being written by pid {holder.pid} \\(newsbot ingest, since"
        " \\d\\d:\\d\\d:\\d\\d\\); try again when it finishes",
        line,
    ), line


def test_the_lock_dies_with_a_killed_holder(tmp_path):
    path = tmp_path / "write.lock"
    holder = hold_the_lock_in_another_process(path)
    try:
        with pytest.raises(ArchiveBusyError, match=f"pid {holder.pid} \\(newsbot ingest"):
            ArchiveLock(path, timeout_seconds=0.1).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    with ArchiveLock(path, timeout_seconds=1):
        pass
