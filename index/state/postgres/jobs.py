"""One worker at a time for the jobs that must not run twice at once (digests; alert matching
with its profile refresh): a session advisory lock each, on a connection of their own, so a
worker killed with -9 holds none (PostgreSQL drops them with its connection). A server
restart drops them too: the next `take` says so in the log and connects again, and a job
whose lock went while it ran is named when it gives the lock back. A session lock needs a
session of its own: behind a pooler, session pooling (PgBouncer's transaction pooling hands
each statement any server connection, so a lock is taken on one and released on another)."""

from __future__ import annotations

import logging
import threading

import psycopg

from index.errors import StoreError
from index.state.interfaces import DIGEST_JOB, MATCHING_JOB
from index.storage.postgres.database import (
    DIGEST_LOCK,
    MATCHING_LOCK,
    PostgresDatabase,
    describe,
    driver_message,
)

log = logging.getLogger(__name__)

_KEYS = {DIGEST_JOB: DIGEST_LOCK, MATCHING_JOB: MATCHING_LOCK}


class AdvisoryJobLocks:
    """`take(job)` is True for the one worker that now runs `job`; the others skip it."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database
        self._connection: psycopg.Connection | None = None
        self._held: set[str] = set()
        self._lock = threading.Lock()  # jobs run in threads; the set and connection are shared

    def take(self, job: str) -> bool:
        with self._lock:
            if job in self._held:
                return False  # this worker runs it already
            if self._connection is not None and self._connection.closed:
                self._lost("closed")
            try:
                taken = self._try_lock(job)
            except psycopg.OperationalError as error:
                # The server restarted (or dropped this session): the locks went with the
                # connection. Say so, connect again, and try once more.
                self._lost(driver_message(error, self.database.url))
                try:
                    taken = self._try_lock(job)
                except psycopg.OperationalError as again:
                    self._lost(driver_message(again, self.database.url))
                    raise StoreError(
                        f"the PostgreSQL server at {describe(self.database.url)} failed: "
                        f"{driver_message(again, self.database.url)}"
                    ) from again
            if not taken:
                return False
            self._held.add(job)
            return True

    def give_back(self, job: str) -> None:
        with self._lock:
            if job not in self._held:
                return
            self._held.discard(job)
            try:
                released = (
                    self._connection is not None
                    and self._connection.execute(
                        "SELECT pg_advisory_unlock(%s)", [_KEYS[job]]
                    ).fetchone()[0]
                )
            except psycopg.OperationalError as error:
                self._lost(driver_message(error, self.database.url))
                released = False
            if not released:
                log.warning(
                    "job %s: its lock was lost with its connection to PostgreSQL while it "
                    "ran (a server restart?); another worker may have run it meanwhile",
                    job,
                )

    def _try_lock(self, job: str) -> bool:
        if self._connection is None or self._connection.closed:
            self._connection = self.database.connect(vectors=False)
        taken = self._connection.execute("SELECT pg_try_advisory_lock(%s)", [_KEYS[job]])
        return bool(taken.fetchone()[0])

    def _lost(self, why: str) -> None:
        """The locks' connection is gone, and with it every lock it held: log it (naming the
        jobs running without their lock now), and connect again at the next use."""
        running = ", ".join(sorted(self._held)) or "none"
        log.warning(
            "the job locks' connection to PostgreSQL was lost (%s); connecting again "
            "(jobs running without their lock now: %s)",
            why,
            running,
        )
        for job in sorted(self._held):
            log.warning("job %s: its lock was lost while it ran", job)
        self._held.clear()
        if self._connection is not None:
            self._connection.close()
        self._connection = None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
            self._held.clear()
