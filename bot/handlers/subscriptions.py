"""Following topics: /subscribe, /unsubscribe (with buttons), /subscriptions, /digest.

Subscriptions belong to the chat the command was sent in, and in forum groups to its topic
thread, so alerts arrive where the subscription was made (private chats, groups, channels).
"""

from __future__ import annotations

import asyncio
import functools
import logging

from telegram import Chat, Update
from telegram.ext import ContextTypes

from bot.handlers.limits import within_question_limit
from bot.replies import reply, thread_id_of, typing
from bot.services import services
from bot.views import (
    UNSUBSCRIBE,
    describe,
    escape,
    preview_html,
    subscriptions_html,
    topic_html,
    topics_html,
    unsubscribe_keyboard,
)
from index.state import Subscription, SubscriptionLimitError
from retrieval.alerts import Topic, TopicError, parse_topic, preview_topic

log = logging.getLogger(__name__)

ADMINS_ONLY = "Sorry, only this chat's admins can change the topics it follows."
SUBSCRIBE_USAGE = (
    "Usage: /subscribe &lt;topic&gt;, for example /subscribe ceasefire talks +ukraine -football"
    " (+word must appear, -word must not), or /subscribe source:bbc.co.uk for an outlet"
)


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe <topic>: send new articles about the topic to this chat."""
    svc = services(context)
    message = update.effective_message
    if not await may_change_alerts(update, context):
        await reply(update, ADMINS_ONLY)
        return
    try:
        topic = parse_topic(" ".join(context.args or []))
    except TopicError as error:
        await reply(update, f"{escape(str(error))}\n{SUBSCRIBE_USAGE}")
        return
    # A subscription is written, matched and previewed (seconds of CPU): it counts against
    # the asker's allowance as a question does.
    if not await within_question_limit(svc, update):
        return
    chat_id, thread_id = message.chat_id, thread_id_of(message)
    user = update.effective_user
    try:
        subscription, created = await asyncio.to_thread(
            functools.partial(
                svc.subscriptions.add,
                chat_id,
                thread_id,
                topic.text,
                topic.query,
                topic.required,
                topic.excluded,
                limit=svc.settings.alerts.max_subscriptions_per_chat,
                user_id=user.id if user is not None else None,
                user_limit=svc.settings.alerts.max_subscriptions_per_user,
            )
        )
    except SubscriptionLimitError as full:
        log.info("chat %s (thread %s) is full: %s", chat_id, thread_id, full)
        await reply(
            update,
            f"You already made {full.count} subscriptions across your chats, the most I keep."
            " Use /unsubscribe in one of them first."
            if full.per_user
            else f"This chat already follows {full.count} topics, the most I keep."
            " Use /unsubscribe to drop one first.",
        )
        return
    resumed = await asyncio.to_thread(svc.subscriptions.resume_chat, chat_id)
    if not created:
        await reply(update, f"This chat already follows {describe(subscription)}.")
        return
    log.info("chat %s (thread %s) subscribed to %r", chat_id, thread_id, topic.text)
    chat = await asyncio.to_thread(svc.subscriptions.chat, chat_id)
    how = (
        "They will come in your next digest."
        if chat.digest
        else "I will post each new article about it here."
    )
    text = f"✅ Subscribed to {describe(subscription)}. {how}"
    if resumed:
        text += "\nAlerts to this chat are running again."
    async with typing(update, context):
        text = await _with_preview(context, topic, text)
    await reply(update, text)


async def _with_preview(context: ContextTypes.DEFAULT_TYPE, topic: Topic, text: str) -> str:
    """`text`, then what the topic would have matched of the recent stories; `text` alone if
    the preview fails (the subscription stands either way)."""
    svc = services(context)
    try:
        preview = await asyncio.to_thread(
            preview_topic, svc.matcher, topic, svc.settings.alerts, svc.recent_stories
        )
    except Exception:  # a preview is a courtesy: never let it cost the subscription
        log.exception("could not preview the topic %r", topic.text)
        return text
    log.info("preview of %r: %d of %d stories", topic.text, preview.matched, preview.screened)
    return preview_html(preview, lead=text)


async def subscriptions_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscriptions: the topics this chat follows."""
    svc = services(context)
    message = update.effective_message
    found = await asyncio.to_thread(
        svc.subscriptions.for_chat, message.chat_id, thread_id_of(message)
    )
    if not found:
        await reply(update, "This chat follows no topics yet. " + SUBSCRIBE_USAGE)
        return
    chat = await asyncio.to_thread(svc.subscriptions.chat, message.chat_id)
    hours = svc.settings.alerts.digest_minutes / 60
    notes = [
        f"Alerts come as one digest every {hours:g} h (/digest off to change)."
        if chat.digest
        else "Each new article comes as its own message (/digest on for a digest)."
    ]
    if chat.paused:
        notes.append("⏸ Alerts are paused: I could not reach this chat. /start resumes them.")
    paused = await asyncio.to_thread(svc.chat_settings.paused, message.chat_id)
    await reply(update, subscriptions_html(found, notes, frozenset(i for i, _ in paused)))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unsubscribe <topic|all>: stop following; without a topic, offer buttons."""
    svc = services(context)
    message = update.effective_message
    if not await may_change_alerts(update, context):
        await reply(update, ADMINS_ONLY)
        return
    found = await asyncio.to_thread(
        svc.subscriptions.for_chat, message.chat_id, thread_id_of(message)
    )
    wanted = " ".join(" ".join(context.args or []).split())
    if not found:
        await reply(update, "This chat follows no topics. " + SUBSCRIBE_USAGE)
        return
    if not wanted:
        shown = found[: svc.settings.alerts.max_subscriptions_per_chat]
        await reply(update, "Which topic should I stop?", unsubscribe_keyboard(shown))
        return
    chosen = (
        found
        if wanted.lower() == "all"
        else [s for s in found if s.topic.lower() == wanted.lower()]
    )
    if not chosen:
        followed = topics_html(found)
        await reply(
            update, f"This chat does not follow {topic_html(wanted)}. It follows {followed}."
        )
        return
    removed = await asyncio.to_thread(
        svc.subscriptions.remove, message.chat_id, [s.id for s in chosen]
    )
    await reply(update, _removed_text(removed))


async def unsubscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of /unsubscribe: remove that subscription (or all) and say so in place."""
    svc = services(context)
    query = update.callback_query
    message = query.message
    (choice,) = UNSUBSCRIBE.parse(query.data) or ("",)
    if message is None:
        await query.answer("That list is too old; send /unsubscribe again.")
        return
    if not await may_change_alerts(update, context):
        await query.answer(ADMINS_ONLY, show_alert=True)
        return
    found = await asyncio.to_thread(
        svc.subscriptions.for_chat, message.chat.id, thread_id_of(message)
    )
    ids = [s.id for s in found if choice == "all" or str(s.id) == choice]
    removed = await asyncio.to_thread(svc.subscriptions.remove, message.chat.id, ids)
    await query.answer()
    text = _removed_text(removed) if removed else "That topic was already removed."
    await query.edit_message_text(text)


def _removed_text(removed: list[Subscription]) -> str:
    log.info("unsubscribed %s", [s.topic for s in removed])
    return f"Unsubscribed from {topics_html(removed)}."


async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest on|off: one digest at an interval instead of a message per article."""
    svc = services(context)
    if not await may_change_alerts(update, context):
        await reply(update, ADMINS_ONLY)
        return
    choice = " ".join(context.args or []).strip().lower()
    if choice not in ("on", "off"):
        await reply(update, "Usage: /digest on or /digest off")
        return
    chat_id = update.effective_message.chat_id
    await asyncio.to_thread(svc.subscriptions.set_digest, chat_id, choice == "on")
    hours = svc.settings.alerts.digest_minutes / 60
    await reply(
        update,
        f"Digest on: new articles on your topics will come together, every {hours:g} h."
        if choice == "on"
        else "Digest off: each new article will come as its own message.",
    )


async def may_change_alerts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender may change what this chat receives (its topics, settings, and the
    votes that move its topics): anyone in a private chat (their own), a message posted as the
    chat itself (a channel's post: only its admins post; a group's anonymous admin), and
    otherwise the chat's administrators and creator (bot/chat_rights.py: getChatMember, kept
    briefly), or in groups every member when telegram.group_members_manage_alerts is on.
    A button in a channel is pressed by a reader: a reader is no admin."""
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type == Chat.PRIVATE:
        return True
    svc = services(context)
    message = update.effective_message
    if update.callback_query is None and message is not None and message.sender_chat:
        return message.sender_chat.id == chat.id  # not a linked channel's forward
    if chat.type != Chat.CHANNEL and svc.settings.telegram.group_members_manage_alerts:
        return True
    user = update.effective_user
    if user is None:
        return False
    return await svc.chat_admins.is_admin(context.bot, chat.id, user.id)


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup (a new chat id): Telegram says so in both chats, and
    every alert to the old id would fail from now on. Its subscriptions, settings and alerts
    move to the new id (the second message finds nothing left to move)."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    else:
        old, new = message.migrate_from_chat_id, message.chat_id
    moved = await asyncio.to_thread(services(context).subscriptions.move_chat, old, new)
    if moved:
        log.info("chat %s became supergroup %s: %d subscriptions moved", old, new, moved)
