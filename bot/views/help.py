"""The /start and /help text, with two example questions made from what is indexed, and the
command menu published with set_my_commands."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError

from bot.services import BotServices
from bot.views.display import ELLIPSIS, escape, label

log = logging.getLogger(__name__)

USER_COMMANDS = (
    ("ask", "Ask a question about the news"),
    ("latest", "The newest stories: /latest or /latest ceasefire talks"),
    ("today", "A day's main stories: /today or /today 2024-06-01"),
    ("subscribe", "Follow a topic: /subscribe ceasefire talks"),
    ("unsubscribe", "Stop following a topic"),
    ("subscriptions", "Topics this chat follows"),
    ("digest", "Alerts as one digest: /digest daily 08:00, on or off"),
    ("pause", "Pause a topic's alerts: /pause oil prices or all"),
    ("resume", "Alerts of paused topics again"),
    ("quiet", "Alerts without a sound: /quiet on, off or 22:00-07:00"),
    ("timezone", "This chat's time zone: /timezone Europe/Kyiv"),
    ("previews", "Link previews under alerts: /previews on or off"),
    ("export", "This chat's topics to copy (and feeds as OPML)"),
    ("help", "What I can do"),
)
ADMIN_COMMANDS = (
    ("addfeed", "Poll an RSS/Atom feed or an OPML list"),
    ("removefeed", "Stop polling a feed"),
    ("feeds", "Feeds with their last poll"),
    ("ingest", "Read an article or feed now"),
    ("reindex", "Rebuild the vector index"),
    ("stats", "Archive and delivery figures"),
)
EXAMPLES = 3  # example questions under /start, /help and greetings (tappable)
EXAMPLE_TITLE_WORDS = 10
EXAMPLE_TITLE_CHARS = 80


def is_admin(svc: BotServices, update: Update) -> bool:
    user = update.effective_user
    return user is not None and user.id in svc.settings.telegram.admins


def example_questions(titles: list[str], count: int = EXAMPLES) -> list[str]:
    """Questions about the newest stored headlines ("What is the news about “…”?"), each
    headline cut to its first words and shortened for display."""
    questions = []
    for title in dict.fromkeys(label(t, EXAMPLE_TITLE_CHARS) for t in titles):
        if not title:
            continue
        words = title.split()
        short = " ".join(words[:EXAMPLE_TITLE_WORDS])
        if len(words) > EXAMPLE_TITLE_WORDS and not short.endswith(ELLIPSIS):
            short += ELLIPSIS
        questions.append(f"What is the news about “{short}”?")
        if len(questions) == count:
            break
    return questions


async def help_html(
    svc: BotServices,
    update: Update,
    greeting: bool,
    titles: list[str] | None = None,
    bot_username: str = "",
) -> str:
    """`titles`: the headlines the examples are made from (the newest stored, if None)."""
    if titles is None:
        titles = await asyncio.to_thread(svc.archive.store.recent_titles, 10)
    hours = svc.settings.alerts.digest_minutes / 60
    return help_text_html(titles, greeting, is_admin(svc, update), hours, bot_username)


def help_text_html(
    titles: list[str], greeting: bool, admin: bool, digest_hours: float, bot_username: str = ""
) -> str:
    """The /start (with `greeting`) and /help text: one message whatever the titles hold."""
    examples = example_questions(titles)
    lines = []
    if greeting:
        lines += ["👋 <b>Hello!</b>", ""]
    lines += [
        "I answer questions about the news by quoting the articles I have read, with the"
        " answering sentence in bold and a link to each source. I can also send you new"
        " articles on topics you follow.",
        "",
        "<b>Ask</b>: just write your question (in groups: /ask, mention me or reply to me)."
        " Questions about days work too: “What happened yesterday?”, “latest on Gaza”.",
    ]
    if examples:
        lines.append("For example (tap one below):")
        lines += [f"• {escape(q)}" for q in examples]
    else:
        lines.append(
            "Nothing is indexed yet; an admin can add feeds with /addfeed &lt;feed URL&gt;"
            " (or run <code>newsbot ingest</code> on the server)."
        )
    lines += [
        "",
        "<b>What's new</b>",
        "/latest [topic] — the newest stories, one line each (◂ ▸ for more)",
        "/today [day] — a day's main stories, those most outlets carried first",
    ]
    if bot_username:
        lines.append(
            f"In any chat, type @{escape(bot_username)} and a question to share an answer."
        )
    lines += [
        "",
        "<b>Follow a topic</b>",
        "/subscribe &lt;topic&gt; — e.g. /subscribe ceasefire talks +ukraine -football"
        " (+word must appear, -word must not; +&quot;new york&quot; a phrase, a OR b either)",
        "/subscribe source:bbc.co.uk — every new story from an outlet (its domain, its name"
        " or a feed's URL); add words for its stories on a topic: source:reuters.com ukraine",
        "/unsubscribe &lt;topic|all&gt; — stop following (buttons without a topic)",
        "/subscriptions — the topics this chat follows",
        f"/digest on|off — one digest every {digest_hours:g} h instead of a message per article",
        "/digest daily 08:00 or weekly mon 08:00 — the digest at that time instead",
        "/pause &lt;topic|all&gt; · /resume — stop a topic's alerts for now, and start again",
        "/quiet on|off|22:00-07:00 — alerts without a sound, always or in those hours",
        "/timezone &lt;zone&gt; — e.g. Europe/Kyiv or +03:00, for quiet hours",
        "/previews on|off — a link preview under each alert",
        "/export — the topics this chat follows, as commands to copy",
    ]
    if admin:
        lines += [
            "",
            "<b>Admin</b>",
            "/addfeed &lt;url&gt; · /removefeed &lt;url|number&gt; · /feeds",
            "Send me an OPML file (or /addfeed its URL) to poll every feed in it;"
            " /export sends the feeds as OPML",
            "/ingest &lt;url&gt; · /reindex · /stats",
        ]
    return "\n".join(lines)


async def publish_commands(bot: Bot, admins: tuple[int, ...]) -> None:
    """The command menu: user commands for everyone, admin ones added in admins' chats."""
    await bot.set_my_commands([BotCommand(*c) for c in USER_COMMANDS])
    for admin in admins:
        try:
            await bot.set_my_commands(
                [BotCommand(*c) for c in USER_COMMANDS + ADMIN_COMMANDS],
                scope=BotCommandScopeChat(admin),
            )
        except TelegramError as error:  # the admin has not started a chat with the bot yet
            log.info("admin menu for %s not set: %s", admin, error)
