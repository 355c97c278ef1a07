"""The admin views (/feeds, /stats, /removefeed's list, /ingest's report) as Telegram HTML:
everything from outside escaped and shortened for display, lists in a bounded number of
messages."""

from __future__ import annotations

from datetime import datetime

from bot.views.display import REASON_CHARS, URL_TEXT_CHARS, escape, label, pack_lines
from index import IngestReport
from index.state import FeedRecord

FEED_TITLE_CHARS = 100
WHEN_CHARS = 40  # a stored timestamp that does not parse, shown as it is
FAILURES_SHOWN = 5  # failures listed under an /ingest report
LABEL_CHARS = 100  # model and index names in /stats


def plural(count: int, word: str) -> str:
    """ "1 article", "2 articles"."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def when(iso: str | None) -> str:
    """ "26 Nov 10:03 UTC" for a stored UTC timestamp."""
    if not iso:
        return "never"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return escape(label(iso, WHEN_CHARS))
    return f"{moment.day} {moment:%b %H:%M} UTC"


def url_html(url: str | None) -> str:
    """A URL shown as text (a feed, an /ingest argument), shortened and escaped."""
    return escape(label(url, URL_TEXT_CHARS))


def feed_title_html(title: str | None, url: str) -> str:
    """A feed's title for display, or its URL when it has none."""
    return escape(label(title, FEED_TITLE_CHARS)) or url_html(url)


def reason_html(reason: object) -> str:
    """An error or a failure reason for an admin, shortened and escaped."""
    return escape(label(str(reason), REASON_CHARS))


def feeds_html(feeds: list[FeedRecord]) -> list[str]:
    """/feeds: each feed with its last poll and last error, in at most `MAX_LIST_MESSAGES`
    messages; the feeds beyond are counted in "… and N more feeds"."""
    if not feeds:
        return ["No feeds yet. Add one with /addfeed &lt;url&gt;."]
    lines = [f"<b>Feeds ({len(feeds):,})</b>"]
    for number, feed in enumerate(feeds, 1):
        line = f"{number}. {feed_title_html(feed.title, feed.url)} — {url_html(feed.url)}"
        line += f"\n   polled {when(feed.last_polled_at)} · {plural(feed.article_count, 'article')}"
        if feed.last_error:
            failures = plural(feed.error_count, "failure")
            line += f"\n   ⚠️ {failures} in a row: {reason_html(feed.last_error)}"
        if feed.items_skipped:
            skipped = plural(feed.items_skipped, "item")
            line += f"\n   ⚠️ {skipped} skipped: {reason_html(feed.last_item_error or '')}"
        lines.append(line)
    return pack_lines(lines, "feed")


def feed_list_html(head: str, feeds: list[FeedRecord]) -> list[str]:
    """`head`, then the feeds numbered as in /feeds (for /removefeed), in a bounded number of
    messages; the feeds beyond are counted in "… and N more feeds"."""
    known = [f"{i}. {url_html(f.url)}" for i, f in enumerate(feeds, 1)] or ["none"]
    return pack_lines([f"{head}\nFeeds:", *known], "feed")


def ingest_report_html(url: str, report: IngestReport) -> str:
    """/ingest's result: what was stored, then the first failures, each shortened."""
    lines = [f"✅ {url_html(url)}: {reason_html(report.summary())}."]
    lines += [
        f"• {url_html(f.label)}: {reason_html(f.reason)}" for f in report.failures[:FAILURES_SHOWN]
    ]
    return "\n".join(lines)


def stats_html(archive: dict, subscriptions: dict, outbox: dict) -> str:
    """/stats: figures and short labels only, so one message."""
    megabytes = (int(archive["index_bytes"]) + int(archive["database_bytes"])) / 1e6
    model = str(archive["model"]).rsplit("/", 1)[-1]
    return "\n".join(
        [
            "📊 <b>Archive</b>",
            f"{plural(archive['articles'], 'article')}"
            f" ({plural(archive['duplicates'], 'duplicate')} linked),"
            f" {plural(archive['passages'], 'passage')}, {plural(archive['vectors'], 'vector')}"
            f" ({_label(archive['index_type'])} index), {megabytes:.1f} MB on disk",
            f"Feeds: {archive['feeds']:,}",
            f"Model: {_label(model)} ({_label(archive['embedding_backend'])})",
            "",
            "🔔 <b>Alerts</b>",
            f"{plural(subscriptions['subscriptions'], 'subscription')} in"
            f" {plural(subscriptions['subscribed_chats'], 'chat')}"
            f" ({subscriptions['paused_chats']:,} paused)",
            f"Outbox: {outbox.get('sent', 0):,} sent, {outbox.get('pending', 0):,} pending,"
            f" {outbox.get('partial', 0):,} partly sent, {outbox.get('failed', 0):,} failed,"
            f" {outbox.get('paused', 0):,} held;"
            f" {plural(outbox.get('queued_articles', 0), 'article')} waiting to be matched",
        ]
    )


def _label(value: object) -> str:
    return escape(label(str(value), LABEL_CHARS))
