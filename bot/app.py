"""Wiring: `build_application` makes the python-telegram-bot Application (the tests build theirs
with it too); `run_bot` runs it with long polling, or as a webhook when one is configured.

Heavy start-up (opening the archive, loading the model, the command menu, the jobs) happens in
`post_init`, once, before the first update is handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.commands import publish_commands, register_buttons, register_commands
from bot.handlers import ask, feed_lists, inline
from bot.handlers import subscriptions as subs
from bot.log_setup import configure_logging
from bot.question_limits import Verdict
from bot.replies import reply, thread_id_of
from bot.services import SERVICES_KEY, BotServices, services
from bot.workers import schedule_jobs
from config import Settings, SettingsError
from index.backends import keeps_data_dir
from index.embedding import Embedder
from index.storage import BotRunLock

log = logging.getLogger(__name__)

# A BotFather token: the bot's numeric id, a colon, and a 35-character secret.
TOKEN_PATTERN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,}")
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
BUTTONS_SLOW_DOWN = "You're pressing buttons faster than I can follow — please wait a moment."
# Updates handled at once: a slow answer or a re-index never holds up the others.
CONCURRENT_UPDATES = 32
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.INLINE_QUERY,  # inline mode, once enabled with @BotFather /setinline
]


def _not_outbox_flood(record: logging.LogRecord) -> bool:
    """The outbox sends without the limiter's retries on purpose and logs a 429 itself; the
    limiter's traceback for "maximum of 0 retries" would only be noise."""
    return "maximum of 0 retries" not in record.getMessage()


def _not_token_retry_loop(record: logging.LogRecord) -> bool:
    """A rejected token ends `run_bot` with one line of its own; PTB's traceback for the same
    event would only bury it."""
    return "Invalid token. Aborting retry loop" not in record.getMessage()


def validate_token(token: str) -> str:
    """The token, or SettingsError with one line saying what to do."""
    token = (token or "").strip()
    if not token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its token"
        )
    if not TOKEN_PATTERN.fullmatch(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is malformed: expected the bot id, a colon and the secret,"
            " like 123456789:AAH... (copy it again from @BotFather)"
        )
    return token


def file_url_for(api_url: str) -> str:
    """The file download URL that goes with a Bot API URL (…/bot -> …/file/bot)."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def build_application(settings: Settings, embedder: Embedder | None = None) -> Application:
    """The Application with every handler, the rate limiter and the start-up hooks.

    `embedder` lets tests share one loaded model; the bot itself loads the configured one.
    """
    token = validate_token(settings.telegram.token)

    async def post_init(application: Application) -> None:
        svc = await asyncio.to_thread(BotServices.open, settings, embedder)
        application.bot_data[SERVICES_KEY] = svc
        await publish_commands(application.bot, settings.telegram.admins)
        feeds = await asyncio.to_thread(svc.feeds.all)
        schedule_jobs(application, feeds)
        # The recent stories /subscribe previews topics on: read now, not on the first one.
        application.job_queue.run_once(read_recent_stories, when=0, name="read_recent_stories")
        counts = await asyncio.to_thread(svc.archive.store.counts)
        log.info(
            "@%s ready: %d articles, %d passages, %d feeds",
            application.bot.username,
            counts["articles"],
            counts["passages"],
            len(feeds),
        )

    async def post_shutdown(application: Application) -> None:
        svc = application.bot_data.pop(SERVICES_KEY, None)
        if svc is not None:
            await svc.aclose()

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram.api_url)
        .base_file_url(file_url_for(settings.telegram.api_url))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(AIORateLimiter())
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    register_handlers(application)
    logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_not_outbox_flood)
    logging.getLogger("telegram.ext").addFilter(_not_token_retry_loop)
    return application


def register_handlers(application: Application) -> None:
    register_commands(application)
    text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, ask.private_text))
    application.add_handler(MessageHandler(text & filters.ChatType.GROUPS, ask.group_text))
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(
        MessageHandler(private & filters.Document.ALL, feed_lists.feed_list_document)
    )
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.COMMAND,
            unknown_command,
        )
    )
    # Before any button's own handler (group -1): a press past the user's allowance stops here.
    application.add_handler(CallbackQueryHandler(limit_buttons), group=-1)
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, subs.chat_migrated))
    register_buttons(application)
    application.add_handler(CallbackQueryHandler(unknown_button))
    application.add_handler(InlineQueryHandler(inline.inline_query))
    application.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)


async def read_recent_stories(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: read the stories /subscribe previews topics on (then kept and topped up)."""
    await asyncio.to_thread(services(context).recent_stories.read)


async def limit_buttons(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every button press takes a token from its user's allowance (telegram.buttons_per_minute,
    across every chat): each press may write to the database or ask Telegram. Past it the
    press is answered (once with "slow down") and goes no further."""
    query = update.callback_query
    verdict = services(context).buttons.take([("user", query.from_user.id)])
    if verdict is Verdict.ANSWER:
        return
    if verdict is Verdict.SLOW_DOWN:
        log.info(
            "user %s presses buttons too fast: ignored until the limit allows", query.from_user.id
        )
    await query.answer(BUTTONS_SLOW_DOWN if verdict is Verdict.SLOW_DOWN else None)
    raise ApplicationHandlerStop


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    await reply(update, "I don't know that command. /help lists what I can do.")


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button from an older version of the bot (or data no button of ours carries)."""
    query = update.callback_query
    log.info("unknown button data %r from user %s", (query.data or "")[:80], query.from_user.id)
    await query.answer("This button no longer works; please try again.")


async def membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Removed from a group or blocked: pause alerts there; added back: resume them."""
    change = update.my_chat_member
    svc = services(context)
    status = change.new_chat_member.status
    if status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        await asyncio.to_thread(svc.subscriptions.pause_chat, change.chat.id)
        log.info("removed from chat %s: its alerts are paused", change.chat.id)
    elif status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    ) and await asyncio.to_thread(svc.subscriptions.resume_chat, change.chat.id):
        log.info("back in chat %s: its alerts resume", change.chat.id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one error handler: log everything unexpected, tell the user briefly."""
    error = context.error
    if not isinstance(update, Update):
        if isinstance(error, NetworkError):
            log.warning("Telegram could not be reached: %s", error)
        else:
            log.error("error outside an update", exc_info=error)
        return
    log.error("error while handling update %s", update.update_id, exc_info=error)
    chat = update.effective_chat
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer("Sorry, something went wrong.")
    if chat is None:
        return
    try:
        await context.bot.send_message(
            chat.id,
            "Sorry, something went wrong on my side. Please try again in a moment.",
            message_thread_id=thread_id_of(update.effective_message),
        )
    except TelegramError as failure:
        log.warning("could not tell chat %s about the error: %s", chat.id, failure)


def webhook_options(settings: Settings) -> dict:
    """The keyword arguments of `Application.run_webhook` for these settings."""
    telegram = settings.telegram
    secret = telegram.webhook_secret
    if secret and not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
        raise SettingsError(
            "telegram.webhook_secret may only hold letters, digits, _ and - (1-256 characters)"
        )
    return {
        "listen": telegram.webhook_listen,
        "port": telegram.webhook_port,
        "url_path": urlsplit(telegram.webhook_url).path.lstrip("/"),
        "webhook_url": telegram.webhook_url,
        # Without a configured secret, a fresh one per run still proves that requests come
        # from Telegram: setWebhook hands it over on every start.
        "secret_token": secret or secrets.token_urlsafe(32),
        "allowed_updates": ALLOWED_UPDATES,
    }


def run_bot(settings: Settings) -> None:
    """`newsbot run`: long polling, or a webhook when telegram.webhook_url is set. Blocks.

    A missing or malformed token (or webhook secret) raises SettingsError before anything
    starts; so does a token Telegram rejects, with a line that never contains the token.
    """
    validate_token(settings.telegram.token)
    webhook = webhook_options(settings) if settings.telegram.webhook_url else None
    secrets = configure_logging(settings)
    if webhook is not None:
        secrets.add(webhook["secret_token"])  # generated when none is configured
    running = BotRunLock(settings.data_dir)
    if keeps_data_dir(settings):
        running.hold_for_the_bot()  # `newsbot migrate` must not copy the directory meanwhile
    application = build_application(settings)
    try:
        if webhook is None:
            log.info("starting with long polling against %s", settings.telegram.api_url)
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
            return
        log.info(
            "starting webhook on %s:%d for %s",
            webhook["listen"],
            webhook["port"],
            webhook["webhook_url"],
        )
        application.run_webhook(**webhook)
    except InvalidToken:
        bot_id = settings.telegram.token.strip().partition(":")[0]
        log.info("Telegram rejected the token of bot %s", bot_id)
        raise SettingsError(
            f"Telegram rejected TELEGRAM_BOT_TOKEN (bot id {bot_id}, answered Unauthorized):"
            " copy it again from @BotFather"
        ) from None
    finally:
        running.release()
