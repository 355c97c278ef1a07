"""Inline answers by question, for a while: Telegram sends an inline query as the user types
and again for every chat they share from, and many users ask the same ("@bot latest").
Telegram caches too (cache_time), per query text, but only on its side of each client."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


def question_key(question: str) -> str:
    """Questions that differ in case and spacing only are one entry."""
    return " ".join(question.lower().split())


class InlineCache:
    def __init__(
        self, seconds: float, capacity: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.capacity = capacity
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, question: str) -> Any | None:
        key = question_key(question)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.clock() - entry[0] > self.seconds:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, question: str, value: Any) -> None:
        key = question_key(question)
        self._entries[key] = (self.clock(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
