"""A chat's time: the zone it set (/timezone), its quiet hours (/quiet 22:00-07:00) and the
moments its digest is due (/digest daily 08:00), read from what users type and applied to
UTC moments. Pure functions: the moment is always passed in (index/clock.py is the clock).

A zone is an IANA name (Europe/Kyiv, from the tz database) or a fixed offset (+03:00, -5,
UTC); quiet hours and schedules are in the chat's zone, so they follow its daylight saving.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_ZONE_CHARS = 64
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_TIME = re.compile(r"(\d{1,2})[:.h](\d{2})")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ClockError(ValueError):
    """What a user typed is not a zone, a time of day or a schedule; the message says why."""


def parse_zone(text: str) -> str:
    """The zone as stored: an IANA name as the tz database spells it, or "+HH:MM"."""
    text = (text or "").strip()
    if text.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    offset = _OFFSET.fullmatch(text)
    if offset:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 14 or minutes >= 60 or (hours == 14 and minutes):
            raise ClockError(f"{text} is not a UTC offset (they run from -14:00 to +14:00).")
        return f"{sign}{hours:02d}:{minutes:02d}"
    if not text or len(text) > MAX_ZONE_CHARS or not re.fullmatch(r"[A-Za-z0-9_+/-]+", text):
        raise ClockError(f"I don't know the time zone “{text[:MAX_ZONE_CHARS]}”.")
    try:
        return ZoneInfo(text).key
    except (ZoneInfoNotFoundError, ValueError):
        for known in _zone_names():  # "europe/kyiv" as typed on a phone
            if known.lower() == text.lower():
                return known
        raise ClockError(f"I don't know the time zone “{text}”.") from None


def _zone_names() -> set[str]:
    from zoneinfo import available_timezones

    return available_timezones()


def zone_of(stored: str | None) -> tzinfo:
    """The tzinfo of a stored zone (UTC when none)."""
    if not stored or stored == "UTC":
        return UTC
    if stored[0] in "+-":
        sign = -1 if stored[0] == "-" else 1
        hours, minutes = int(stored[1:3]), int(stored[4:6])
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return ZoneInfo(stored)


def parse_time_of_day(text: str) -> str:
    """ "8:00", "08.00", "22h30" -> "HH:MM"."""
    found = _TIME.fullmatch((text or "").strip())
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise ClockError(f"{text} is not a time of day (00:00 to 23:59).")
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def parse_hours(text: str) -> tuple[str, str]:
    """ "22:00-07:00" -> ("22:00", "07:00"); the span may cross midnight, not be empty."""
    parts = re.split(r"\s*[-–—]\s*|\s+to\s+", (text or "").strip(), maxsplit=1)
    if len(parts) != 2:
        raise ClockError(f"{text} is not a span of hours like 22:00-07:00.")
    start, end = parse_time_of_day(parts[0]), parse_time_of_day(parts[1])
    if start == end:
        raise ClockError("Quiet hours need a start and an end that differ.")
    return start, end


def _clock(stored: str) -> time:
    return time(int(stored[:2]), int(stored[3:5]))


def in_hours(moment: datetime, start: str, end: str, zone: str | None) -> bool:
    """Whether `moment` (aware) falls between `start` and `end` in the zone (end excluded)."""
    local = moment.astimezone(zone_of(zone)).time().replace(second=0, microsecond=0)
    begins, ends = _clock(start), _clock(end)
    if begins < ends:
        return begins <= local < ends
    return local >= begins or local < ends  # across midnight


def local_now(moment: datetime, zone: str | None) -> str:
    """ "14:05" in the zone: shown when a chat sets it, so a wrong zone is seen at once."""
    return moment.astimezone(zone_of(zone)).strftime("%H:%M")


def parse_schedule(words: list[str]) -> str:
    """`daily 08:00` or `weekly mon 08:00` (any case, a day's full name too) as stored."""
    kind = words[0].lower() if words else ""
    if kind == "daily" and len(words) == 2:
        return f"daily {parse_time_of_day(words[1])}"
    if kind == "weekly" and len(words) == 3:
        typed = words[1].lower()
        days = [
            d for d, name in zip(WEEKDAYS, DAY_NAMES, strict=True) if typed in (d, name.lower())
        ]
        if not days:
            raise ClockError(f"{words[1]} is not a day of the week (mon, tue, … sun).")
        return f"weekly {days[0]} {parse_time_of_day(words[2])}"
    raise ClockError("A schedule is daily 08:00 or weekly mon 08:00.")


def latest_slot(schedule: str, zone: str | None, now: datetime) -> datetime:
    """The most recent moment (aware, at or before `now`) the schedule names, in the zone."""
    parts = schedule.split()
    at = _clock(parts[-1])
    local = now.astimezone(zone_of(zone))
    day = local.date()
    step = 7 if parts[0] == "weekly" else 1
    if parts[0] == "weekly":
        day -= timedelta(days=(day.weekday() - WEEKDAYS.index(parts[1])) % 7)
    slot = datetime.combine(day, at, tzinfo=local.tzinfo)
    while slot > now:  # later today (this week): the one before
        day -= timedelta(days=step)
        slot = datetime.combine(day, at, tzinfo=local.tzinfo)
    return slot


def describe_schedule(schedule: str) -> str:
    """ "every day at 08:00", "every Monday at 08:00"."""
    parts = schedule.split()
    if parts[0] == "weekly":
        return f"every {DAY_NAMES[WEEKDAYS.index(parts[1])]} at {parts[2]}"
    return f"every day at {parts[1]}"
