"""Scheduled work: feed polling, matching new articles to subscriptions, the outbox sweep and
digests. PTB's JobQueue keeps nothing across restarts, so `schedule_jobs` plans everything
again from the stored state (last poll times, pending deliveries, queued articles) in `post_init`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram.ext import Application, ContextTypes

from bot.services import BotServices, only_one_worker, services, services_of
from bot.workers.digests import send_digests
from bot.workers.outbox_sender import outbox_worker, request_send
from index import IndexError_
from index.clock import utc_now
from index.sources import FeedDocument, SourceFailure, feed_articles, fetch_feed
from index.state import MATCHING_JOB, FeedRecord
from index.text import Article, article_id

log = logging.getLogger(__name__)

# Scheduled digests (/digest daily 08:00) go out within this of their time.
DIGEST_CHECK_SECONDS = 60.0
FIRST_POLL_SECONDS = 5.0


async def poll_feeds(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: read every feed, store its new articles, match them and send the alerts."""
    svc = services(context)
    svc.poll_requested = True
    if svc.poll_lock.locked():
        return  # the running poll goes round again (a feed was just added, say)
    async with svc.poll_lock:
        while svc.poll_requested:
            svc.poll_requested = False
            feeds = await asyncio.to_thread(svc.feeds.all)
            added = await poll_all(context.application, feeds)
            log.info("polled %d feeds: %d new articles", len(feeds), added)
            await after_ingest(context.application)


async def poll_all(application: Application, feeds: list[FeedRecord]) -> int:
    """Poll the feeds concurrently (fetch.concurrency at once), each within its deadline, and
    store each feed's articles as soon as it is read, so a slow feed delays no other. A feed
    that fails in any way is recorded against that feed only. The number of new articles."""
    svc = services_of(application)
    gate = asyncio.Semaphore(svc.settings.fetch.concurrency)
    storing = asyncio.Lock()  # the model and SQLite take one feed's articles at a time

    worker = outbox_worker(application)
    lease = svc.settings.fetch.feed_lease_seconds
    interval = svc.settings.alerts.feed_poll_minutes * 60

    async def one(feed: FeedRecord) -> int:
        leased = False
        try:
            async with gate:
                # Leased as its poll starts, not while it waits its turn: with many feeds
                # the wait alone could outlast the lease.
                leased = await asyncio.to_thread(svc.feeds.lease, feed.url, worker, lease, interval)
                if not leased:
                    return 0  # another worker is polling it, or polled it within the interval
                read = await read_feed(svc, feed)
            async with storing:
                return await store_feed(application, feed, read, worker)
        except Exception as error:
            log.exception("feed %s: polling failed", feed.url)
            if leased:
                await asyncio.to_thread(
                    svc.feeds.record_failure,
                    feed.url,
                    f"unexpected error ({type(error).__name__})",
                    worker=worker,
                )
            return 0

    return sum(await asyncio.gather(*(one(feed) for feed in feeds)))


@dataclass
class FeedRead:
    """What one poll of a feed brought: the document, its items read so far, and the error
    that stopped it (a failed fetch, the deadline)."""

    document: FeedDocument | None = None
    items: list[Article | SourceFailure] = field(default_factory=list)
    error: str | None = None


async def read_feed(svc: BotServices, feed: FeedRecord) -> FeedRead:
    """Fetch one feed (conditional GET) and the pages of its unseen items, within
    fetch.feed_deadline_seconds; never raises."""
    read = FeedRead()
    deadline = svc.settings.fetch.feed_deadline_seconds
    sources = svc.settings.sources
    timer = asyncio.timeout(deadline)
    try:
        async with timer:
            read.document = await fetch_feed(
                svc.fetcher, feed.url, feed.etag, feed.last_modified, sources
            )
            if read.document.not_modified:
                return read
            fresh = await asyncio.to_thread(_unseen_items, svc, read.document)
            concurrency = svc.settings.fetch.concurrency
            async for item in feed_articles(svc.fetcher, fresh, concurrency, sources):
                read.items.append(item)
    except TimeoutError:
        if not timer.expired():
            raise
        read.error = f"did not finish within {deadline:g} s"
    except IndexError_ as error:
        read.error = str(error)
    except Exception as error:
        log.exception("feed %s: reading failed", feed.url)
        read.error = f"unexpected error ({type(error).__name__})"
    return read


async def store_feed(
    application: Application, feed: FeedRecord, read: FeedRead, worker: str | None = None
) -> int:
    """Ingest what a poll read, record how the feed went (skipped items too, and the end of
    `worker`'s lease) and send the alerts for its new articles. The number of new articles."""
    svc = services_of(application)
    report = await asyncio.to_thread(svc.ingestor.ingest, read.items, feed.url)
    for failure in report.failures:
        log.warning("feed %s: skipped %s: %s", feed.url, failure.label, failure.reason)
    added = len(report.added)
    if read.error is not None or read.document is None:
        log.warning("feed %s failed: %s", feed.url, read.error)
        await asyncio.to_thread(
            svc.feeds.record_failure, feed.url, read.error or "not read", added, worker
        )
    elif read.document.not_modified:
        await asyncio.to_thread(
            svc.feeds.record_success,
            feed.url,
            feed.etag,
            feed.last_modified,
            0,
            worker=worker,
        )
    else:
        # Keep the old validators when items failed, so the next poll fetches them again.
        document = read.document
        etag, modified = (
            (document.etag, document.last_modified)
            if not report.failed
            else (feed.etag, feed.last_modified)
        )
        first = report.failures[0] if report.failures else None
        await asyncio.to_thread(
            svc.feeds.record_success,
            feed.url,
            etag,
            modified,
            added,
            report.failed,
            f"{first.reason} ({first.label})" if first else None,
            worker,
        )
    if report.added or report.duplicates:
        log.info("feed %s: %s", feed.url, report.summary())
    if report.added:
        await after_ingest(application)
    return added


def _unseen_items(svc: BotServices, document: FeedDocument) -> FeedDocument:
    """The feed without items already stored, so their pages are not fetched again."""
    store = svc.archive.store
    unseen = tuple(
        item
        for item in document.items
        if not (item.url and store.has_article(article_id(item.url, "")))
    )
    return dataclasses.replace(document, items=unseen)


async def after_ingest(application: Application) -> None:
    """Match what was just stored against the subscriptions and send the alerts."""
    svc = services_of(application)
    # With many workers on one database one matches at a time (the others' articles are in
    # the same queue), so a topic's profile is refreshed by one of them.
    async with only_one_worker(svc, MATCHING_JOB) as ours:
        if ours:
            enqueued = await asyncio.to_thread(svc.matcher.process_queue)
            if enqueued:
                log.info("%d alerts enqueued by %s", enqueued, outbox_worker(application))
    request_send(application)


async def alert_sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: match articles others stored meanwhile, and send whatever is due."""
    await after_ingest(context.application)


def schedule_jobs(application: Application, feeds: list[FeedRecord]) -> None:
    """Plan the jobs from stored state: a feed overdue for polling is polled soon."""
    svc = services_of(application)
    alerts = svc.settings.alerts
    queue = application.job_queue
    interval = alerts.feed_poll_minutes * 60
    queue.run_repeating(
        poll_feeds, interval=interval, first=_first_poll(feeds, interval), name="poll_feeds"
    )
    # The first sweep also sends what a previous run left pending.
    queue.run_repeating(alert_sweep, interval=alerts.sweep_seconds, first=1.0, name="alert_sweep")
    queue.run_repeating(
        send_digests,
        interval=min(alerts.digest_minutes * 60, DIGEST_CHECK_SECONDS),
        first=min(alerts.digest_minutes * 60, DIGEST_CHECK_SECONDS),
        name="send_digests",
    )


def _first_poll(feeds: list[FeedRecord], interval: float) -> float:
    now = utc_now()
    first = interval
    for feed in feeds:
        if not feed.last_polled_at:
            return FIRST_POLL_SECONDS
        due = datetime.fromisoformat(feed.last_polled_at) + timedelta(seconds=interval)
        first = min(first, (due - now).total_seconds())
    return max(first, FIRST_POLL_SECONDS)
