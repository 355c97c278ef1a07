"""How fast a chat may ask: a token bucket per private chat or channel, and per member in
groups, so one flooder can neither delay other people's answers nor spend the bot's Telegram
send rate; and one per user across every chat, so a user in 20 groups gets no more than a
user in one. The same buckets, keyed per user alone, bound button presses.

A question takes a token; tokens come back at `per_minute`, up to `burst` saved. Past the
limit the asker is told once to slow down, then ignored until a token is back.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

# Buckets kept at most; a full bucket is the same as none, so those go first.
MAX_BUCKETS = 10_000


class Verdict(enum.Enum):
    ANSWER = "answer"
    SLOW_DOWN = "slow down"  # over the limit: say so, once
    IGNORE = "ignore"  # over the limit and already told


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class QuestionLimiter:
    """Decides, per question, whether to answer it. Not thread-safe: the bot calls it from
    the event loop only."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = float(burst)
        self.clock = clock
        self.max_buckets = max_buckets
        self._buckets: dict[tuple[int | str, int | None], _Bucket] = {}

    def check(self, chat_id: int, user_id: int | None = None, sender: int | None = None) -> Verdict:
        """Take a token for a question from `chat_id` (from `user_id` in a group: members
        have one bucket each; None elsewhere), and from `sender`'s own bucket, the same in
        every chat (None: the sender is a chat, as a channel's post)."""
        keys: list[tuple[int | str, int | None]] = [(chat_id, user_id)]
        if sender is not None:
            keys.append(("user", sender))
        return self.take(keys)

    def take(self, keys: list[tuple[int | str, int | None]]) -> Verdict:
        """A token from each of these buckets, or none at all when one of them is empty
        (told once per empty bucket, then ignored until it refills)."""
        now = self.clock()
        buckets = []
        for key in keys:
            bucket = self._buckets.get(key)
            if bucket is None:
                self._make_room()
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            buckets.append(bucket)
        empty = next((b for b in buckets if b.tokens < 1.0), None)
        if empty is None:
            for bucket in buckets:
                bucket.tokens -= 1.0
                bucket.warned = False
            return Verdict.ANSWER
        if empty.warned:
            return Verdict.IGNORE
        empty.warned = True
        return Verdict.SLOW_DOWN

    def _make_room(self) -> None:
        if len(self._buckets) < self.max_buckets:
            return
        now = self.clock()
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) >= self.max_buckets:  # all busy: forget the oldest
            del self._buckets[next(iter(self._buckets))]
