"""The archive's write lock for PostgreSQL: a session advisory lock in the database, so
writers on any machine take turns (the file lock of a data directory only covers one).

Same contract as index/storage/lock.py's ArchiveLock: re-entrant within a process, the
outermost holder takes the database lock and runs `on_acquire`, another process waits up to
`timeout_seconds` and then gets ArchiveBusyError naming the holder. PostgreSQL drops the lock
when the holder's connection ends, so a process killed with -9 never leaves it held. A
server restart ends it too: the next take logs that the connection was lost and connects
again, and a lock lost while held is logged when it is given back. It is a session lock, so
behind a connection pooler it needs session pooling (not PgBouncer's transaction pooling).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import psycopg

from index.errors import StoreError
from index.storage.lock import POLL_SECONDS, ArchiveBusyError, ReentrantLock
from index.storage.postgres.database import (
    WRITE_LOCK,
    PostgresDatabase,
    describe,
    driver_message,
)

log = logging.getLogger(__name__)


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
        deadline = time.monotonic() + self.timeout_seconds
        while not self._try_lock():
            if time.monotonic() >= deadline:
                raise ArchiveBusyError(
                    f"the archive is being written by {self._holder()}; try again when it finishes"
                )
            time.sleep(POLL_SECONDS)

    def _try_lock(self) -> bool:
        """One try; a connection lost since the last (a server restart) is logged and made
        again once, not raised as the driver's error."""
        try:
            return self._try_on_connection()
        except psycopg.OperationalError as error:
            log.warning(
                "the write lock's connection to PostgreSQL was lost (%s); connecting again",
                driver_message(error, self.database.url),
            )
            self._drop_connection()
        try:
            return self._try_on_connection()
        except psycopg.OperationalError as error:
            self._drop_connection()
            raise StoreError(
                f"the PostgreSQL server at {describe(self.database.url)} failed: "
                f"{driver_message(error, self.database.url)}"
            ) from error

    def _try_on_connection(self) -> bool:
        if self._connection is None or self._connection.closed:
            # A connection of its own, named after this process for whoever waits on it.
            self._connection = self.database.connect(vectors=False)
            self._connection.execute(
                "SELECT set_config('application_name', %s, false)", [self.label]
            )
        taken = self._connection.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
        return bool(taken.fetchone()[0])

    def _give_back(self) -> None:
        if self._connection is None or self._connection.closed:
            return
        try:
            released = self._connection.execute(
                "SELECT pg_advisory_unlock(%s)", [self.key]
            ).fetchone()[0]
        except psycopg.OperationalError as error:
            self._drop_connection()
            released = False
            why = driver_message(error, self.database.url)
        else:
            why = "it was not held"
        if not released:
            # The session (and the lock with it) ended while this process wrote: another
            # writer may have taken it meanwhile. The writes themselves were transactions.
            log.warning("the write lock was lost while held (%s): a PostgreSQL restart?", why)

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None

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
