"""What "as of a day" means, in one place, for every caller that asks as if a day were today
(`newsbot ask --as-of` and `--questions`, the `newsbot eval` datasets).

"As of 2024-05-31" is the end of that day in UTC (23:59:59): the news published that day is
already known, as a reader of that day's evening paper knows it. The evaluation's question
dates have always been read this way, and its figures (benchmarks/README.md) depend on it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


class DayError(ValueError):
    """A value that is not a day like 2024-05-31; the message says which value."""


def end_of_day(value: object) -> datetime:
    """ "2024-05-31" or "2024/05/31" (anything after the day, such as a time, is ignored) ->
    2024-05-31 23:59:59 UTC. Raises DayError for anything else."""
    text = str(value).strip().replace("/", "-")[:10]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise DayError(f"{value!r} is not a date like 2024-05-31") from None
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
