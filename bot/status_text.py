"""The admin views /feeds and /stats as Telegram HTML (everything from outside escaped)."""

from __future__ import annotations

from datetime import datetime

from index.feed_registry import FeedRecord
from retrieval.render_html import MESSAGE_BUDGET, escape


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
        return escape(iso)
    return f"{moment.day} {moment:%b %H:%M} UTC"


def feeds_html(feeds: list[FeedRecord]) -> str:
    if not feeds:
        return "No feeds yet. Add one with /addfeed &lt;url&gt;."
    lines = [f"<b>Feeds ({len(feeds)})</b>"]
    for number, feed in enumerate(feeds, 1):
        title = escape(feed.title or feed.url)
        lines.append(f"{number}. {title} — {escape(feed.url)}")
        state = f"   polled {when(feed.last_polled_at)} · {plural(feed.article_count, 'article')}"
        if feed.last_error:
            failures = plural(feed.error_count, "failure")
            state += f"\n   ⚠️ {failures} in a row: {escape(feed.last_error[:300])}"
        if feed.items_skipped:
            skipped = plural(feed.items_skipped, "item")
            reason = escape((feed.last_item_error or "")[:300])
            state += f"\n   ⚠️ {skipped} skipped: {reason}"
        lines.append(state)
    text = "\n".join(lines)
    if len(text) > MESSAGE_BUDGET:
        text = text[: text.rfind("\n", 0, MESSAGE_BUDGET - 40)] + "\n… (more feeds not shown)"
    return text


def stats_html(archive: dict, subscriptions: dict, outbox: dict) -> str:
    megabytes = (int(archive["index_bytes"]) + int(archive["database_bytes"])) / 1e6
    model = str(archive["model"]).rsplit("/", 1)[-1]
    return "\n".join(
        [
            "📊 <b>Archive</b>",
            f"{plural(archive['articles'], 'article')}"
            f" ({plural(archive['duplicates'], 'duplicate')} linked),"
            f" {plural(archive['passages'], 'passage')}, {plural(archive['vectors'], 'vector')}"
            f" ({escape(str(archive['index_type']))} index), {megabytes:.1f} MB on disk",
            f"Feeds: {archive['feeds']:,}",
            f"Model: {escape(model)} ({escape(str(archive['embedding_backend']))})",
            "",
            "🔔 <b>Alerts</b>",
            f"{plural(subscriptions['subscriptions'], 'subscription')} in"
            f" {plural(subscriptions['subscribed_chats'], 'chat')}"
            f" ({subscriptions['paused_chats']:,} paused)",
            f"Outbox: {outbox.get('sent', 0):,} sent, {outbox.get('pending', 0):,} pending,"
            f" {outbox.get('failed', 0):,} failed, {outbox.get('paused', 0):,} held;"
            f" {plural(outbox.get('queued_articles', 0), 'article')} waiting to be matched",
        ]
    )
