"""`newsbot migrate --to postgresql://…`: copy a data directory's archive (SQLite + FAISS) and
the bot's state into an empty PostgreSQL database, nothing embedded again, and count both sides.

Safe to kill and run again: the rows of every table and the vectors become visible together,
in one transaction, or not at all. The vectors are copied beside the rows into a re-index
table (index/migrate_copy.py, a thread and connection of their own), and the rows'
transaction swaps that table in and writes a marker (`migrate_runs`: the source and when)
before it commits. Killed before that commit, the target holds nothing but a half-filled
re-index table, which the next run drops; killed after it, the next run finds the marker,
finishes what came after the commit (the planner's statistics) and reports the counts.

The source is read as one snapshot: an SQLite read transaction for every table's rows, and
the FAISS file loaded while the archive's write lock is held, which it is throughout, so
`newsbot ingest` and `reindex` wait. The bot writes its state without that lock, so migrate
refuses to start while a bot runs on the directory (index/storage/lock.py BotRunLock), and
should anything else commit to the SQLite file meanwhile, the copy is rolled back, not
committed short of it. The alert queue is copied as it stands (the trigger that queues
each stored article fires for the copied ones too, and is undone), so the bot does not
alert anyone again about the archive's past.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from config import Settings
from index.backends.postgres import open_database as open_postgres
from index.backends.sqlite import open_database as open_sqlite
from index.clock import timestamp
from index.errors import StoreError
from index.migrate_copy import (
    TABLES,
    Copied,
    Progress,
    VectorCopy,
    copy_rows,
    count_rows,
    load_faiss,
)
from index.storage.lock import ArchiveLock, BotRunLock
from index.storage.postgres.database import PostgresDatabase, describe
from index.storage.postgres.vectors import LIVE
from index.storage.vectors import VectorIndex

__all__ = ["Copied", "Migrated", "copy_to_postgres"]


@dataclass(frozen=True)
class Migrated:
    """What a run did: the counts of both sides, table by table with the vectors last, and
    whether an earlier run had already committed the copy (this one only finished it)."""

    copied: list[Copied]
    earlier: bool = False


class Snapshot:
    """The source as it stands when opened: a read transaction on the SQLite file and the
    FAISS vectors in memory. `changed()`: whether another connection committed to the file
    since (the snapshot ends then)."""

    def __init__(self, sqlite_path: Path, faiss_path: Path, settings: Settings) -> None:
        self.database = open_sqlite(sqlite_path)  # brings an older file's schema up to date
        self.connection = self.database.connection()
        self._version = self._data_version()
        self.connection.execute("BEGIN")
        self.connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # pins it
        self.vectors: VectorIndex | None = (
            load_faiss(faiss_path, settings) if faiss_path.exists() else None
        )

    def count(self, table: str) -> int:
        return count_rows(self.connection, table)

    def changed(self) -> bool:
        self.close()
        return self._data_version() != self._version

    def close(self) -> None:
        if self.connection.conn.in_transaction:
            self.connection.execute("COMMIT")

    def _data_version(self) -> int:
        # Changes when another connection commits to the file (not within a transaction).
        return int(self.connection.execute("PRAGMA data_version").fetchone()[0])


def copy_to_postgres(settings: Settings, url: str, progress: Progress | None = None) -> Migrated:
    """Copy the archive of `settings.data_dir` into the empty database at `url`, or finish a
    copy an earlier run committed there. StoreError if the database holds another archive,
    the data directory holds none, or it changed while it was copied; ArchiveBusyError while
    a bot runs on it."""
    data_dir = Path(settings.data_dir)
    sqlite_path, faiss_path = data_dir / "newsbot.db", data_dir / "vectors.faiss"
    if not sqlite_path.exists():
        raise StoreError(f"{data_dir} holds no archive (no newsbot.db) to copy")
    report = progress or (lambda what, done: None)
    source_name = str(data_dir.resolve())
    running = BotRunLock(data_dir)
    running.hold_for_migrate()
    lock = ArchiveLock(
        data_dir / "write.lock", settings.storage.lock_timeout_seconds, label="newsbot migrate"
    )
    try:
        with lock:
            snapshot = Snapshot(sqlite_path, faiss_path, settings)
            # Per index build (and shared by a parallel build's workers): the HNSW graph and
            # the postings' key are built in memory when they fit.
            memory = {"maintenance_work_mem": f"{int(settings.storage.migrate_memory_mb)}MB"}
            target = open_postgres(url, application_name="newsbot migrate", session=memory)
            try:
                earlier = _earlier_run(target, url, source_name)
                if earlier is None:
                    copied = _copy(snapshot, target, settings, source_name, report)
                else:
                    copied = _counts(snapshot, target)
                    snapshot.close()
                _finish(target)
            finally:
                snapshot.close()
                target.close()
    finally:
        running.release()
    return Migrated(copied, earlier=earlier is not None)


def _copy(
    snapshot: Snapshot, target: PostgresDatabase, settings: Settings, source: str, report
) -> list[Copied]:
    """The rows, and the vectors staged beside them, committed together with the marker."""
    vectors = VectorCopy(snapshot.vectors, target, settings) if snapshot.vectors else None
    try:
        return _copy_beside(snapshot, target, vectors, source, report)
    finally:
        if vectors is not None:
            vectors.home.finished()  # copied or not, another re-index may start


def _copy_beside(
    snapshot: Snapshot, target: PostgresDatabase, vectors: VectorCopy | None, source: str, report
) -> list[Copied]:
    with ThreadPoolExecutor(1, thread_name_prefix="migrate-vectors") as beside:
        staged = beside.submit(vectors.run, report) if vectors else None
        try:
            with target.transaction() as tx:
                copy_rows(snapshot.connection, tx, report)
                copied = [
                    Copied(table, snapshot.count(table), count_rows(tx, table))
                    for table, _ in TABLES
                ]
                if snapshot.changed():
                    raise StoreError(
                        f"{source} was written while it was copied (by a process that does "
                        "not take its write lock); nothing was committed: run migrate again"
                    )
                if vectors is not None and staged is not None:
                    # Waits for the vectors: killed until here, nothing is committed.
                    fresh = staged.result()
                    copied.append(Copied("vectors", vectors.vectors.count, fresh.count))
                    vectors.home.swap_in(tx, fresh)
                tx.execute(
                    "INSERT INTO migrate_runs (source, copied_at) VALUES (%s, %s)",
                    [source, timestamp()],
                )
        except BaseException:
            if vectors is not None:
                vectors.cancel()  # the rows failed: stop the vectors now, not at their end
            raise
    return copied


def _earlier_run(target: PostgresDatabase, url: str, source: str) -> str | None:
    """The source an earlier run copied into `target` (then this run finishes it), None when
    the database is empty; StoreError when it holds another archive."""
    row = target.execute("SELECT source FROM migrate_runs").fetchone()
    if row is not None and row[0] == source:
        return str(row[0])
    if row is not None:
        raise StoreError(
            f"the PostgreSQL database {describe(url)} already holds the archive migrated "
            f"from {row[0]}; migrate copies into an empty database only"
        )
    held = target.execute(
        "SELECT (SELECT COUNT(*) FROM articles) + (SELECT COUNT(*) FROM subscriptions)"
        " + (SELECT COUNT(*) FROM feeds)"
    ).fetchone()
    if held[0]:
        raise StoreError(
            f"the PostgreSQL database {describe(url)} already holds an archive; "
            "migrate copies into an empty database only"
        )
    return None


def _counts(snapshot: Snapshot, target: PostgresDatabase) -> list[Copied]:
    """Both sides' counts of a copy an earlier run committed."""
    copied = [
        Copied(table, snapshot.count(table), count_rows(target, table)) for table, _ in TABLES
    ]
    if snapshot.vectors is not None:
        row = target.execute("SELECT vectors FROM vector_counts WHERE name = %s", [LIVE])
        copied.append(Copied("vectors", snapshot.vectors.count, int(row.fetchone()[0])))
    return copied


def _finish(target: PostgresDatabase) -> None:
    """The steps after the commit, which a rerun repeats if they were cut short: the
    planner's statistics and the visibility map now, not when autovacuum comes round to the
    new rows (a search then reads the postings' index alone)."""
    if target.execute("SELECT finished_at FROM migrate_runs").fetchone()[0] is not None:
        return
    target.execute("VACUUM (ANALYZE)")
    target.execute("UPDATE migrate_runs SET finished_at = %s", [timestamp()])
