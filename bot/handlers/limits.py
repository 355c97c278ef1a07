"""How fast a chat may ask (bot/question_limits.py), applied to every handler that searches or
lists: questions, /latest, /today, small talk, inline queries."""

from __future__ import annotations

import logging

from telegram import Chat, Update

from bot.question_limits import Verdict
from bot.replies import reply
from bot.services import BotServices

log = logging.getLogger(__name__)

SLOW_DOWN = "You're asking faster than I can read — please wait a few seconds."


async def within_question_limit(svc: BotServices, update: Update) -> bool:
    """Whether to answer this question (or run any command that costs more than a plain
    reply, as a /subscribe preview); past the chat's or the user's own limit (one for every
    chat), say "slow down" once and then stay silent (not even "typing") until the asker's
    allowance is back."""
    chat = update.effective_chat
    user = update.effective_user
    in_group = chat.type in (Chat.GROUP, Chat.SUPERGROUP) and user is not None
    verdict = svc.questions.check(
        chat.id, user.id if in_group else None, user.id if user is not None else None
    )
    if verdict is Verdict.ANSWER:
        return True
    who = f"chat {chat.id}" + (f" (user {user.id})" if in_group else "")
    if verdict is Verdict.SLOW_DOWN:
        log.info("%s asks too fast: told to slow down, ignored until the limit allows", who)
        await reply(update, SLOW_DOWN)
    else:
        log.debug("%s asks too fast: question ignored", who)
    return False
