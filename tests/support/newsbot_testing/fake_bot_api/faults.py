"""Injected failures: the next calls of a method answered with 429 and retry_after, a dropped
connection, an answer lost after the call took effect, or a 4xx/5xx; standing rules for calls
whose parameters match; seeded random failures; and slow methods."""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from newsbot_testing.fake_bot_api.protocol import FAULT_DESCRIPTIONS, FAULT_KINDS, ApiError


@dataclass
class Fault:
    kind: str
    remaining: int
    retry_after: int
    description: str | None
    skip: int = 0  # calls let through before this fault starts

    def error(self) -> ApiError:
        """The error answer of a fault that answers (every kind but the two that drop)."""
        if self.kind == "429":
            description = self.description or f"Too Many Requests: retry after {self.retry_after}"
            return ApiError(429, description, {"retry_after": self.retry_after})
        return ApiError(int(self.kind), self.description or FAULT_DESCRIPTIONS[self.kind])


@dataclass
class FaultRule:
    """A standing fault: every call of ``method`` whose params match fails with ``kind``."""

    method: str
    kind: str
    matches: Callable[[dict], bool]
    retry_after: int = 1


def fault_kind(kind: str | int) -> str:
    kind = str(kind)
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(FAULT_KINDS)}")
    return kind


class FaultPlan:
    """What the tests asked to go wrong, consulted once per call (`take`)."""

    def __init__(self) -> None:
        self.queued: dict[str, deque[Fault]] = {}
        self.rules: list[FaultRule] = []
        self.random: tuple[str, Callable[[dict], str | None], int] | None = None
        self.delays: dict[str, float] = {}

    def fail_next(
        self,
        method: str,
        kind: str | int,
        count: int = 1,
        retry_after: int = 5,
        description: str | None = None,
        after: int = 0,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (``"*"``: any method) fail, after
        letting ``after`` calls through (``after=1``: the second call fails).

        ``kind``: ``"429"`` (flood wait with ``retry_after``), ``"network"`` (connection
        dropped without an answer), ``"lost-answer"`` (the call succeeds, then the connection
        drops before the answer), ``"400"``, ``"403"``, ``"409"``, ``"500"``, ``"502"``.
        """
        fault = Fault(fault_kind(kind), count, retry_after, description, skip=after)
        self.queued.setdefault(method.lower(), deque()).append(fault)

    def fail_matching(
        self, method: str, kind: str | int, matches: Callable[[dict], bool], retry_after: int = 1
    ) -> None:
        """Until cleared (``clear``), every call of ``method`` whose params satisfy
        ``matches`` fails with ``kind``: e.g. refuse (400) every text holding a marker."""
        self.rules.append(FaultRule(method.lower(), fault_kind(kind), matches, retry_after))

    def fail_at_random(
        self, method: str, rates: dict[str, float], seed: int = 0, retry_after: int = 1
    ) -> None:
        """Each call of ``method`` fails with kind k with probability rates[k] (seeded)."""
        chooser = random.Random(seed)
        bounds = list(itertools.accumulate(rates.values()))

        def draw(params: dict) -> str | None:
            roll = chooser.random()
            return next((k for k, b in zip(rates, bounds, strict=True) if roll < b), None)

        for kind in rates:
            fault_kind(kind)
        self.random = (method.lower(), draw, retry_after)

    def clear(self) -> None:
        """Forget every pending, standing and random fault."""
        self.queued.clear()
        self.rules.clear()
        self.random = None

    def slow_down(self, method: str, seconds: float) -> None:
        """Answer every call of ``method`` only after ``seconds`` (0: at once again)."""
        self.delays[method.lower()] = seconds

    def delay(self, method: str) -> float:
        return self.delays.get(method.lower(), 0.0)

    def take(self, method: str, params: dict) -> Fault | None:
        """The fault this call of ``method`` meets, if any (and count it as met)."""
        for rule in self.rules:
            if rule.method == method.lower() and rule.matches(params):
                return Fault(rule.kind, 1, rule.retry_after, None)
        for key in (method.lower(), "*"):
            queue = self.queued.get(key)
            if queue:
                fault = queue[0]
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.popleft()
                return fault
        if self.random is not None and self.random[0] == method.lower():
            _, draw, retry_after = self.random
            kind = draw(params)
            if kind is not None:
                return Fault(kind, 1, retry_after, None)
        return None
