"""Scheduled work: feed polling, matching new articles to subscriptions, the outbox sweep and
digests. PTB's JobQueue keeps nothing across restarts, so `schedule_jobs` plans everything
again from SQLite (last poll times, pending deliveries, queued articles) in `post_init`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta

from telegram.ext import Application, ContextTypes

from bot.delivery import request_send
from bot.digests import send_digests
from bot.services import BotServices, services, services_of
from index.articles import article_id
from index.errors import IndexError_
from index.feed_registry import FeedRecord
from index.web_sources import FeedDocument, feed_articles, fetch_feed

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0  # match articles stored by others (`newsbot ingest`), send due alerts
DIGEST_CHECK_SECONDS = 300.0
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
            added = 0
            for feed in feeds:
                added += await poll_feed(svc, feed)
            log.info("polled %d feeds: %d new articles", len(feeds), added)
            await after_ingest(context.application)


async def poll_feed(svc: BotServices, feed: FeedRecord) -> int:
    """Fetch one feed (conditional GET) and ingest the items not stored yet; new article count."""
    try:
        document = await fetch_feed(svc.fetcher, feed.url, feed.etag, feed.last_modified)
        if document.not_modified:
            await asyncio.to_thread(
                svc.feeds.record_success, feed.url, feed.etag, feed.last_modified, 0
            )
            return 0
        fresh = await asyncio.to_thread(_unseen_items, svc, document)
        articles = [
            item async for item in feed_articles(svc.fetcher, fresh, svc.settings.fetch.concurrency)
        ]
        report = await asyncio.to_thread(svc.ingestor.ingest, articles, feed.url)
    except IndexError_ as error:
        log.warning("feed %s failed: %s", feed.url, error)
        await asyncio.to_thread(svc.feeds.record_failure, feed.url, str(error))
        return 0
    for failure in report.failures:
        log.warning("feed %s: %s: %s", feed.url, failure.label, failure.reason)
    # Keep the old validators when items failed, so the next poll fetches them again.
    etag, modified = (
        (document.etag, document.last_modified)
        if not report.failures
        else (feed.etag, feed.last_modified)
    )
    await asyncio.to_thread(svc.feeds.record_success, feed.url, etag, modified, len(report.added))
    if report.added or report.duplicates:
        log.info("feed %s: %s", feed.url, report.summary())
    return len(report.added)


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
    enqueued = await asyncio.to_thread(svc.matcher.process_queue)
    if enqueued:
        log.info("%d alerts enqueued", enqueued)
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
    queue.run_repeating(alert_sweep, interval=SWEEP_SECONDS, first=1.0, name="alert_sweep")
    queue.run_repeating(
        send_digests,
        interval=min(alerts.digest_minutes * 60, DIGEST_CHECK_SECONDS),
        first=min(alerts.digest_minutes * 60, DIGEST_CHECK_SECONDS),
        name="send_digests",
    )


def _first_poll(feeds: list[FeedRecord], interval: float) -> float:
    now = datetime.now(UTC)
    first = interval
    for feed in feeds:
        if not feed.last_polled_at:
            return FIRST_POLL_SECONDS
        due = datetime.fromisoformat(feed.last_polled_at) + timedelta(seconds=interval)
        first = min(first, (due - now).total_seconds())
    return max(first, FIRST_POLL_SECONDS)
