"""Admin commands: /addfeed, /removefeed, /feeds, /ingest, /reindex, /stats.

Admins are the Telegram user ids in settings (telegram.admins / NEWSBOT_ADMINS); anyone else
is refused politely and the attempt is logged. URLs go through the fetcher, which refuses
private, loopback and link-local addresses unless settings allow them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.handlers.access import admin_or_refuse, user_id
from bot.handlers.feed_lists import import_feed_list
from bot.replies import edit, reply
from bot.services import BotServices, services
from bot.views import (
    feed_list_html,
    feed_title_html,
    feeds_html,
    ingest_report_html,
    reason_html,
    stats_html,
    url_html,
)
from bot.workers import after_ingest, poll_feeds
from index import IndexError_
from index.sources import is_opml, parse_feed, read_url
from index.state import archive_stats

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0


def _url_argument(context: ContextTypes.DEFAULT_TYPE) -> str:
    return (context.args or [""])[0].strip()


async def _admin_url(update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str) -> str:
    """The URL argument of an admin command; "" after refusing or answering with usage."""
    if not await admin_or_refuse(update, context):
        return ""
    url = _url_argument(context)
    if not url:
        await reply(update, f"Usage: {usage}")
    return url


async def addfeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/addfeed <url>: check that the URL is a feed, then poll it from now on."""
    url = await _admin_url(
        update, context, "/addfeed &lt;url of an RSS or Atom feed, or of an OPML list&gt;"
    )
    if not url:
        return
    svc = services(context)
    status = await reply(update, f"Checking {url_html(url)}…")
    try:
        resource = await svc.fetcher.get(url)
        if is_opml(resource.body):  # a list of feeds: every one of them
            await edit(status, await import_feed_list(svc, resource.body, url, user_id(update)))
            context.application.job_queue.run_once(poll_feeds, when=0.1, name="poll_new_feed")
            return
        feed = await asyncio.to_thread(parse_feed, resource, svc.settings.sources)
    except IndexError_ as error:
        await edit(status, f"❌ Not added: {reason_html(error)}")
        return
    if await asyncio.to_thread(svc.feeds.count) >= svc.settings.alerts.max_feeds:
        limit = svc.settings.alerts.max_feeds
        await edit(status, f"❌ Not added: I poll at most {limit:,} feeds (alerts.max_feeds).")
        return
    added = await asyncio.to_thread(svc.feeds.add, url, feed.title, update.effective_user.id)
    minutes = svc.settings.alerts.feed_poll_minutes
    title = feed_title_html(feed.title, url)
    if not added:
        await edit(status, f"“{title}” is already polled.")
        return
    log.info("feed %s added by %s", url, update.effective_user.id)
    await edit(
        status,
        f"✅ Added “{title}” ({len(feed.items)} item{'s' if len(feed.items) != 1 else ''})."
        f" I read it now and every {minutes:g} min.",
    )
    context.application.job_queue.run_once(poll_feeds, when=0.1, name="poll_new_feed")


async def removefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/removefeed <url|number>: stop polling a feed (its articles stay in the archive)."""
    if not await admin_or_refuse(update, context):
        return
    svc = services(context)
    wanted = _url_argument(context)
    feeds = await asyncio.to_thread(svc.feeds.all)
    if wanted.isdigit() and 1 <= int(wanted) <= len(feeds):
        wanted = feeds[int(wanted) - 1].url
    if not wanted or not await asyncio.to_thread(svc.feeds.remove, wanted):
        head = "Usage: /removefeed &lt;url or number from /feeds&gt;"
        if wanted:
            head = f"No feed {url_html(wanted)}. " + head
        await reply(update, feed_list_html(head, feeds))
        return
    log.info("feed %s removed by %s", wanted, update.effective_user.id)
    await reply(update, f"Removed {url_html(wanted)}. Its articles stay in the archive.")


async def feeds_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/feeds: every feed with its last poll and last error."""
    if not await admin_or_refuse(update, context):
        return
    feeds = await asyncio.to_thread(services(context).feeds.all)
    await reply(update, feeds_html(feeds))


async def ingest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ingest <url>: read one article, a feed or an OPML list now."""
    url = await _admin_url(update, context, "/ingest &lt;url of an article, feed or OPML list&gt;")
    if not url:
        return
    svc = services(context)
    status = await reply(update, f"Reading {url_html(url)}…")
    try:
        items = [
            item
            async for item in read_url(
                svc.fetcher, url, svc.settings.fetch.concurrency, svc.settings.sources
            )
        ]
    except IndexError_ as error:
        await edit(status, f"❌ Nothing ingested: {reason_html(error)}")
        return
    report = await asyncio.to_thread(svc.ingestor.ingest, items)
    log.info("ingest %s by %s: %s", url, update.effective_user.id, report.summary())
    await edit(status, ingest_report_html(url, report))
    await after_ingest(context.application)


async def reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex: rebuild the vector index off the event loop, showing progress in one message."""
    if not await admin_or_refuse(update, context):
        return
    svc = services(context)
    if svc.reindexing:
        await reply(update, "A re-index is already running.")
        return
    svc.reindexing = True
    try:
        status = await reply(update, "Re-indexing: starting…")
        await _reindex_with_progress(svc, status)
    finally:
        svc.reindexing = False


async def _reindex_with_progress(svc: BotServices, status: Message) -> None:
    loop = asyncio.get_running_loop()
    progress: dict[str, int] = {"done": 0, "total": 0}

    def on_progress(done: int, total: int) -> None:  # called from the worker thread
        loop.call_soon_threadsafe(progress.update, {"done": done, "total": total})

    async def show_progress() -> None:
        shown = ""
        while True:
            await asyncio.sleep(PROGRESS_EVERY_SECONDS)
            done, total = progress["done"], progress["total"]
            text = f"Re-indexing: {done:,} / {total:,} passages ({100 * done // max(total, 1)}%)…"
            if total and text != shown:
                await edit(status, text)
                shown = text

    started = time.monotonic()
    reporter = asyncio.create_task(show_progress())
    try:
        fresh = await asyncio.to_thread(svc.archive.reindex, on_progress)
    except IndexError_ as error:
        await edit(status, f"❌ Re-index failed: {reason_html(error)}")
        return
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
    seconds = time.monotonic() - started
    log.info("re-index done: %d passages in %.1f s", fresh.count, seconds)
    await edit(status, f"✅ Re-index done: {fresh.count:,} passages in {seconds:.1f} s.")


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: archive size, feeds, subscriptions and the outbox."""
    if not await admin_or_refuse(update, context):
        return
    svc = services(context)
    figures = await asyncio.to_thread(
        lambda: (
            archive_stats(svc.archive, svc.feeds, svc.subscriptions),
            svc.subscriptions.counts(),
            svc.outbox.counts(),
        )
    )
    await reply(update, stats_html(*figures))
