"""Processes sharing a data directory, as users run them (`newsbot ingest`, `newsbot reindex`
as real processes, the torch model so no int8 export is needed): two ingests at once lose no
vector, and kill -9 in the middle of an ingest or a re-index leaves an archive that opens,
agrees with SQLite after reconcile, and is not locked."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import random
import re
import select
import signal
import sqlite3
import string
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from config import load_settings
from index import Ingestor, NewsArchive
from index.sources import read_file
from index.storage import ArchiveLock, VectorIndex

pytestmark = pytest.mark.slow

ENV = {
    **os.environ,
    "NEWSBOT_CONFIG": "",
    "TELEGRAM_BOT_TOKEN": "",
    "NEWSBOT_EMBEDDING_BACKEND": "torch",
}


def made_up_words(seed: str, count: int) -> list[str]:
    """Words no other article shares, so no article is a near-duplicate of another."""
    rng = random.Random(seed)
    return ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))) for _ in range(count)]


def write_articles(path: Path, prefix: str, count: int, paragraphs: int = 1) -> Path:
    """A jsonl file of distinct articles, each about `paragraphs` passages long."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            words = made_up_words(f"{prefix}-{n}", 130 * paragraphs)
            sentences = [
                " ".join(words[i : i + 13]).capitalize() + "." for i in range(0, len(words), 13)
            ]
            record = {
                "url": f"https://news.example.com/{prefix}/{n}",
                "title": f"{prefix.title()} story {n}",
                "published": "2025-08-20",
                "source": "Example News",
                "text": " ".join(sentences),
            }
            out.write(json.dumps(record) + "\n")
    return path


def start_newsbot(
    data_dir: Path, *args: str, on_terminal: bool = False, env: dict[str, str] | None = None
):
    """`newsbot --data-dir DIR args` (with ENV and `env`); with `on_terminal` its stderr is a
    pseudo-terminal, so it draws its progress bar (read from the returned fd)."""
    command = [sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), *args]
    env = {**ENV, **(env or {})}
    if not on_terminal:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        return process, None
    leader, follower = pty.openpty()
    # A terminal of 0 columns (a new pty's size) gets an empty progress bar.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    return process, leader


def kill_when_progress_shows(process, terminal: int, pattern: str, timeout: float = 120) -> str:
    """SIGKILL the process once its progress bar matches `pattern`; returns what it drew."""
    seen = ""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([terminal], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(terminal, 4096).decode("utf-8", "replace")
                except OSError:  # the process closed the terminal: it has ended
                    break
                if re.search(pattern, seen):
                    process.send_signal(signal.SIGKILL)
                    break
        assert process.poll() is None or process.returncode == -signal.SIGKILL, seen
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        os.close(terminal)
    assert process.returncode == -signal.SIGKILL, f"it finished before the kill: {seen}"
    return seen


def settings_for(data_dir: Path):
    return load_settings(env={}, overrides={"data_dir": str(data_dir)})


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
