"""The Article record, its content-derived id, normalisation of URLs and dates, and the bounds
every article is held to when it is made (`bounded_article`).

Everything here is total: any text gives a result or a SourceError, never another exception,
because every input comes from a feed, page or file someone else wrote.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from config import SourceSettings
from index.errors import SourceError

log = logging.getLogger(__name__)

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
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash.
    A URL that cannot be parsed is returned stripped, as it is (still a stable key)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # "http://[::1": an unclosed IPv6 bracket, a bad NFKC netloc
        return url.strip()
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


def http_url(url: str | None) -> str | None:
    """The URL stripped, when it is an http(s) URL with a host that parses; else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        return None
    return url


def normalise_date(value: str | datetime | time.struct_time | None) -> str | None:
    """ISO 8601 in UTC from the date formats seen in feeds, pages and data files; None if
    unknown or out of range (year 1 at +05:00 has no UTC form)."""
    try:
        return _normalise_date(value)
    except (ValueError, OverflowError, OSError, TypeError):
        return None


def _normalise_date(value: str | datetime | time.struct_time | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, time.struct_time):
        value = datetime.fromtimestamp(calendar.timegm(value), UTC)
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
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_published(value: str | None) -> datetime | None:
    """The stored ISO form back to an aware datetime (dates become midnight UTC)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (ValueError, TypeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# What no backend stores: NUL (PostgreSQL's text refuses it) and lone surrogates (no UTF-8
# form: SQLite and PostgreSQL both refuse them), with the other C0 controls and DEL, which
# only garble a quote. The controls Python counts as whitespace are tidied below as spaces.
_UNSTORABLE = re.compile("[\x00-\x08\x0e-\x1b\x7f\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without the characters no backend can store (the same on both backends, so an
    archive migrated from one to the other holds the same text)."""
    return _UNSTORABLE.sub("", text)


def clean_text(text: str) -> str:
    """Unicode-normalised text with tidy whitespace, paragraphs kept as single newlines, and
    nothing a backend cannot store."""
    text = unicodedata.normalize("NFC", storable(text)).replace("\r\n", "\n").replace("\r", "\n")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def bounded_article(
    title: str,
    text: str,
    url: str | None,
    source: str,
    published: str | None,
    limits: SourceSettings,
) -> Article:
    """The one place an Article is made from outside text: every field cleaned and held to
    `limits`. Text past max_article_chars is cut at a paragraph, sentence or word boundary;
    an over-long title or outlet is shortened; a URL that is not http(s), does not parse or is
    longer than max_url_chars is a SourceError, as is an article without text."""
    url = checked_url(url, limits)
    label = url or title[:80] or source[:80] or "an article"
    # Cleaning only shrinks whitespace, so a generous raw prefix is enough and keeps a 20 MB
    # text from being copied whole several times over.
    text = clean_text(text[: 4 * limits.max_article_chars + 1_000])
    if not text:
        raise SourceError(f"{label}: no article text")
    if len(text) > limits.max_article_chars:
        text = cut_text(text, limits.max_article_chars)
        log.info("%s: article cut to %d characters (sources.max_article_chars)", label, len(text))
    title = clean_text(title[: 4 * limits.max_title_chars]).replace("\n", " ")
    if not title:
        title = cut_text(text.split("\n", 1)[0], 120)
    if len(title) > limits.max_title_chars:
        title = cut_text(title, limits.max_title_chars - 1) + "…"
    source = clean_text(source[: 4 * limits.max_source_chars]).replace("\n", " ")
    if len(source) > limits.max_source_chars:
        source = cut_text(source, limits.max_source_chars - 1) + "…"
    return Article(title=title, text=text, url=url, source=source, published=published)


def checked_url(url: str | None, limits: SourceSettings) -> str | None:
    """The stripped URL, None when there is none; SourceError when it is longer than
    max_url_chars or not an http(s) URL that parses."""
    if url is None or not url.strip():
        return None
    if len(url) > limits.max_url_chars:
        raise SourceError(f"URL longer than {limits.max_url_chars:,} characters")
    checked = http_url(url)
    if checked is None:
        raise SourceError(f"not an http(s) URL: {url[:200]!r}")
    return checked


_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s")


def cut_text(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, cut at the last paragraph break, else sentence
    end, else space in the second half of the allowance; a hard cut when there is none."""
    if len(text) <= limit:
        return text
    window = text[: limit + 1]
    half = limit // 2
    paragraph = window.rfind("\n", 0, limit + 1)
    if paragraph > half:
        return window[:paragraph].rstrip()
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window, half)]
    if sentence_ends:
        return window[: sentence_ends[-1]].rstrip()
    space = max(window.rfind(" ", 0, limit + 1), 0)
    if space > half:
        return window[:space].rstrip()
    return text[:limit].rstrip() or text[:limit]
