"""What a button refers to, kept in memory under a short token: callback data holds 64 bytes,
an answer or a listing does not fit. In memory only: after a restart an old button's token
is unknown (a per-process prefix keeps an earlier run's tokens from matching new items)."""

from __future__ import annotations

import itertools
import secrets
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class TokenMemory(Generic[T]):
    """The last `capacity` items, least recently used dropped first."""

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, T] = OrderedDict()
        self._prefix = secrets.token_hex(2)
        self._counter = itertools.count(1)

    def remember(self, item: T) -> str:
        token = f"{self._prefix}{next(self._counter):x}"
        self._items[token] = item
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return token

    def get(self, token: str) -> T | None:
        item = self._items.get(token)
        if item is not None:
            self._items.move_to_end(token)
        return item
