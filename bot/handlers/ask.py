"""Asking: /start, /help, /ask, plain messages in private chats, mentions and replies in
groups, and the buttons under an answer (More sources, 👍/👎)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.question_limits import Verdict
from bot.replies import reply, send_pieces, thread_id_of, typing
from bot.services import BotServices, services
from bot.views import help_html, render_answer_html
from retrieval import QuestionError

log = logging.getLogger(__name__)

SLOW_DOWN = "You're asking faster than I can read — please wait a few seconds."
ASK_USAGE = "Usage: /ask &lt;question&gt;, for example /ask What condition did Zelensky set?"
MORE, BACK, VOTE = "more", "back", "vote"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: what the bot does, with example questions from the archive."""
    svc = services(context)
    chat = update.effective_chat
    if chat and await asyncio.to_thread(svc.subscriptions.resume_chat, chat.id):
        log.info("chat %s is reachable again: alerts resumed", chat.id)
    await reply(update, await help_html(svc, update, greeting=True))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: the commands, with example questions from the archive."""
    await reply(update, await help_html(services(context), update, greeting=False))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question>: answer from the archive."""
    question = " ".join(context.args or [])
    if not question:
        await reply(update, ASK_USAGE)
        return
    await answer_question(update, context, question)


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain message in a private chat is a question."""
    await answer_question(update, context, update.effective_message.text or "")


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, answer only messages that mention the bot or reply to it."""
    message = update.effective_message
    bot = context.bot
    replied = message.reply_to_message
    to_bot = (
        replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
    )
    question = message.text or ""
    mention = f"@{bot.username}".lower()
    for text in message.parse_entities([MessageEntity.MENTION]).values():
        if text.lower() == mention:
            to_bot = True
            question = question.replace(text, " ")
    if to_bot:
        await answer_question(update, context, question)


async def answer_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
) -> None:
    svc = services(context)
    chat_id = update.effective_chat.id
    if not await within_question_limit(svc, update):
        return
    async with typing(update, context):
        try:
            answer = await asyncio.to_thread(svc.answerer.answer, question)
        except QuestionError as error:
            await reply(update, f"{error}\n{ASK_USAGE}")
            return
    markup = None
    if answer.answered:
        token = svc.answers.remember(answer, chat_id)
        markup = answer_keyboard(token, has_more=bool(answer.more), showing_more=False)
    log.info(
        "chat %s asked %r: %s (evidence %.2f)",
        chat_id,
        answer.question[:80],
        f"{len(answer.quotes)} quotes" if answer.answered else "no answer",
        answer.evidence,
    )
    context_chars = svc.settings.retrieval.quote_context_chars
    await reply(
        update, render_answer_html(answer, context_chars=context_chars), reply_markup=markup
    )


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


def answer_keyboard(token: str, has_more: bool, showing_more: bool) -> InlineKeyboardMarkup:
    rows = []
    if showing_more:
        rows.append([InlineKeyboardButton("◂ First sources", callback_data=f"{BACK}:{token}")])
    elif has_more:
        rows.append([InlineKeyboardButton("More sources ▸", callback_data=f"{MORE}:{token}")])
    rows.append(
        [
            InlineKeyboardButton("👍", callback_data=f"{VOTE}:{token}:1"),
            InlineKeyboardButton("👎", callback_data=f"{VOTE}:{token}:-1"),
        ]
    )
    return InlineKeyboardMarkup(rows)


async def page_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """More sources / First sources: show the other quotes by editing the answer."""
    query = update.callback_query
    kind, _, token = (query.data or "").partition(":")
    svc = services(context)
    shown = _shown(svc, query)
    if shown is None:
        await query.answer("This answer has expired; please ask again.")
        return
    showing_more = kind == MORE
    answer = shown.answer
    pieces = render_answer_html(
        answer,
        quotes=answer.more if showing_more else answer.quotes,
        context_chars=svc.settings.retrieval.quote_context_chars,
    )
    markup = answer_keyboard(token, has_more=bool(answer.more), showing_more=showing_more)
    await query.answer()
    if len(pieces) == 1:
        await _edit_unless_shown(query, pieces[0], markup)
        return
    # Too long for one message: the rest follows as new messages carrying the buttons.
    if not await _edit_unless_shown(query, pieces[0], None):
        return
    message = query.message
    await send_pieces(
        context.bot,
        message.chat.id,
        pieces[1:],
        thread_id=thread_id_of(message),
        reply_markup=markup,
    )


async def _edit_unless_shown(query, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    """Edit the answer to show `text`; False when it already does (a second tap on the same
    button: Telegram answers "message is not modified"), which is done, not an error."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise
        log.info("button %r tapped again: the answer already shows it", query.data)
        return False
    return True


async def vote_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍/👎: record the reader's verdict on an answer."""
    query = update.callback_query
    svc = services(context)
    parts = (query.data or "").split(":")
    shown = _shown(svc, query)
    if shown is None or len(parts) != 3 or parts[2] not in ("1", "-1"):
        await query.answer("This answer has expired; please ask again.")
        return
    user_id = query.from_user.id
    if user_id in shown.voters:
        await query.answer("You already rated this answer.")
        return
    shown.voters.add(user_id)
    vote = int(parts[2])
    answer = shown.answer
    passage_ids = [q.passage_id for q in (*answer.quotes, *answer.more)]
    await asyncio.to_thread(
        svc.feedback.record,
        shown.chat_id,
        user_id,
        answer.question,
        passage_ids,
        vote,
    )
    log.info("feedback %+d from user %s on %r", vote, user_id, answer.question[:80])
    await query.answer("Thanks for the feedback!")


def _shown(svc: BotServices, query):
    token = (query.data or "").split(":")[1] if ":" in (query.data or "") else ""
    if query.message is None:
        return None
    return svc.answers.get(token, query.message.chat.id)
