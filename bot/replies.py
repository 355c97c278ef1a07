"""Sending replies: HTML pieces in order, in the right forum topic, quoting the question in
groups, with a "typing" action kept alive while the answer is being worked out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from telegram import (
    Bot,
    Chat,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

log = logging.getLogger(__name__)

# A reply that meets Telegram's flood control waits and tries again this many times (the
# rate limiter then holds every other request too, as Telegram's limit is per bot).
USER_REPLY_RETRIES = 2
TYPING_REFRESH_SECONDS = 4.0  # Telegram shows "typing" for about 5 s


def thread_id_of(message: Message | None) -> int | None:
    """The forum topic a message belongs to (None outside forum topics)."""
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


async def send_pieces(
    bot: Bot,
    chat_id: int,
    pieces: Sequence[str],
    *,
    thread_id: int | None = None,
    reply_to: Message | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
    retries: int = USER_REPLY_RETRIES,
    on_accepted: Callable[[int], Awaitable[None]] | None = None,
    silent: bool = False,
    previews: bool = False,
) -> Message:
    """Send HTML pieces in order; the first quotes `reply_to`, the last carries the markup.
    `silent`: without a notification sound; `previews`: with a link preview (the bot's
    default is none).

    `on_accepted(k)` is awaited after Telegram accepted the k-th piece (1-based) and before
    the next one is sent, so a caller can record progress; what it raises stops the sending.
    """
    sent: Message | None = None
    for index, piece in enumerate(pieces):
        first, last = index == 0, index == len(pieces) - 1
        sent = await bot.send_message(
            chat_id,
            piece,
            message_thread_id=thread_id,
            reply_parameters=(
                ReplyParameters(reply_to.message_id, allow_sending_without_reply=True)
                if first and reply_to is not None
                else None
            ),
            reply_markup=reply_markup if last else None,
            rate_limit_args=retries,
            disable_notification=silent or None,
            # Only when asked: passing None would override the bot's default (no previews).
            **({"link_preview_options": LinkPreviewOptions(is_disabled=False)} if previews else {}),
        )
        if on_accepted is not None:
            await on_accepted(index + 1)
    assert sent is not None, "send_pieces needs at least one piece"
    return sent


async def reply(
    update: Update, text: str | Sequence[str], reply_markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Answer the message of this update, in its chat and forum topic.

    In groups the question is quoted, so everyone sees what is being answered.
    """
    message = update.effective_message
    assert message is not None
    pieces = [text] if isinstance(text, str) else list(text)
    quote = message if message.chat.type in (Chat.GROUP, Chat.SUPERGROUP) else None
    return await send_pieces(
        message.get_bot(),
        message.chat_id,
        pieces,
        thread_id=thread_id_of(message),
        reply_to=quote,
        reply_markup=reply_markup,
    )


async def edit(message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None):
    """Edit a message the bot sent; an edit that fails is logged, never fatal."""
    try:
        return await message.edit_text(text, reply_markup=reply_markup)
    except TelegramError as error:
        if "not modified" not in str(error):
            log.warning("could not edit message %s: %s", message.message_id, error)
        return None


@contextlib.asynccontextmanager
async def typing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends."""
    message = update.effective_message
    assert message is not None

    shown = asyncio.Event()

    async def keep_typing() -> None:
        while True:
            try:
                await context.bot.send_chat_action(
                    message.chat_id, ChatAction.TYPING, message_thread_id=thread_id_of(message)
                )
            except TelegramError as error:  # cosmetic: never fail an answer over it
                log.debug("typing action failed: %s", error)
            shown.set()
            await asyncio.sleep(TYPING_REFRESH_SECONDS)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        # An answer found at once still goes after its first "typing", never instead of it
        # (cancelled in flight, the action may or may not reach Telegram).
        if not shown.is_set():
            first = asyncio.create_task(shown.wait())
            await asyncio.wait({first, task}, return_when=asyncio.FIRST_COMPLETED)
            first.cancel()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
