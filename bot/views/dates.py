"""How a stored publication date is shown to a reader."""

from __future__ import annotations

from index.text import parse_published


def display_date(published: str | None) -> str:
    """ "21 May 2022" (no time: feeds disagree on time zones, the day is what readers need)."""
    moment = parse_published(published)
    return f"{moment.day} {moment:%b %Y}" if moment else ""
