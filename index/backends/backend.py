"""What an archive needs of a backend: its passages, its vectors' home, its write lock, its
state stores and its figures. Each backend (a folder beside this module) opens one."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from index.clock import Clock
from index.state.stores import BotState
from index.storage.interfaces import PassageStore, VectorHome

# A backend opener: (settings, embedding dimension, model name, on_acquire) -> Backend, where
# on_acquire runs whenever the write lock is taken (the archive looks at its vectors again).
OnAcquire = Callable[[], None]


class SchemaDatabase(Protocol):
    def schema_version(self) -> int: ...


@dataclass(frozen=True)
class Backend:
    """One archive's storage, opened and migrated.

    `database` is the backend's own handle (an SQLite `Database`, a `PostgresDatabase`), for
    tools and tests that look inside; the archive goes through the other fields only."""

    label: str  # where the passages are, for `newsbot stats` (never a password)
    database: Any
    store: PassageStore
    home: VectorHome
    # Held while passages are written with their vectors; re-entrant; across processes one
    # writer at a time.
    write_lock: AbstractContextManager[Any]
    state_on: Callable[[Clock | None], BotState]
    size_bytes: Callable[[], int]  # the database's size on disk
    schema_version: Callable[[], int]

    def open_state(self, clock: Clock | None = None) -> BotState:
        """The state stores beside the passages. The outbox keeps time by `clock` when given
        (tests drive it by hand), else by the clock every writer of this backend shares."""
        return self.state_on(clock)
