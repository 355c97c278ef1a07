"""Articles from the web: one page through trafilatura, every item of an RSS/Atom feed through
feedparser (fetching each item's page when the feed carries only a summary), and the feeds of
an OPML list."""

from __future__ import annotations

import asyncio
import calendar
import functools
import html as html_lib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import ModuleType
from urllib.parse import urlsplit

import feedparser

from config import SourceSettings
from index.errors import SourceError
from index.sources.fetching import FetchedResource, Fetcher
from index.sources.opml import is_opml, parse_opml
from index.text.articles import (
    Article,
    bounded_article,
    checked_url,
    clean_text,
    cut_text,
    http_url,
    normalise_date,
)

log = logging.getLogger(__name__)

# A feed item with at least this many words of content is taken as the full article.
FULL_TEXT_WORDS = 150
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TAG = re.compile(r"<[^>]+>")
_DEFAULTS = SourceSettings()
_MENU_SEPARATORS = ("|", "•")


def _trafilatura() -> ModuleType:
    """trafilatura, imported on first use: it loads lxml and its extractors, which
    a process reading only feeds or files never needs."""
    import trafilatura

    return trafilatura


@dataclass(frozen=True)
class SourceFailure:
    """One item of a source that could not be read; the rest of the source goes on."""

    label: str
    reason: str


@dataclass(frozen=True)
class FeedItem:
    url: str | None
    title: str
    published: str | None
    content: str  # plain text from the feed itself (summary or full content)
    source: str


@dataclass(frozen=True)
class FeedDocument:
    url: str
    title: str
    items: tuple[FeedItem, ...]
    etag: str | None
    last_modified: str | None
    not_modified: bool = False
    failures: tuple[SourceFailure, ...] = ()  # items the parser could not read


def extract_article(
    html: str, url: str | None, fallback_source: str = "", limits: SourceSettings = _DEFAULTS
) -> Article:
    """Main text, title, date, outlet and canonical URL of an article page (trafilatura).
    SourceError when the page holds no article: no text, or too little prose to be one (a
    menu, a cookie wall), judged by `limits.min_article_words`."""
    where = url or fallback_source or "the page"
    try:
        document = _trafilatura().bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False
        )
    except Exception:  # lxml and trafilatura raise many kinds on hostile markup
        log.warning("%s: HTML extraction failed", where, exc_info=True)
        raise SourceError(f"{where}: could not be read as HTML") from None
    text = clean_text(getattr(document, "text", None) or "") if document else ""
    if _prose_words(text) < max(limits.min_article_words, 1):
        raise SourceError(f"{where}: no article text found")
    title = clean_text(getattr(document, "title", None) or "")
    first_line, _, rest = text.partition("\n")
    if title and rest and first_line.strip().lower() == title.lower():
        text = rest  # the page's <h1> repeats the title we store apart
    canonical = http_url(getattr(document, "url", None)) or url
    host = _host(url)
    return bounded_article(
        title=title,
        text=text,
        url=canonical,
        source=getattr(document, "sitename", None) or _outlet(host) or fallback_source,
        published=normalise_date(getattr(document, "date", None)),
        limits=limits,
    )


def _prose_words(text: str) -> int:
    """Words in lines that read as prose: at least six words, not a row of links split by
    separators. Navigation extracted from a page without an article is short lines or rows."""
    total = 0
    for line in text.split("\n"):
        words = line.split()
        if len(words) >= 6 and sum(line.count(mark) for mark in _MENU_SEPARATORS) < 2:
            total += len(words)
    return total


async def fetch_article(fetcher: Fetcher, url: str, limits: SourceSettings = _DEFAULTS) -> Article:
    resource = await fetcher.get(url)
    if not _is_html(resource):
        raise SourceError(
            f"{url} is not an HTML page (content type {resource.content_type or 'unknown'})"
        )
    return await asyncio.to_thread(_extract_resource, resource, limits)


def _extract_resource(resource: FetchedResource, limits: SourceSettings) -> Article:
    """Decode and extract in one worker-thread call: both take a while on a large page."""
    return extract_article(resource.text(), resource.url, "", limits)


async def fetch_feed(
    fetcher: Fetcher,
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: SourceSettings = _DEFAULTS,
) -> FeedDocument:
    """Fetch and parse a feed, sending ETag/Last-Modified so an unchanged feed costs nothing."""
    resource = await fetcher.get(url, etag=etag, last_modified=last_modified)
    if resource.not_modified:
        return FeedDocument(url, "", (), etag, last_modified, not_modified=True)
    return await asyncio.to_thread(parse_feed, resource, limits)


_CHARACTER_REFERENCE = re.compile(rb"&#([xX][0-9a-fA-F]{1,16}|[0-9]{1,20});")


def _without_impossible_references(body: bytes) -> bytes:
    """The feed without character references to no character (a lone surrogate, past
    U+10FFFF): feedparser raises on the first one, which lost the whole feed."""

    def checked(match: re.Match[bytes]) -> bytes:
        code = match.group(1)
        value = int(code[1:], 16) if code[:1] in b"xX" else int(code)
        return b"" if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF else match.group(0)

    return _CHARACTER_REFERENCE.sub(checked, body)


def parse_feed(resource: FetchedResource, limits: SourceSettings = _DEFAULTS) -> FeedDocument:
    """The feed's items (the newest max_items_per_feed), each read on its own: an item that
    cannot be read becomes one of the document's failures. SourceError if it is no feed."""
    try:
        parsed = feedparser.parse(
            _without_impossible_references(resource.body), response_headers=resource.headers
        )
    except Exception:
        log.warning("%s: feedparser failed", resource.url, exc_info=True)
        raise SourceError(f"{resource.url} is not a valid RSS or Atom feed") from None
    # feedparser recovers what it can from broken XML; accept that only when it still
    # found items with links, as real feeds with a stray bad character do.
    usable = [e for e in parsed.entries if e.get("link") or e.get("content")]
    if not usable and (parsed.bozo or not parsed.feed):
        raise SourceError(f"{resource.url} is not a valid RSS or Atom feed")
    feed_title = clean_text(str(parsed.feed.get("title", ""))) or _outlet(_host(resource.url))
    feed_title = cut_text(feed_title, limits.max_source_chars)
    items, failures = [], []
    for number, entry in enumerate(_newest(parsed.entries, limits, resource.url), 1):
        try:
            items.append(_feed_item(entry, feed_title))
        except Exception as error:
            log.warning("%s: item %d unreadable", resource.url, number, exc_info=True)
            failures.append(SourceFailure(f"{resource.url} item {number}", _reason(error)))
    return FeedDocument(
        url=resource.url,
        title=feed_title,
        items=tuple(items),
        etag=resource.headers.get("etag"),
        last_modified=resource.headers.get("last-modified"),
        failures=tuple(failures),
    )


def _newest(entries: list, limits: SourceSettings, url: str) -> list:
    """At most max_items_per_feed entries: the newest ones (undated last), in feed order when
    the feed is within the bound."""
    if len(entries) <= limits.max_items_per_feed:
        return entries

    def moment(entry) -> float:
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        try:
            return float(calendar.timegm(parsed)) if parsed else float("-inf")
        except (TypeError, ValueError, OverflowError):
            return float("-inf")

    kept = sorted(entries, key=moment, reverse=True)[: limits.max_items_per_feed]
    log.warning(
        "%s: %d items, only the newest %d read (sources.max_items_per_feed)",
        url,
        len(entries),
        limits.max_items_per_feed,
    )
    return kept


def _feed_item(entry: feedparser.FeedParserDict, feed_title: str) -> FeedItem:
    published = normalise_date(entry.get("published_parsed") or entry.get("updated_parsed"))
    bodies = [c.get("value", "") for c in entry.get("content", [])] or [entry.get("summary", "")]
    content = max((_html_to_text(str(b)) for b in bodies), key=len, default="")
    link = entry.get("link")
    return FeedItem(
        url=str(link) if link else None,
        title=clean_text(str(entry.get("title", ""))),
        published=published,
        content=content,
        source=feed_title,
    )


async def feed_item_article(
    fetcher: Fetcher, item: FeedItem, limits: SourceSettings = _DEFAULTS
) -> Article:
    """The item's full text: from the feed when it carries it, else from its page. SourceError
    when its link is no usable URL, or it has no text."""
    url = checked_url(item.url, limits)  # a bad link is the item's failure, before any fetch
    from_feed = functools.partial(
        bounded_article, item.title, item.content, url, item.source, item.published, limits
    )
    if len(item.content.split()) >= FULL_TEXT_WORDS or not url:
        if not item.content:
            raise SourceError(f"feed item {item.title[:200]!r} has neither text nor a link")
        return from_feed()
    try:
        page = await fetch_article(fetcher, url, limits)
    except SourceError as error:
        if not item.content:
            raise
        log.warning("using the feed summary of %s: %s", url, error)
        return from_feed()
    return bounded_article(
        title=item.title or page.title,
        text=page.text,
        url=url,
        source=item.source or page.source,
        published=item.published or page.published,
        limits=limits,
    )


async def feed_articles(
    fetcher: Fetcher,
    feed: FeedDocument,
    concurrency: int = 4,
    limits: SourceSettings = _DEFAULTS,
) -> AsyncIterator[Article | SourceFailure]:
    """Every item of a feed as an Article or a SourceFailure (never an exception), the items
    the feed parser could not read first, then the others in feed order."""
    limit = asyncio.Semaphore(concurrency)

    async def one(item: FeedItem) -> Article | SourceFailure:
        label = (item.url or item.title or feed.url)[:300]
        async with limit:
            try:
                return await feed_item_article(fetcher, item, limits)
            except SourceError as error:
                return SourceFailure(label, str(error))
            except Exception as error:
                log.warning("%s: feed item %s failed", feed.url, label, exc_info=True)
                return SourceFailure(label, _reason(error))

    for failure in feed.failures:
        yield failure
    tasks = [asyncio.ensure_future(one(item)) for item in feed.items]
    try:
        for task in tasks:
            yield await task
    finally:
        for task in tasks:
            task.cancel()


async def read_url(
    fetcher: Fetcher, url: str, concurrency: int = 4, limits: SourceSettings = _DEFAULTS
) -> AsyncIterator[Article | SourceFailure]:
    """An article page, a feed or an OPML list at `url`, told apart by what it returns.
    SourceError when `url` itself cannot be read; after that, failures are items."""
    resource = await fetcher.get(url)
    head = resource.body[:2048].lstrip().lower()
    if is_opml(resource.body):
        async for item in read_feeds(fetcher, parse_opml(resource.body, url), concurrency, limits):
            yield item
        return
    if _is_html(resource) and not (b"<rss" in head or b"<feed" in head):
        yield await asyncio.to_thread(_extract_resource, resource, limits)
        return
    feed = await asyncio.to_thread(parse_feed, resource, limits)
    async for item in feed_articles(fetcher, feed, concurrency, limits):
        yield item


async def read_feeds(
    fetcher: Fetcher, urls: list[str], concurrency: int = 4, limits: SourceSettings = _DEFAULTS
) -> AsyncIterator[Article | SourceFailure]:
    """The articles of every feed in `urls` (an OPML list): a feed that cannot be read is one
    SourceFailure and the others go on."""
    for url in urls:
        try:
            feed = await fetch_feed(fetcher, url, limits=limits)
        except SourceError as error:
            yield SourceFailure(url, str(error))
            continue
        except Exception as error:
            log.warning("feed %s failed", url, exc_info=True)
            yield SourceFailure(url, _reason(error))
            continue
        async for item in feed_articles(fetcher, feed, concurrency, limits):
            yield item


def _reason(error: Exception) -> str:
    """A one-line reason for an error outside the project's own (the log has the traceback)."""
    return f"unreadable ({type(error).__name__})"


def _host(url: str | None) -> str | None:
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


def _is_html(resource: FetchedResource) -> bool:
    return resource.content_type.split(";")[0].strip().lower() in _HTML_TYPES


def _html_to_text(html: str) -> str:
    if "<" not in html:
        return clean_text(html)
    text = _trafilatura().extract(f"<html><body><article>{html}</article></body></html>", fast=True)
    if text:
        return clean_text(text)
    # trafilatura rejects very short fragments; dropping the tags is enough for those.
    return clean_text(html_lib.unescape(_TAG.sub(" ", html)))


def _outlet(host: str | None) -> str:
    if not host:
        return ""
    return host[4:] if host.startswith("www.") else host
