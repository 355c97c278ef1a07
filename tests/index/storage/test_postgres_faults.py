"""PostgreSQL faults found from outside (issue 19): identifiers read back from the database
quoted, never pasted into a statement; locks that survive a server restart; `stats` without
the unused SQLite file."""

from __future__ import annotations

import psycopg
import pytest

from index.errors import StoreError
from newsbot_testing.stores import open_stores

postgres_only = pytest.mark.parametrize("storage_url", ["postgres"], indirect=True)


@postgres_only
def test_a_stored_table_name_is_quoted_not_run(make_settings) -> None:
    """A re-index drops the tables of killed re-indexes by the names `vector_counts` holds:
    a name there that is a statement was run as one (the feedback table was dropped)."""
    settings = make_settings()
    _, home = open_stores(settings)
    home.open()
    hostile = "passage_vectors_rebuild_x; DROP TABLE feedback; --"
    with psycopg.connect(settings.storage.url, autocommit=True) as db:
        db.execute("INSERT INTO vector_counts (name, vectors) VALUES (%s, 0)", [hostile])
    assert home.fresh().count == 0
    with psycopg.connect(settings.storage.url, autocommit=True) as db:
        assert db.execute("SELECT to_regclass('feedback')").fetchone()[0] is not None
        names = [r[0] for r in db.execute("SELECT name FROM vector_counts").fetchall()]
    assert hostile not in names


def test_a_vector_store_takes_only_a_vector_tables_name() -> None:
    from index.storage.postgres.vectors import checked_table

    assert checked_table("passage_vectors_rebuild_0123456789ab")
    with pytest.raises(StoreError, match="is not a vector table's name"):
        checked_table("passage_vectors; DROP TABLE articles")


class SkewedClock:
    """A worker whose clock runs an hour fast: index/clock.py's `datetime`, replaced."""

    def __init__(self, monkeypatch) -> None:
        from datetime import datetime, timedelta

        class Fast(datetime):
            @classmethod
            def now(cls, tz=None):  # type: ignore[override]
                return datetime.now(tz) + timedelta(hours=1)

        monkeypatch.setattr("index.clock.datetime", Fast)


@postgres_only
def test_a_worker_with_a_fast_clock_waits_for_others_leases(
    state_database, storage_url, monkeypatch
) -> None:
    """Leases were compared with each worker's own clock: a worker an hour fast took a feed
    another was polling and alerts another was sending. The server's clock decides now."""
    from index.state import NewDelivery

    honest, fast = state_database().open_state(), state_database().open_state()
    honest.feeds.add("https://news.example.org/feed.xml", "Example")
    assert honest.feeds.lease("https://news.example.org/feed.xml", "honest", 600)
    subscription, _ = honest.subscriptions.add(1, None, "tsunami", "tsunami")
    honest.outbox.settle("article-1", [NewDelivery(1, None, subscription.id, 7, 0.5)])
    assert [d.chat_id for d in honest.outbox.claim_due("honest", 10, 600)] == [1]

    SkewedClock(monkeypatch)
    assert not fast.feeds.lease("https://news.example.org/feed.xml", "fast", 600)
    assert fast.outbox.claim_due("fast", 10, 600) == []


@postgres_only
def test_stats_on_postgresql_neither_makes_nor_reports_an_sqlite_file(
    make_settings, tmp_path
) -> None:
    """`stats` reported the schema version and size of a local SQLite file the archive does
    not use (and opening the archive made that file)."""
    import json

    from index.backends.postgres.schema import MIGRATIONS
    from newsbot_testing.in_process_cli import run_cli

    settings = make_settings()
    data_dir = tmp_path / "data"
    result = run_cli(
        "--data-dir",
        str(data_dir),
        "stats",
        "--json",
        env={"NEWSBOT_STORAGE_URL": settings.storage.url, "NEWSBOT_EMBEDDING_BACKEND": "torch"},
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert not (data_dir / "newsbot.db").exists()
    assert stats["schema_version"] == len(MIGRATIONS)
    with psycopg.connect(settings.storage.url) as db:
        size = db.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    assert abs(stats["database_bytes"] - size) < size // 10


def end_sessions(url: str, admin_url: str) -> None:
    """End every session of the database at `url`, as a server restart does."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [url.rsplit("/", 1)[1]],
        )


def locks_across_a_restart(settings, restart, caplog) -> None:
    """The write lock and a job lock held, the server's sessions ended by `restart`: taking
    each again works (and says so) and the job whose lock was lost mid-run is named."""
    from index import NewsArchive
    from index.state import DIGEST_JOB, MATCHING_JOB
    from newsbot_testing.made_up import HashEmbedder

    archive = NewsArchive(settings, embedder=HashEmbedder())
    jobs = archive.open_state().jobs
    with archive.write_lock:
        pass
    assert jobs.take(DIGEST_JOB)  # the digest job runs while the server restarts
    caplog.clear()
    restart()
    with archive.write_lock:  # was the driver's raw OperationalError
        pass
    assert jobs.take(MATCHING_JOB)  # was the driver's raw OperationalError
    jobs.give_back(MATCHING_JOB)
    jobs.give_back(DIGEST_JOB)  # its lock went with the old session: said, not silent
    logged = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("write lock's connection to PostgreSQL was lost" in m for m in logged), logged
    assert any("job locks' connection to PostgreSQL was lost" in m for m in logged), logged
    assert any(m.startswith("job digest") and "lost" in m for m in logged), logged
    assert jobs.take(DIGEST_JOB)
    jobs.give_back(DIGEST_JOB)


@postgres_only
def test_locks_reconnect_after_their_sessions_end(make_settings, postgres_server, caplog):
    settings = make_settings()
    locks_across_a_restart(
        settings, lambda: end_sessions(settings.storage.url, postgres_server.url()), caplog
    )


@pytest.mark.slow
def test_locks_reconnect_after_a_server_restart(tmp_path, caplog):
    from config import load_settings
    from newsbot_testing.postgres import TestPostgres

    server = TestPostgres().start()  # its own: restarting the shared one would upset others
    try:
        url = server.create_database()
        settings = load_settings(
            env={}, overrides={"data_dir": str(tmp_path / "data"), "storage.url": url}
        )
        locks_across_a_restart(settings, server.restart, caplog)
    finally:
        server.stop()
