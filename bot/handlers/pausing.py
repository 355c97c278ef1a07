"""/pause <topic>|all and /resume [<topic>|all]: a paused topic stays followed, keeps what
readers' votes taught it, and matches nothing until it is resumed (index/state/chat_settings.py
keeps which; retrieval/alerts/matching.py skips them). In groups only admins may, as for
/subscribe."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.subscriptions import ADMINS_ONLY, may_change_alerts
from bot.replies import reply, thread_id_of
from bot.services import services
from bot.views import topic_html, topics_html

log = logging.getLogger(__name__)

PAUSE_USAGE = "Usage: /pause &lt;topic&gt; or /pause all (see /subscriptions)"


async def _chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, wanted: str):
    """The chat's subscriptions named by `wanted` ("all": every one), or None after saying
    that the sender may not change them, or that the chat follows no such topic."""
    if not await may_change_alerts(update, context):
        await reply(update, ADMINS_ONLY)
        return None
    message = update.effective_message
    svc = services(context)
    found = await asyncio.to_thread(
        svc.subscriptions.for_chat, message.chat_id, thread_id_of(message)
    )
    if not found:
        await reply(update, "This chat follows no topics yet.")
        return None
    chosen = (
        found
        if wanted.lower() == "all"
        else [s for s in found if s.topic.lower() == wanted.lower()]
    )
    if not chosen:
        await reply(
            update,
            f"This chat does not follow {topic_html(wanted)}. It follows {topics_html(found)}.",
        )
        return None
    return chosen


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pause <topic>|all: stop a topic's alerts for now, keeping the topic."""
    wanted = " ".join(context.args or []).strip()
    if not wanted:
        await reply(update, PAUSE_USAGE)
        return
    chosen = await _chosen(update, context, wanted)
    if chosen is None:
        return
    chat_id = update.effective_message.chat_id
    store = services(context).chat_settings
    await asyncio.to_thread(store.pause, chat_id, [(s.id, s.topic) for s in chosen])
    log.info("chat %s paused %s", chat_id, [s.id for s in chosen])
    await reply(
        update,
        f"⏸ Paused {topics_html(chosen)}: no alerts until /resume; what your votes taught"
        " it is kept.",
    )


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/resume [<topic>|all]: alerts for paused topics again (all of them without a name)."""
    wanted = " ".join(context.args or []).strip() or "all"
    chosen = await _chosen(update, context, wanted)
    if chosen is None:
        return
    chat_id = update.effective_message.chat_id
    store = services(context).chat_settings
    paused = {i for i, _ in await asyncio.to_thread(store.paused, chat_id)}
    again = [s for s in chosen if s.id in paused]
    if not again:
        await reply(update, "Nothing to resume: those topics are not paused.")
        return
    await asyncio.to_thread(store.resume, chat_id, [s.id for s in again])
    log.info("chat %s resumed %s", chat_id, [s.id for s in again])
    them = "it" if len(again) == 1 else "them"
    await reply(update, f"▶️ Resumed {topics_html(again)}: new articles on {them} alert again.")
