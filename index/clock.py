"""The one clock: the current UTC time, and the one text form of a moment that is stored.

Every stored moment (an article's ingested_at, which queues it for alerts; a subscription's
created_at; the outbox's leases and retries; a feed's last poll; a digest) is written by
`timestamp`: ISO 8601 in UTC to the millisecond, e.g. "2026-11-30T08:03:30.125+00:00".
All such texts have the same width and zone, so comparing them as text (in SQL or Python)
is comparing the moments; milliseconds tell apart events of the same second (a chat that
subscribes just after an article was stored, a retry due a few hundred ms later).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]  # gives the current UTC time; tests pass a hand-driven one


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def timestamp(at: datetime | None = None) -> str:
    """`at` (default: now) as stored text: UTC, milliseconds, sortable as text. A naive
    datetime is refused (ValueError): its zone would be a guess."""
    moment = utc_now() if at is None else at
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no timezone; pass an aware datetime")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
