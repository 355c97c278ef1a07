"""One writer per data directory: a lock that threads of one process share re-entrantly and
that other processes (the bot, `newsbot ingest`, `newsbot reindex`) take in turn.

Inside a process it is an RLock. The outermost holder also takes `fcntl.flock` on
DATA_DIR/write.lock and writes its pid, command and start time into the file, so a process
kept waiting can say who holds it. The kernel drops a flock when its holder dies, even by
kill -9, so a crash never leaves the archive locked. Writers hold it per batch, never for a
process's lifetime, so the bot and a command-line ingest take turns.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from index.errors import IndexError_

POLL_SECONDS = 0.05
COMMANDS = ("ingest", "reindex", "run", "ask", "stats", "eval")


class ArchiveBusyError(IndexError_):
    """Another process kept the archive's write lock longer than storage.lock_timeout_seconds."""


def process_label(argv: list[str] | None = None) -> str:
    """What this process is, for the lock file: "newsbot ingest", or the program's name."""
    argv = sys.argv if argv is None else argv
    command = next((arg for arg in argv[1:] if arg in COMMANDS), None)
    if command is not None:
        return f"newsbot {command}"
    return Path(argv[0]).name if argv and argv[0] else "python"


class ReentrantLock:
    """What both write locks share: re-entrant within a process (an RLock and a depth), and
    the outermost `with` takes the lock between processes (`_take`, given back by
    `_give_back`) and then runs `on_acquire`."""

    def __init__(self, on_acquire: Callable[[], None] | None, label: str | None) -> None:
        self.on_acquire = on_acquire
        self.label = label or process_label()
        self._thread_lock = threading.RLock()
        self._depth = 0

    def __enter__(self) -> ReentrantLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, waiting up to timeout_seconds for another process; ArchiveBusyError
        (naming the holder) after that."""
        self._thread_lock.acquire()
        if self._depth:
            self._depth += 1
            return
        try:
            self._take()
            self._depth = 1
            if self.on_acquire is not None:
                self.on_acquire()
        except BaseException:
            self._depth = 0
            self._give_back()
            self._thread_lock.release()
            raise

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._give_back()
        self._thread_lock.release()

    def _take(self) -> None:
        raise NotImplementedError

    def _give_back(self) -> None:
        raise NotImplementedError


class ArchiveLock(ReentrantLock):
    """`with lock:` holds the data directory for writing; re-entrant within the process.

    `on_acquire` runs each time this process takes the file lock (the outermost `with`), while
    holding it: the archive uses it to catch up with what another process wrote meanwhile.
    """

    def __init__(
        self,
        path: Path,
        timeout_seconds: float,
        on_acquire: Callable[[], None] | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(on_acquire, label)
        self.path = path
        self.timeout_seconds = timeout_seconds
        self._fd: int | None = None

    def _take(self) -> None:
        self._fd = self._lock_file()

    def _give_back(self) -> None:
        self._unlock_file()

    def _lock_file(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise ArchiveBusyError(
                        f"the archive is being written by {holder}; try again when it finishes"
                    ) from None
                time.sleep(POLL_SECONDS)
        since = datetime.now().astimezone().strftime("%H:%M:%S")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{self.label}\n{since}\n".encode(), 0)
        return fd

    def _unlock_file(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _read_holder(fd: int) -> str:
    """ "pid 123 (newsbot ingest, since 10:02:11)" from the lock file, or "another process"."""
    try:
        lines = os.pread(fd, 1024, 0).decode("utf-8", "replace").splitlines()
    except OSError:
        lines = []
    if len(lines) >= 3 and lines[0].isdigit():
        return f"pid {lines[0]} ({lines[1]}, since {lines[2]})"
    return "another process"


class BotRunLock:
    """DATA_DIR/run.lock: every `newsbot run` on an SQLite data directory holds it shared for
    its lifetime, and `newsbot migrate` takes it exclusively. The bot writes its state (the
    outbox, subscriptions) without the write lock, so a copy made while it runs would miss
    what it wrote meanwhile: migrate refuses while a bot runs, and a bot refuses to start
    while a migrate copies. The kernel drops it with its holder, even on kill -9."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "run.lock"
        self._fd: int | None = None

    def hold_for_the_bot(self) -> None:
        """Shared with other bots; ArchiveBusyError while `newsbot migrate` copies."""
        if not self._take(fcntl.LOCK_SH):
            raise ArchiveBusyError(
                f"newsbot migrate is copying {self.path.parent}; "
                "start the bot on the database it copies into once it finishes"
            )

    def hold_for_migrate(self) -> None:
        """Exclusive; ArchiveBusyError while a bot runs on the data directory."""
        if not self._take(fcntl.LOCK_EX):
            raise ArchiveBusyError(
                f"the bot is running on {self.path.parent}: stop it before migrating, so no "
                "alert or subscription it writes meanwhile is left behind"
            )

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the file gives the lock back

    def _take(self, mode: int) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True
