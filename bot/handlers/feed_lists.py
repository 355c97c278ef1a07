"""Feed lists both ways: an admin sends an OPML file (or /addfeed an OPML URL) and every feed
in it is polled; /export sends the chat's topics as text and, to admins, the feeds as OPML.

A list is bounded where it enters: the file by fetch.max_bytes (checked on the size Telegram
reports, before it is downloaded), the feeds by alerts.max_feeds (a list past it adds none),
and the XML by defusedxml (index/sources/opml.py: no entity expansion).
"""

from __future__ import annotations

import asyncio
import io
import logging

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat_rights import is_bot_admin
from bot.handlers.access import admin_or_refuse, user_id
from bot.replies import reply, thread_id_of
from bot.services import BotServices, services
from bot.views import escape, exported_topics_html, feeds_added_html, reason_html
from bot.workers import poll_feeds
from index import IndexError_
from index.sources import ListedFeed, feeds_opml, opml_feeds
from index.state import register_feeds

log = logging.getLogger(__name__)

OPML_NAME = "newsbot-feeds.opml"
NOT_A_QUESTION = (
    "I read questions as text, not files; only the bot's admins can send me a list of feeds."
)


async def import_feed_list(svc: BotServices, data: bytes, origin: str, added_by: int | None) -> str:
    """Register every feed of an OPML list; the reply, as HTML (one line when it fails)."""
    settings = svc.settings

    def register():
        listed = opml_feeds(data, origin)
        pairs = [(feed.url, feed.title) for feed in listed]
        return register_feeds(
            svc.feeds, pairs, settings.alerts.max_feeds, settings.sources.max_url_chars, added_by
        )

    try:
        added = await asyncio.to_thread(register)
    except IndexError_ as error:
        log.info("feed list %s refused: %s", origin, error)
        return f"❌ Nothing added: {reason_html(error)}"
    log.info("feed list %s by %s: %d feeds added", origin, added_by, len(added.added))
    return feeds_added_html(origin, added, settings.alerts.feed_poll_minutes)


async def feed_list_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An OPML file sent in a private chat: an admin's feeds are all polled from now on."""
    if not await admin_or_refuse(update, context, NOT_A_QUESTION):
        return
    svc = services(context)
    document = update.effective_message.document
    name = document.file_name or "the file"
    limit = svc.settings.fetch.max_bytes
    if (document.file_size or 0) > limit:
        await reply(update, f"❌ Nothing added: {escape(name)} is larger than {limit:,} bytes.")
        return
    try:
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
    except TelegramError as error:
        log.warning("could not download %s: %s", name, error)
        await reply(update, f"❌ Nothing added: I could not download {escape(name)}.")
        return
    if len(data) > limit:  # the reported size was wrong
        await reply(update, f"❌ Nothing added: {escape(name)} is larger than {limit:,} bytes.")
        return
    await reply(update, await import_feed_list(svc, data, name, user_id(update)))
    context.application.job_queue.run_once(poll_feeds, when=0.1, name="poll_new_feed")


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export: this chat's topics as text to copy; to admins also the feeds as an OPML file."""
    svc = services(context)
    message = update.effective_message
    topics = await asyncio.to_thread(
        svc.subscriptions.for_chat, message.chat_id, thread_id_of(message)
    )
    await reply(update, exported_topics_html(topics))
    if not is_bot_admin(update, svc.settings.telegram.admins):
        return
    feeds = await asyncio.to_thread(svc.feeds.all)
    if not feeds:
        await reply(update, "No feeds to export yet: add one with /addfeed.")
        return
    listed = [ListedFeed(feed.url, feed.title) for feed in feeds]
    opml = feeds_opml(listed, "newsbot feeds")
    await context.bot.send_document(
        message.chat_id,
        InputFile(io.BytesIO(opml), filename=OPML_NAME),
        caption=f"{len(feeds):,} feed{'s' if len(feeds) != 1 else ''} as OPML, for a feed reader"
        " or another bot (send the file back to me to add them).",
        message_thread_id=thread_id_of(message),
    )
