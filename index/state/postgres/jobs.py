"""One worker at a time for the jobs that must not run twice at once (digests; alert matching
with its profile refresh): a session advisory lock each, on a connection of their own, so a
worker killed with -9 holds none (PostgreSQL drops them with its connection)."""

from __future__ import annotations

import threading

import psycopg

from index.state.interfaces import DIGEST_JOB, MATCHING_JOB
from index.storage.postgres.database import DIGEST_LOCK, MATCHING_LOCK, PostgresDatabase

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
            if self._connection is None or self._connection.closed:
                self._connection = self.database.connect(vectors=False)
                self._held.clear()  # a lost connection took its locks with it
            taken = self._connection.execute("SELECT pg_try_advisory_lock(%s)", [_KEYS[job]])
            if not taken.fetchone()[0]:
                return False
            self._held.add(job)
            return True

    def give_back(self, job: str) -> None:
        with self._lock:
            if job not in self._held:
                return
            self._held.discard(job)
            if self._connection is not None and not self._connection.closed:
                self._connection.execute("SELECT pg_advisory_unlock(%s)", [_KEYS[job]])

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
            self._held.clear()
