"""The Article record, its content-derived id, and normalisation of URLs and dates."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|smid)$", re.I)


@dataclass(frozen=True)
class Article:
    """One news article as read from a source, before it is stored."""

    title: str
    text: str
    url: str | None = None
    source: str = ""
    published: str | None = None  # ISO 8601 date or datetime (UTC), or None when unknown

    @property
    def id(self) -> str:
        return article_id(self.url, self.text)


def article_id(url: str | None, text: str) -> str:
    """A stable id: from the canonical URL when there is one, else from the normalised text."""
    if url:
        key = "url:" + canonical_url(url)
    else:
        key = "text:" + " ".join(unicodedata.normalize("NFKC", text).split()).lower()
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash."""
    parts = urlsplit(url.strip())
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING_PARAMS.match(k)
        ]
    )
    path = parts.path.rstrip("/") or "/"
    netloc = parts.netloc.lower()
    if netloc.startswith("www."):
        netloc = netloc[4:]
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"
    return urlunsplit((scheme, netloc, path, query, ""))


def normalise_date(value: str | datetime | None) -> str | None:
    """ISO 8601 in UTC from the date formats seen in feeds, pages and data files; None if unknown."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip()
        if not text:
            return None
        moment = _parse_date_text(text)
        if moment is None:
            return None
        if len(text) <= 10 and moment.hour == moment.minute == 0:
            return moment.date().isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_date_text(text: str) -> datetime | None:
    candidate = text.replace("/", "-")
    if candidate.endswith("Z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def parse_published(value: str | None) -> datetime | None:
    """The stored ISO form back to an aware datetime (dates become midnight UTC)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def clean_text(text: str) -> str:
    """Unicode-normalised text with tidy whitespace, paragraphs kept as single newlines."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
