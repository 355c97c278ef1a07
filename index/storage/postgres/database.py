"""The PostgreSQL database: one connection per thread, transactions, and this backend's own
schema migrations (the SQLite file's are in index/backends/sqlite/schema.py).

Connections run in autocommit; `transaction()` groups statements. psycopg is imported here
only, so the SQLite + FAISS default never needs it installed.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from pgvector.psycopg import register_vector

from config.redaction import scrubbed
from index.errors import StoreError
from index.storage.dialect import POSTGRESQL

Migration = Callable[[psycopg.Connection], None]

# Advisory lock keys, all of them here (one 64-bit space per database, shared with the
# per-article locks of hashtextextended(id)): "news" and a number.
MIGRATION_LOCK = 0x6E657773_0001  # migrations, one process at a time
PUBLISH_LOCK = 0x6E657773_0002  # the live vector table made or replaced
WRITE_LOCK = 0x6E657773_0003  # the archive's write lock (postgres/lock.py)
REBUILD_LOCK = 0x6E657773_0004  # held by the one re-index running, from start to swap
DIGEST_LOCK = 0x6E657773_0005  # the worker sending digests (index/state/postgres/jobs.py)
MATCHING_LOCK = 0x6E657773_0006  # the worker matching new articles to subscriptions


def describe(url: str) -> str:
    """host:port/database of a URL, for messages: never its password."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured PostgreSQL URL"
    where = f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"
    return scrubbed(where, url)  # libpq may read a password with an @ in it as the host


def driver_message(error: Exception, url: str) -> str:
    """The last line of a driver error, fit to show: libpq repeats pieces of a URL it cannot
    parse (a password with a space or a stray %, say), so the password is scrubbed out."""
    return scrubbed(_last_line(error), url)


class PostgresDatabase:
    """Opens `url` once per thread (psycopg serialises a shared connection's statements, so
    threads answering questions would queue behind each other) and migrates its schema."""

    dialect = POSTGRESQL

    def __init__(
        self,
        url: str,
        migrations: Sequence[Migration],
        application_name: str = "newsbot",
        session: dict[str, str] | None = None,
    ) -> None:
        """`migrations`: one per version in order (the archive's:
        index/backends/postgres/schema.py, opened by `index.backends.postgres.open_database`).
        `session`: settings every connection starts with (e.g. hnsw.ef_search)."""
        self.url = url
        self.session = dict(session or {})
        self.migrations = list(migrations)
        self.application_name = application_name
        self._local = threading.local()
        # Closed by close(); a thread's connection also goes when the thread does.
        self._opened: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()
        self._opened_lock = threading.Lock()
        self.migrate()

    def connect(self, *, vectors: bool = True) -> psycopg.Connection:
        """A new autocommit connection (the caller closes it)."""
        try:
            connection = psycopg.connect(
                self.url,
                autocommit=True,
                application_name=self.application_name,
                options=" ".join(f"-c {name}={value}" for name, value in self.session.items()),
            )
        except psycopg.ProgrammingError as error:  # the URL itself does not parse
            raise StoreError(
                "storage.url is not a PostgreSQL URL libpq can read "
                f"({driver_message(error, self.url)}); write it as "
                "postgresql://user:password@host:port/database, with any space, %, @, / or : "
                "in the password percent-encoded"
            ) from None
        except psycopg.Error as error:
            raise StoreError(
                f"cannot connect to PostgreSQL at {describe(self.url)}: "
                f"{driver_message(error, self.url)}"
            ) from None
        if vectors:
            try:
                register_vector(connection)
            except psycopg.ProgrammingError:
                pass  # the extension is created by the first migration
        return connection

    def connection(self) -> psycopg.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = self.connect()
            self._local.connection = connection
            with self._opened_lock:
                self._opened.add(connection)
        return connection

    def execute(
        self, sql: str, params: Sequence[Any] | dict | None = None, *, binary: bool = False
    ) -> psycopg.Cursor:
        """`binary`: results in PostgreSQL's binary format (a vector's floats as they are,
        not printed and parsed again)."""
        with self._connection_errors():
            return self.connection().execute(sql, params, binary=binary)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """Everything inside commits together or not at all."""
        with self._connection_errors():
            connection = self.connection()
            with connection.transaction():
                yield connection

    @contextmanager
    def _connection_errors(self) -> Iterator[None]:
        """A lost connection or a server going down is one readable StoreError (the next
        call connects again); mistakes in a statement stay what they are."""
        try:
            yield
        except psycopg.OperationalError as error:
            raise StoreError(
                f"the PostgreSQL server at {describe(self.url)} failed: "
                f"{driver_message(error, self.url)}"
            ) from error

    def migrate(self) -> None:
        with self.connect(vectors=False) as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"
            )
            current = connection.execute(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version"
            ).fetchone()[0]
            known = len(self.migrations)
            if current > known:
                raise StoreError(
                    f"the PostgreSQL database {describe(self.url)} has schema version "
                    f"{current}; this newsbot knows up to {known}"
                )
            for version in range(current + 1, known + 1):
                self.migrations[version - 1](connection)
                connection.execute("INSERT INTO schema_version VALUES (%s)", [version])

    def schema_version(self) -> int:
        return int(self.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    def close(self) -> None:
        with self._opened_lock:
            opened = list(self._opened)
            self._opened.clear()
        for connection in opened:
            connection.close()


def _last_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[-1].strip() if lines else type(error).__name__
