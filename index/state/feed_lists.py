"""Many feeds registered at once (an OPML list sent to the bot, `newsbot feeds add`), within
`alerts.max_feeds`: a list that would take the registry past it is refused whole, before
anything is added, so a list of 10,000 feeds costs one reply and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from index.errors import IndexError_
from index.state.interfaces import Feeds


class FeedLimitError(IndexError_):
    """Registering these feeds would pass the most the bot polls; nothing was added."""


@dataclass
class FeedsAdded:
    added: list[str] = field(default_factory=list)
    already: int = 0  # registered before
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, why)


def url_problem(url: str, max_chars: int) -> str | None:
    """Why `url` cannot be a feed's address, or None."""
    if len(url) > max_chars:
        return f"longer than {max_chars:,} characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    return None


def register_feeds(
    feeds: Feeds,
    listed: Sequence[tuple[str, str]],
    max_feeds: int,
    max_url_chars: int,
    added_by: int | None = None,
) -> FeedsAdded:
    """Register each (url, title) not yet polled. FeedLimitError, with nothing added, when
    the new ones would make more than `max_feeds`. Blocking."""
    result = FeedsAdded()
    known = {feed.url for feed in feeds.all()}
    fresh: list[tuple[str, str]] = []
    for url, title in listed:
        problem = url_problem(url, max_url_chars)
        if problem:
            result.skipped.append((url, problem))
        elif url in known:
            result.already += 1
        else:
            known.add(url)
            fresh.append((url, title))
    total = len(known)
    if total > max_feeds:
        raise FeedLimitError(
            f"That would make {total:,} feeds; I poll at most {max_feeds:,}"
            f" (alerts.max_feeds), so I added none of the {len(fresh):,} new ones."
        )
    for url, title in fresh:
        if feeds.add(url, title or url, added_by):
            result.added.append(url)
        else:
            result.already += 1
    return result
