"""Articles from the web: one page through trafilatura, every item of an RSS/Atom feed through
feedparser (fetching each item's page when the feed carries only a summary), and the feeds of
an OPML list."""

from __future__ import annotations

import asyncio
import calendar
import html as html_lib
import logging
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser
import trafilatura

from index.articles import Article, clean_text, normalise_date
from index.errors import SourceError
from index.fetching import FetchedResource, Fetcher

log = logging.getLogger(__name__)

# A feed item with at least this many words of content is taken as the full article.
FULL_TEXT_WORDS = 150
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TAG = re.compile(r"<[^>]+>")


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


def extract_article(html: str, url: str | None, fallback_source: str = "") -> Article:
    """Main text, title, date, outlet and canonical URL of an article page (trafilatura)."""
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    text = clean_text(getattr(document, "text", None) or "") if document else ""
    if not text:
        raise SourceError(f"{url or fallback_source or 'the page'}: no article text found")
    title = clean_text(getattr(document, "title", None) or "")
    first_line, _, rest = text.partition("\n")
    if title and rest and first_line.strip().lower() == title.lower():
        text = rest  # the page's <h1> repeats the title we store apart
    canonical = getattr(document, "url", None) or url
    if canonical and not canonical.startswith(("http://", "https://")):
        canonical = url
    host = urlsplit(url).hostname if url else None
    return Article(
        title=title or text.split("\n", 1)[0][:120],
        text=text,
        url=canonical,
        source=getattr(document, "sitename", None) or _outlet(host) or fallback_source,
        published=normalise_date(getattr(document, "date", None)),
    )


async def fetch_article(fetcher: Fetcher, url: str) -> Article:
    resource = await fetcher.get(url)
    if not _is_html(resource):
        raise SourceError(
            f"{url} is not an HTML page (content type {resource.content_type or 'unknown'})"
        )
    return await asyncio.to_thread(extract_article, resource.text(), resource.url)


async def fetch_feed(
    fetcher: Fetcher, url: str, etag: str | None = None, last_modified: str | None = None
) -> FeedDocument:
    """Fetch and parse a feed, sending ETag/Last-Modified so an unchanged feed costs nothing."""
    resource = await fetcher.get(url, etag=etag, last_modified=last_modified)
    if resource.not_modified:
        return FeedDocument(url, "", (), etag, last_modified, not_modified=True)
    return await asyncio.to_thread(parse_feed, resource)


def parse_feed(resource: FetchedResource) -> FeedDocument:
    parsed = feedparser.parse(resource.body, response_headers=resource.headers)
    # feedparser recovers what it can from broken XML; accept that only when it still
    # found items with links, as real feeds with a stray bad character do.
    usable = [e for e in parsed.entries if e.get("link") or e.get("content")]
    if not usable and (parsed.bozo or not parsed.feed):
        raise SourceError(f"{resource.url} is not a valid RSS or Atom feed")
    feed_title = clean_text(parsed.feed.get("title", "")) or _outlet(
        urlsplit(resource.url).hostname
    )
    items = tuple(_feed_item(entry, feed_title) for entry in parsed.entries)
    return FeedDocument(
        url=resource.url,
        title=feed_title,
        items=items,
        etag=resource.headers.get("etag"),
        last_modified=resource.headers.get("last-modified"),
    )


def _feed_item(entry: feedparser.FeedParserDict, feed_title: str) -> FeedItem:
    parsed_time = entry.get("published_parsed") or entry.get("updated_parsed")
    published = (
        normalise_date(datetime.fromtimestamp(calendar.timegm(parsed_time), UTC))
        if parsed_time
        else None
    )
    bodies = [c.get("value", "") for c in entry.get("content", [])] or [entry.get("summary", "")]
    content = max((_html_to_text(b) for b in bodies), key=len, default="")
    return FeedItem(
        url=entry.get("link"),
        title=clean_text(entry.get("title", "")),
        published=published,
        content=content,
        source=feed_title,
    )


async def feed_item_article(fetcher: Fetcher, item: FeedItem) -> Article:
    """The item's full text: from the feed when it carries it, else from its page."""
    if len(item.content.split()) >= FULL_TEXT_WORDS or not item.url:
        if not item.content:
            raise SourceError(f"feed item {item.title!r} has neither text nor a link")
        return Article(item.title, item.content, item.url, item.source, item.published)
    try:
        page = await fetch_article(fetcher, item.url)
    except SourceError as error:
        if not item.content:
            raise
        log.warning("using the feed summary of %s: %s", item.url, error)
        return Article(item.title, item.content, item.url, item.source, item.published)
    return Article(
        title=item.title or page.title,
        text=page.text,
        url=item.url,
        source=item.source or page.source,
        published=item.published or page.published,
    )


async def feed_articles(
    fetcher: Fetcher, feed: FeedDocument, concurrency: int = 4
) -> AsyncIterator[Article | SourceFailure]:
    """Every item of a feed as an Article (or a SourceFailure), in feed order."""
    limit = asyncio.Semaphore(concurrency)

    async def one(item: FeedItem) -> Article | SourceFailure:
        async with limit:
            try:
                return await feed_item_article(fetcher, item)
            except SourceError as error:
                return SourceFailure(item.url or item.title, str(error))

    tasks = [asyncio.ensure_future(one(item)) for item in feed.items]
    try:
        for task in tasks:
            yield await task
    finally:
        for task in tasks:
            task.cancel()


def parse_opml(data: bytes | str, origin: str) -> list[str]:
    """The feed URLs (xmlUrl) of an OPML outline."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise SourceError(f"{origin} is not valid OPML: {error}") from None
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    if root.tag.lower() != "opml" or not urls:
        raise SourceError(f"{origin} is not an OPML list of feeds")
    return list(dict.fromkeys(urls))


async def read_url(
    fetcher: Fetcher, url: str, concurrency: int = 4
) -> AsyncIterator[Article | SourceFailure]:
    """An article page, a feed or an OPML list at `url`, told apart by what it returns."""
    resource = await fetcher.get(url)
    head = resource.body[:2048].lstrip().lower()
    if b"<opml" in head:
        for feed_url in parse_opml(resource.body, url):
            async for item in _feed_at(fetcher, feed_url, concurrency):
                yield item
        return
    if _is_html(resource) and not (b"<rss" in head or b"<feed" in head):
        yield await asyncio.to_thread(extract_article, resource.text(), resource.url)
        return
    feed = await asyncio.to_thread(parse_feed, resource)
    async for item in feed_articles(fetcher, feed, concurrency):
        yield item


async def _feed_at(
    fetcher: Fetcher, url: str, concurrency: int
) -> AsyncIterator[Article | SourceFailure]:
    try:
        feed = await fetch_feed(fetcher, url)
    except SourceError as error:
        yield SourceFailure(url, str(error))
        return
    async for item in feed_articles(fetcher, feed, concurrency):
        yield item


def _is_html(resource: FetchedResource) -> bool:
    return resource.content_type.split(";")[0].strip().lower() in _HTML_TYPES


def _html_to_text(html: str) -> str:
    if "<" not in html:
        return clean_text(html)
    text = trafilatura.extract(f"<html><body><article>{html}</article></body></html>", fast=True)
    if text:
        return clean_text(text)
    # trafilatura rejects very short fragments; dropping the tags is enough for those.
    return clean_text(html_lib.unescape(_TAG.sub(" ", html)))


def _outlet(host: str | None) -> str:
    if not host:
        return ""
    return host[4:] if host.startswith("www.") else host
