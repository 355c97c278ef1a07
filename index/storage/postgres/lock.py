"""The archive's write lock for PostgreSQL: a session advisory lock in the database, so
writers on any machine take turns (the file lock of a data directory only covers one).

Same contract as index/storage/lock.py's ArchiveLock: re-entrant within a process, the
outermost holder takes the database lock and runs `on_acquire`, another process waits up to
`timeout_seconds` and then gets ArchiveBusyError naming the holder. PostgreSQL drops the lock
when the holder's connection ends, so a process killed with -9 never leaves it held.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

from index.storage.lock import POLL_SECONDS, ArchiveBusyError, ReentrantLock
from index.storage.postgres.database import WRITE_LOCK, PostgresDatabase


class AdvisoryLock(ReentrantLock):
    """`with lock:` holds the archive for writing; re-entrant within the process."""

    def __init__(
        self,
        database: PostgresDatabase,
        timeout_seconds: float,
        on_acquire: Callable[[], None] | None = None,
        label: str | None = None,
        key: int = WRITE_LOCK,
    ) -> None:
        super().__init__(on_acquire, label)
        self.database = database
        self.timeout_seconds = timeout_seconds
        self.key = key
        self._connection: psycopg.Connection | None = None

    def _take(self) -> None:
        if self._connection is None or self._connection.closed:
            # A connection of its own, named after this process for whoever waits on it.
            self._connection = self.database.connect(vectors=False)
            self._connection.execute(
                "SELECT set_config('application_name', %s, false)", [self.label]
            )
        deadline = time.monotonic() + self.timeout_seconds
        while not self._connection.execute(
            "SELECT pg_try_advisory_lock(%s)", [self.key]
        ).fetchone()[0]:
            if time.monotonic() >= deadline:
                raise ArchiveBusyError(
                    f"the archive is being written by {self._holder()}; try again when it finishes"
                )
            time.sleep(POLL_SECONDS)

    def _give_back(self) -> None:
        if self._connection is None or self._connection.closed:
            return
        self._connection.execute("SELECT pg_advisory_unlock(%s)", [self.key])

    def _holder(self) -> str:
        """ "newsbot ingest (server pid 123, connected since 10:02:11)", or "another process"."""
        assert self._connection is not None
        row = self._connection.execute(
            """SELECT a.application_name, a.pid, to_char(a.backend_start, 'HH24:MI:SS')
               FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE l.locktype = 'advisory' AND l.granted
                 AND ((l.classid::bigint << 32) | l.objid::bigint) = %s""",
            [self.key],
        ).fetchone()
        if row is None:
            return "another process"
        return f"{row[0] or 'a client'} (server pid {row[1]}, connected since {row[2]})"
