"""Every command and every button family the bot answers, each named once.

`COMMANDS` is read by the registration of the handlers (`register_commands`), by the command
menu (`publish_commands`, Telegram's setMyCommands) and by /start and /help
(bot/views/help.py): a new command is one row here. `BUTTONS` routes each family of buttons
(bot/views/keyboards.py) to its handler.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.handlers import (
    admin,
    alert_votes,
    ask,
    chat_settings,
    feed_lists,
    pausing,
    whatsnew,
)
from bot.handlers import subscriptions as subs
from bot.services import COMMANDS_KEY
from bot.views import (
    ALERT_VOTE,
    ANSWER_VOTE,
    DIGEST_HOURS,
    EXAMPLE,
    FIRST_SOURCES,
    LATEST_PAGE,
    MORE_SOURCES,
    UNSUBSCRIBE,
    Callback,
    Command,
    Handler,
    Section,
)

log = logging.getLogger(__name__)

# In the order of the menu and of /help.
COMMANDS: tuple[Command, ...] = (
    Command("start", ask.start, "", Section.NONE),
    Command("ask", ask.ask_command, "Ask a question about the news", Section.ASK),
    Command(
        "latest",
        whatsnew.latest,
        "The newest stories: /latest or /latest ceasefire talks",
        Section.WHATS_NEW,
        ("/latest [topic] — the newest stories, one line each (◂ ▸ for more)",),
    ),
    Command(
        "today",
        whatsnew.today,
        "A day's main stories: /today or /today 2024-06-01",
        Section.WHATS_NEW,
        ("/today [day] — a day's main stories, those most outlets carried first",),
    ),
    Command(
        "subscribe",
        subs.subscribe,
        "Follow a topic: /subscribe ceasefire talks",
        Section.FOLLOW,
        (
            "/subscribe &lt;topic&gt; — e.g. /subscribe ceasefire talks +ukraine -football"
            " (+word must appear, -word must not; +&quot;new york&quot; a phrase, a OR b either)",
            "/subscribe source:bbc.co.uk — every new story from an outlet (its domain, its name"
            " or a feed's URL); add words for its stories on a topic: source:reuters.com ukraine",
        ),
    ),
    Command(
        "unsubscribe",
        subs.unsubscribe,
        "Stop following a topic",
        Section.FOLLOW,
        ("/unsubscribe &lt;topic|all&gt; — stop following (buttons without a topic)",),
    ),
    Command(
        "subscriptions",
        subs.subscriptions_command,
        "Topics this chat follows",
        Section.FOLLOW,
        ("/subscriptions — the topics this chat follows",),
    ),
    Command(
        "digest",
        chat_settings.digest_command,
        "Alerts as one digest: /digest daily 08:00, on or off",
        Section.FOLLOW,
        (
            f"/digest on|off — one digest every {DIGEST_HOURS} h instead of a message per article",
            "/digest daily 08:00 or weekly mon 08:00 — the digest at that time instead",
        ),
    ),
    Command(
        "pause",
        pausing.pause,
        "Pause a topic's alerts: /pause oil prices or all",
        Section.FOLLOW,
        ("/pause &lt;topic|all&gt; · /resume — stop a topic's alerts for now, and start again",),
    ),
    Command("resume", pausing.resume, "Alerts of paused topics again", Section.FOLLOW),
    Command(
        "quiet",
        chat_settings.quiet,
        "Alerts without a sound: /quiet on, off or 22:00-07:00",
        Section.FOLLOW,
        ("/quiet on|off|22:00-07:00 — alerts without a sound, always or in those hours",),
    ),
    Command(
        "timezone",
        chat_settings.timezone_command,
        "This chat's time zone: /timezone Europe/Kyiv",
        Section.FOLLOW,
        ("/timezone &lt;zone&gt; — e.g. Europe/Kyiv or +03:00, for quiet hours",),
    ),
    Command(
        "previews",
        chat_settings.previews,
        "Link previews under alerts: /previews on or off",
        Section.FOLLOW,
        ("/previews on|off — a link preview under each alert",),
    ),
    Command(
        "export",
        feed_lists.export,
        "This chat's topics to copy (and feeds as OPML)",
        Section.FOLLOW,
        ("/export — the topics this chat follows, as commands to copy",),
    ),
    Command("help", ask.help_command, "What I can do", Section.NONE),
    Command(
        "addfeed",
        admin.addfeed,
        "Poll an RSS/Atom feed or an OPML list",
        Section.ADMIN,
        (
            "/addfeed &lt;url&gt; · /removefeed &lt;url|number&gt; · /feeds",
            "Send me an OPML file (or /addfeed its URL) to poll every feed in it;"
            " /export sends the feeds as OPML",
        ),
        admin_only=True,
    ),
    Command("removefeed", admin.removefeed, "Stop polling a feed", Section.ADMIN, admin_only=True),
    Command(
        "feeds", admin.feeds_command, "Feeds with their last poll", Section.ADMIN, admin_only=True
    ),
    Command(
        "ingest",
        admin.ingest,
        "Read an article or feed now",
        Section.ADMIN,
        ("/ingest &lt;url&gt; · /reindex · /stats",),
        admin_only=True,
    ),
    Command("reindex", admin.reindex, "Rebuild the vector index", Section.ADMIN, admin_only=True),
    Command("stats", admin.stats, "Archive and delivery figures", Section.ADMIN, admin_only=True),
)

BUTTONS: tuple[tuple[Callback, Handler], ...] = (
    (MORE_SOURCES, ask.page_button),
    (FIRST_SOURCES, ask.page_button),
    (ANSWER_VOTE, ask.vote_button),
    (LATEST_PAGE, whatsnew.latest_page_button),
    (EXAMPLE, ask.example_button),
    (UNSUBSCRIBE, subs.unsubscribe_button),
    (ALERT_VOTE, alert_votes.alert_vote_button),
)

# Commands are read in messages and channel posts (an edited message is not a new command).
NEW_POSTS = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST


def register_commands(application: Application, commands: Sequence[Command] = COMMANDS) -> None:
    """A handler per command, and the table kept for /start and /help."""
    application.bot_data[COMMANDS_KEY] = tuple(commands)
    for command in commands:
        application.add_handler(CommandHandler(command.name, command.handler, filters=NEW_POSTS))


def register_buttons(
    application: Application, buttons: Sequence[tuple[Callback, Handler]] = BUTTONS
) -> None:
    """A handler per family of buttons, matched on its prefix."""
    for family, handler in buttons:
        application.add_handler(CallbackQueryHandler(handler, pattern=family.pattern))


def menu(commands: Sequence[Command], admin: bool) -> list[BotCommand]:
    """The command menu: the commands with a menu line (the admin ones for `admin` only)."""
    return [BotCommand(c.name, c.menu) for c in commands if c.menu and (admin or not c.admin_only)]


async def publish_commands(
    bot: Bot, admins: tuple[int, ...], commands: Sequence[Command] = COMMANDS
) -> None:
    """The command menu: user commands for everyone, admin ones added in admins' chats."""
    await bot.set_my_commands(menu(commands, admin=False))
    for admin_id in admins:
        try:
            await bot.set_my_commands(
                menu(commands, admin=True), scope=BotCommandScopeChat(admin_id)
            )
        except TelegramError as error:  # the admin has not started a chat with the bot yet
            log.info("admin menu for %s not set: %s", admin_id, error)
