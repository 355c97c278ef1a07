"""`newsbot migrate` is safe to run again: killed with -9 at any moment, the next run ends
with the archive an uninterrupted run makes; a copy that fails (or whose source was written
meanwhile) commits nothing; the source is refused while a bot runs on it."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from config import load_settings
from index import NewsArchive
from index.backends.sqlite import open_database
from index.errors import StoreError
from index.migrate import copy_to_postgres
from index.migrate_copy import TABLES
from index.state.feeds import FeedRegistry
from index.storage import ArchiveBusyError, BotRunLock
from newsbot_testing.in_process_cli import run_cli
from newsbot_testing.made_up import HashEmbedder
from newsbot_testing.paths import settings_for

KILLS = 5
# Besides the tables copied one for one: what the copy makes, and the marker's source.
MADE = (
    "SELECT term, passage_id, title_count, text_count, tokens FROM passage_postings",
    "SELECT passage_id, embedding::text FROM passage_vectors",
    "SELECT name, vectors FROM vector_counts",
    "SELECT model, dimension FROM vector_index",
    "SELECT source, finished_at IS NOT NULL FROM migrate_runs",
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    """SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal""",
    """SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'""",
)


def fingerprint(url: str) -> dict[str, str]:
    """Every copied table's rows and everything the copy makes, each as a digest."""
    queries = [f"SELECT * FROM {table}" for table, _ in TABLES] + list(MADE)
    found = {}
    with psycopg.connect(url) as db:
        for query in queries:
            rows = sorted(repr(tuple(row)) for row in db.execute(query).fetchall())
            found[query] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return found


def source_archive(data_dir: Path, articles: int) -> None:
    """An archive of `articles` stories (two passages each) with a feed and subscriptions;
    vectors by the hash embedder, so migrate copies 16-d vectors and no model is loaded."""
    settings = load_settings(
        env={}, overrides={"data_dir": str(data_dir), "passages.max_chars": 400}
    )
    archive = NewsArchive(settings, embedder=HashEmbedder())
    from index import Ingestor
    from index.text import Article

    words = "river bridge council harvest comet orchestra budget tram storm election".split()
    Ingestor(archive, batch_articles=500).ingest(
        Article(
            f"Story {n} about the {words[n % 10]}",
            " ".join(
                f"Sentence {s} of story {n} tells of the {words[(n + s) % 10]} and the "
                f"{words[(n * s) % 10]} in district {n % 97}."
                for s in range(12)
            ),
            f"https://news.example.org/{n}",
        )
        for n in range(articles)
    )
    state = archive.open_state()
    state.feeds.add("https://news.example.org/feed.xml", "Example", added_by=7)
    state.subscriptions.add(1, None, "bridge", "bridge")


def migrate_process(data_dir: Path, url: str) -> subprocess.Popen:
    env = {**os.environ, "NEWSBOT_CONFIG": "", "NEWSBOT_VECTORS_APPROXIMATE_AFTER": "1000"}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), "migrate", "--to", url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def until_committed(url: str, process: subprocess.Popen, began: float) -> float:
    """Wait until the copy's marker is committed; how long that took."""
    with psycopg.connect(url, autocommit=True) as db:
        while not db.execute("SELECT COUNT(*) FROM migrate_runs").fetchone()[0]:
            assert process.poll() is None, "migrate ended before its commit was seen"
            time.sleep(0.005)
    return time.monotonic() - began


@pytest.mark.slow
def test_migrate_killed_at_random_moments_then_run_again_makes_the_same_archive(
    tmp_path, postgres_server, capsys
):
    data_dir = tmp_path / "data"
    source_archive(data_dir, 3_000)
    whole = postgres_server.create_database()
    began = time.monotonic()
    process = migrate_process(data_dir, whole)
    out, err = process.communicate(timeout=600)
    uninterrupted = time.monotonic() - began
    assert process.returncode == 0, err
    expected = fingerprint(whole)
    chance = random.Random(19)
    moments: list[float | None] = sorted(chance.uniform(0.3, uninterrupted) for _ in range(KILLS))
    moments.append(None)  # and once just after the commit, before what follows it
    outcomes = []
    for moment in moments:
        url = postgres_server.create_database()
        process = migrate_process(data_dir, url)
        if moment is None:
            moment = until_committed(url, process, began=time.monotonic())
        else:
            time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        with psycopg.connect(url) as db:
            committed = db.execute("SELECT COUNT(*) FROM migrate_runs").fetchone()[0]
        rerun = migrate_process(data_dir, url)
        rerun_out, rerun_err = rerun.communicate(timeout=600)
        assert rerun.returncode == 0, rerun_err
        assert ("an earlier run of migrate" in rerun_out) == bool(committed)
        assert fingerprint(url) == expected, moment
        outcomes.append((moment, process.returncode, "the copy" if committed else "nothing"))
    with capsys.disabled():
        print(f"\nuninterrupted migrate of 3,000 articles: {uninterrupted:.1f} s")
        for moment, code, state in outcomes:
            print(f"killed at {moment:.2f} s (exit {code}): {state} committed; rerun identical")


def test_a_failed_row_copy_commits_nothing_and_the_next_run_copies(tmp_path, postgres_server):
    data_dir = tmp_path / "data"
    source_archive(data_dir, 20)
    settings = settings_for(data_dir)
    url = postgres_server.create_database()

    def fail_at_feeds(what: str, done: int) -> None:
        if what == "feeds":
            raise StoreError("the copy broke")

    with pytest.raises(StoreError, match="the copy broke"):
        copy_to_postgres(settings, url, fail_at_feeds)
    with psycopg.connect(url) as db:
        assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM migrate_runs").fetchone()[0] == 0
    migrated = copy_to_postgres(settings, url)
    assert not migrated.earlier and all(c.matches for c in migrated.copied)
    assert {c.name: c.target for c in migrated.copied}["articles"] == 20


def test_a_source_written_during_the_copy_is_not_committed(tmp_path, postgres_server):
    """A process that writes the SQLite file without the write lock (as the bot writes its
    state) while the rows are copied: the copy is rolled back, not committed without it."""
    data_dir = tmp_path / "data"
    source_archive(data_dir, 20)
    settings = settings_for(data_dir)
    url = postgres_server.create_database()
    other = FeedRegistry(open_database(data_dir / "newsbot.db"))

    def write_meanwhile(what: str, done: int) -> None:
        if what == "articles":
            other.add("https://late.example.org/feed.xml", "Late")

    with pytest.raises(StoreError, match="was written while it was copied"):
        copy_to_postgres(settings, url, write_meanwhile)
    with psycopg.connect(url) as db:
        assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
    migrated = copy_to_postgres(settings, url)
    assert {c.name: c.target for c in migrated.copied}["feeds"] == 2  # the late one too


def test_migrate_refuses_while_a_bot_runs_and_a_bot_waits_for_migrate(tmp_path, postgres_server):
    data_dir = tmp_path / "data"
    source_archive(data_dir, 5)
    url = postgres_server.create_database()
    bot = BotRunLock(data_dir)
    bot.hold_for_the_bot()
    refused = run_cli("--data-dir", str(data_dir), "migrate", "--to", url)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"newsbot: the bot is running on {data_dir}: stop it")
    bot.release()
    migrating = BotRunLock(data_dir)
    migrating.hold_for_migrate()
    with pytest.raises(ArchiveBusyError, match="newsbot migrate is copying"):
        BotRunLock(data_dir).hold_for_the_bot()
    migrating.release()
    assert run_cli("--data-dir", str(data_dir), "migrate", "--to", url).returncode == 0


@pytest.mark.slow
async def test_a_running_bot_keeps_migrate_off_its_data_directory(tmp_path, postgres_server):
    """`newsbot run` as a user runs it: while it runs, migrate refuses (the bot writes its
    state without the write lock); once it stopped, migrate copies."""
    import asyncio

    from newsbot_testing.fake_bot_api import FakeBotApi
    from newsbot_testing.harness import TOKEN
    from newsbot_testing.processes import run_newsbot

    data_dir = tmp_path / "data"  # the bot makes its (empty) archive
    url = postgres_server.create_database()
    async with FakeBotApi(token=TOKEN) as api:

        async def migrate_once_the_bot_polls():
            method = "getupdates"
            await api.wait_for_request(lambda r: r.method.lower() == method, timeout=120)
            return await asyncio.to_thread(
                run_cli, "--data-dir", str(data_dir), "migrate", "--to", url
            )

        attempt = asyncio.create_task(migrate_once_the_bot_polls())
        code, _, err = await run_newsbot(api, data_dir, stop_after=attempt)
    refused = attempt.result()
    assert refused.returncode == 1, refused.stdout
    assert "the bot is running on" in refused.stderr
    assert code == 0, err
    assert run_cli("--data-dir", str(data_dir), "migrate", "--to", url).returncode == 0


def test_a_cancelled_vector_copy_stops_between_batches_and_builds_no_graph(
    tmp_path, postgres_server
):
    """The rows' copy failed: the vectors beside it stop at their next batch (and the
    statement the server runs is cancelled), rather than copying and building to the end."""
    import numpy as np

    from config import VectorSettings
    from index.backends.postgres import open_database as open_postgres
    from index.migrate_copy import VECTOR_BATCH, VectorCopy
    from index.storage.vectors import VectorIndex

    count = VECTOR_BATCH + 1  # two batches
    vectors = VectorIndex(16, "test/hash-embedder", VectorSettings(approximate_after=10**6))
    rows = np.random.default_rng(0).standard_normal((count, 16)).astype(np.float32)
    vectors.add(np.arange(1, count + 1), rows / np.linalg.norm(rows, axis=1, keepdims=True))
    settings = load_settings(
        env={},
        overrides={"data_dir": str(tmp_path), "vectors.approximate_after": 1},
    )
    target = open_postgres(postgres_server.create_database())
    copy = VectorCopy(vectors, target, settings)
    reports = []

    def cancel_after_the_first_batch(what: str, done: int) -> None:
        reports.append(done)
        copy.cancel()

    with pytest.raises(StoreError, match="cancelled"):
        copy.run(cancel_after_the_first_batch)
    assert reports == [VECTOR_BATCH]
    assert (
        target.execute(
            "SELECT COUNT(*) FROM pg_indexes WHERE indexname LIKE 'passage_vectors%hnsw'"
        ).fetchone()[0]
        == 0
    )
    copy.home.finished()
    target.close()
