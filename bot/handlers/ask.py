"""Asking: /start, /help, /ask, plain messages in private chats, mentions and replies in
groups, the example questions' buttons, and the buttons under an answer (More sources,
👍/👎). A question about a time may get a listing instead of quotes (retrieval/routing.py);
a greeting gets example questions; a follow-up is asked with the subject of the question it
leans on."""

from __future__ import annotations

import asyncio
import logging

from telegram import Chat, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.chat_rights import is_bot_admin
from bot.handlers.limits import within_question_limit
from bot.handlers.whatsnew import example_buttons, listing_html, send_latest, top_titles
from bot.replies import reply, send_pieces, thread_id_of, typing
from bot.services import BotServices, command_table, services
from bot.small_talk import small_talk
from bot.views import (
    ANSWER_VOTE,
    EXAMPLE,
    FIRST_SOURCES,
    MORE_SOURCES,
    answer_keyboard,
    escape,
    help_text_html,
    render_answer_html,
)
from bot.views.display import label
from retrieval import Kind, QuestionError, carry_over

log = logging.getLogger(__name__)

ASK_USAGE = "Usage: /ask &lt;question&gt;, for example /ask What condition did Zelensky set?"
SMALL_TALK = {
    "greeting": "👋 Hello! Ask me anything about the news, or tap a question:",
    "thanks": "You're welcome! Anything else? For example:",
}
UNDERSTOOD_CHARS = 200
EXPIRED = "This answer has expired; please ask again."


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: what the bot does, with example questions from the archive."""
    svc = services(context)
    chat = update.effective_chat
    if chat and await asyncio.to_thread(svc.subscriptions.resume_chat, chat.id):
        log.info("chat %s is reachable again: alerts resumed", chat.id)
    await send_help(update, context, greeting=True)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: the commands, with example questions from the archive to tap."""
    await send_help(update, context, greeting=False)


async def send_help(update: Update, context: ContextTypes.DEFAULT_TYPE, greeting: bool) -> None:
    svc = services(context)
    titles = await asyncio.to_thread(top_titles, svc)
    text = help_text_html(
        command_table(context),
        titles,
        greeting,
        is_bot_admin(update, svc.settings.telegram.admins),
        svc.settings.alerts.digest_minutes / 60,
        context.bot.username or "",
    )
    await reply(update, text, reply_markup=example_buttons(svc, titles))


async def reply_small_talk(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str) -> None:
    """A greeting or thanks: a short reply and example questions to tap; "help": /help."""
    if kind not in SMALL_TALK:
        await send_help(update, context, greeting=False)
        return
    svc = services(context)
    titles = await asyncio.to_thread(top_titles, svc)
    markup = example_buttons(svc, titles)
    text = (
        SMALL_TALK[kind]
        if markup
        else ("Hello! I have no news yet: an admin can add feeds with /addfeed &lt;feed URL&gt;.")
    )
    log.info("chat %s: small talk (%s)", update.effective_chat.id, kind)
    await reply(update, text, reply_markup=markup)


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
    kind = small_talk(question)
    if kind is not None:
        await reply_small_talk(update, context, kind)
        return
    follow_up = carry_over(previous_question(svc, update) or "", question)
    asked = follow_up.question if follow_up else question
    about = f"<i>About “{escape(label(asked, UNDERSTOOD_CHARS))}”:</i>" if follow_up else ""
    async with typing(update, context):
        try:
            # A follow-up's listing is shown whole; otherwise /latest lists it, with pages.
            routed = await asyncio.to_thread(svc.router.route, asked, None, 0, bool(about))
        except QuestionError as error:
            await reply(update, f"{error}\n{ASK_USAGE}")
            return
    if routed.kind is Kind.LATEST and not about:
        await send_latest(update, svc, routed.topic, routed.now)  # with its page buttons
        svc.conversations.remember(chat_id, asked, None)
        return
    if routed.kind is not Kind.ANSWER:
        sent = await reply(update, listing_html(routed, about))
        log.info("chat %s asked %r: %s listing", chat_id, asked[:80], routed.kind.value)
        svc.conversations.remember(chat_id, asked, sent.message_id)
        return
    answer = routed.answer
    assert answer is not None
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
    pieces = render_answer_html(answer, context_chars=context_chars)
    if about:
        pieces[0] = f"{about}\n{pieces[0]}"
    sent = await reply(update, pieces, reply_markup=markup)
    svc.conversations.remember(chat_id, asked, sent.message_id)


def previous_question(svc: BotServices, update: Update) -> str | None:
    """The question a message may lean on: the one the bot's message it replies to answered,
    else (in a private chat) the chat's last one, if recent."""
    message = update.message
    if message is None:
        return None
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.is_bot:
        found = svc.conversations.answered_by(message.chat_id, replied.message_id)
        if found is not None:
            return found
    if message.chat.type == Chat.PRIVATE:
        return svc.conversations.recent(message.chat_id)
    return None


async def example_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An example question's button: ask it, as if the user had written it."""
    query = update.callback_query
    svc = services(context)
    (token,) = EXAMPLE.parse(query.data) or ("",)
    question = svc.examples.get(token)
    if question is None or query.message is None:
        await query.answer("This example has expired; please write your question.")
        return
    await query.answer()
    await answer_question(update, context, question)


async def page_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """More sources / First sources: show the other quotes by editing the answer."""
    query = update.callback_query
    more = MORE_SOURCES.parse(query.data)
    token = (more or FIRST_SOURCES.parse(query.data) or ("",))[0]
    svc = services(context)
    shown = _shown(svc, query, token)
    if shown is None:
        await query.answer(EXPIRED)
        return
    showing_more = more is not None
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
    token, verdict = ANSWER_VOTE.parse(query.data) or ("", "")
    shown = _shown(svc, query, token)
    if shown is None or verdict not in ("1", "-1"):
        await query.answer(EXPIRED)
        return
    user_id = query.from_user.id
    if user_id in shown.voters:
        await query.answer("You already rated this answer.")
        return
    shown.voters.add(user_id)
    vote = int(verdict)
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


def _shown(svc: BotServices, query, token: str):
    if query.message is None:
        return None
    return svc.answers.get(token, query.message.chat.id)
