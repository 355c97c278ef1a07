"""👍/👎 under an alert: a reader's vote, stored, that moves the chat's topic towards (or away
from) stories like this one from the next matching round on (retrieval/alerts/feedback.py).

The button's data names the alert (the outbox row). Anything a client sends is checked: the
data's shape, the alert being one sent to this very chat, the voter's right to change what
the chat follows (in groups: its admins), its subscription still followed; whatever fails
gets a short answer and a log line, never an exception.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.subscriptions import may_change_alerts
from bot.services import services
from bot.views import ALERT_VOTE, VOTES

log = logging.getLogger(__name__)

# At most 18 digits: any delivery id SQLite can hold, nothing a client can make huge.
_DELIVERY_ID = re.compile(r"\d{1,18}")
UNREADABLE = "Sorry, I can't read that button."
NOT_HERE = "I can't find that alert in this chat."
UNFOLLOWED = "This chat no longer follows that topic, so there is nothing to teach."
NOT_ALLOWED = "Only this chat's admins can teach the topics it follows."
THANKS = {
    1: "👍 Thanks! I'll send more like this.",
    -1: "👎 Thanks! I'll send fewer like this.",
}
CHANGED = "Vote changed. "


async def alert_vote_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍/👎 under an alert: store the reader's vote (replacing their earlier one on it)."""
    svc = services(context)
    query = update.callback_query
    data = query.data or ""
    user = query.from_user
    fields = ALERT_VOTE.parse(data)
    message = query.message
    readable = fields is not None and _DELIVERY_ID.fullmatch(fields[0]) and fields[1] in VOTES
    if not readable or message is None:
        log.warning("unreadable alert vote %r from user %s", data[:80], user.id)
        await query.answer(UNREADABLE)
        return
    delivery_id, vote = int(fields[0]), VOTES[fields[1]]
    delivery = await asyncio.to_thread(svc.outbox.get, delivery_id)
    # The alert must be one sent to this chat (any of its forum topics: the admin check
    # below decides who may teach the chat's topics).
    if delivery is None or delivery.chat_id != message.chat.id:
        log.warning(
            "vote on alert %s from user %s in chat %s, which it was not sent to",
            delivery_id,
            user.id,
            message.chat.id,
        )
        await query.answer(NOT_HERE)
        return
    if not await may_change_alerts(update, context):
        await query.answer(NOT_ALLOWED, show_alert=True)
        return
    subscription_id = delivery.subscription_id
    try:
        if subscription_id is None:
            raise ValueError("the alert has no subscription")
        replaced = await asyncio.to_thread(
            functools.partial(
                svc.alert_votes.record,
                delivery_id,
                subscription_id,
                user.id,
                delivery.article_id,
                vote,
                chat_id=delivery.chat_id,
                keep=svc.settings.alerts.vote_memory,
            )
        )
    except ValueError as gone:
        log.info("vote on alert %s of a removed subscription: %s", delivery_id, gone)
        await query.answer(UNFOLLOWED)
        return
    log.info(
        "user %s voted %+d on alert %s (subscription %s)%s",
        user.id,
        vote,
        delivery_id,
        subscription_id,
        " again" if replaced else "",
    )
    await query.answer((CHANGED if replaced else "") + THANKS[vote])
