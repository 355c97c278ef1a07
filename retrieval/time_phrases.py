"""Questions about time: "latest on X", "what happened on 1 June 2024", "yesterday", "this
week", "last Monday". `read_time` finds the time phrase, turns it into a window of whole UTC
days counted from the archive's "now", and says what the question asks besides.

Relative words (today, yesterday, weeks, weekdays) are counted here, so their meaning is
fixed and tested; written dates ("1 June 2024", "June 1st", "2024-06-01") go to dateparser,
which knows the ways people write them. Only the question's first MAX_QUESTION_CHARS are
read, and every pattern is linear, so no input can make this slow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dateparser

from retrieval.answer import MAX_QUESTION_CHARS
from retrieval.text_terms import content_terms

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+\d{4})?"
_LEAD = r"(?:\b(?:on|in|from|since|during|for|of|over)\s+(?:the\s+)?)?"
# Written dates, for dateparser: "1 June 2024", "1st of June", "June 1, 2024", "2024-06-01",
# "June 2024" (a month).
_DATE = re.compile(
    _LEAD + r"\b(?P<date>\d{4}[-/]\d{1,2}[-/]\d{1,2}"
    rf"|{_ORDINAL}\s+(?:of\s+)?{_MONTH}{_YEAR}"
    rf"|{_MONTH}\s+{_ORDINAL}\b{_YEAR}"
    rf"|(?P<month>{_MONTH})\s+(?P<year>\d{{4}}))\b",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    _LEAD + r"\b(?P<rel>today|tonight|this\s+(?:morning|afternoon|evening)|yesterday"
    r"|(?:this|past|last)\s+(?:week|month)|the\s+day\s+before\s+yesterday"
    r"|(?:past|last)\s+(?P<days>\d{1,3})\s+days"
    rf"|(?P<which>last|this|past)?\s*(?P<weekday>{'|'.join(_WEEKDAYS)}))\b",
    re.IGNORECASE,
)
_LATEST = re.compile(
    r"\b(?:latest|newest|most\s+recent|recent|breaking|what(?:'|’)?s\s+new|what\s+is\s+new"
    r"|headlines|top\s+stories|up\s+to\s+date)\b",
    re.IGNORECASE,
)
# Words that ask for news without saying about what: a question of only these (and a day)
# wants the day's digest.
_GENERIC = frozenset(
    """happen happened happening going news story stories headline headlines event events
    update updates anything everything world today day days show give list tell whats
    what's new latest top main big biggest important morning evening afternoon tonight
    please bot me us now current currently so far there any""".split()
)
MAX_DAYS = 366


@dataclass(frozen=True)
class TimeQuestion:
    """What `read_time` understood. The window is [start, end) in UTC, None when the
    question names no time."""

    text: str  # the question without its time phrase and "latest" words
    start: datetime | None = None
    end: datetime | None = None
    latest: bool = False  # asks for the newest stories
    phrase: str = ""  # the time phrase as written

    @property
    def subject(self) -> list[str]:
        """The words that say what the question is about (none: it asks for news alone)."""
        return [t for t in content_terms(self.text) if t not in _GENERIC]

    @property
    def has_window(self) -> bool:
        return self.start is not None and self.end is not None


def read_time(question: str, now: datetime) -> TimeQuestion:
    """The question's time window and "latest" wish, counted from `now` (the archive's now:
    an aware datetime, or naive UTC). Never raises; anything unreadable is no window."""
    text = (question or "")[:MAX_QUESTION_CHARS]
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = end = None
    phrase = ""
    match = _RELATIVE.search(text)
    if match:
        start, end = _relative_window(match, today)
    if start is None:
        match = _DATE.search(text)
        if match:
            start, end = _written_window(match, now)
    if start is not None and match is not None:
        phrase = " ".join(match.group(0).split())
        text = text[: match.start()] + " " + text[match.end() :]
    latest = bool(_LATEST.search(text))
    text = " ".join(_LATEST.sub(" ", text).split())
    return TimeQuestion(text, start, end, latest, phrase)


def names_a_time(text: str) -> bool:
    """Whether the text names a time or asks for the latest (cheap: no dateparser)."""
    head = (text or "")[:MAX_QUESTION_CHARS]
    return bool(_RELATIVE.search(head) or _DATE.search(head) or _LATEST.search(head))


def _relative_window(match: re.Match, today: datetime) -> tuple[datetime | None, datetime | None]:
    rel = " ".join(match.group("rel").lower().split())
    day = timedelta(days=1)
    if (
        rel in ("today", "tonight")
        or rel.startswith("this ")
        and rel.endswith(("morning", "afternoon", "evening"))
    ):
        return today, today + day
    if rel == "yesterday":
        return today - day, today
    if rel == "the day before yesterday":
        return today - 2 * day, today - day
    monday = today - timedelta(days=today.weekday())
    if rel == "this week":
        return monday, today + day
    if rel == "last week":
        return monday - 7 * day, monday
    if rel == "past week":
        return today - 6 * day, today + day
    first = today.replace(day=1)
    if rel in ("this month", "past month"):
        return (first if rel == "this month" else today - 30 * day), today + day
    if rel == "last month":
        return (first - day).replace(day=1), first
    if match.group("days"):
        days = min(max(int(match.group("days")), 1), MAX_DAYS)
        return today - (days - 1) * day, today + day
    weekday = match.group("weekday")
    if weekday:
        back = (today.weekday() - _WEEKDAYS.index(weekday.lower())) % 7
        if back == 0 and (match.group("which") or "").lower() in ("last", "past"):
            back = 7  # "last Monday" on a Monday is a week ago
        start = today - back * day
        return start, start + day
    return None, None


def _written_window(match: re.Match, now: datetime) -> tuple[datetime | None, datetime | None]:
    written = match.group("date")
    base = now.replace(tzinfo=None)
    try:
        moment = dateparser.parse(
            written,
            languages=["en"],
            settings={
                "RELATIVE_BASE": base,
                "PREFER_DATES_FROM": "past",
                "PREFER_DAY_OF_MONTH": "first",
                "DATE_ORDER": "YMD" if re.match(r"\d{4}", written) else "DMY",
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except (ValueError, OverflowError, TypeError):  # dateparser's own errors on odd input
        return None, None
    if moment is None or not 1 <= moment.year <= 9998:
        return None, None
    start = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    if match.group("month"):  # "June 2024": the whole month
        start = start.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following
    return start, start + timedelta(days=1)
