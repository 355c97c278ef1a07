"""The /start and /help text: what the bot does, two example questions made from what is
indexed, and each command's lines from the command table (bot/commands.py), which the command
menu and the handlers' registration read too."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.views.display import ELLIPSIS, escape, label

# What answers a command or a button press: python-telegram-bot's (update, context) callback.
Handler = Callable[[Any, Any], Awaitable[None]]
# In a command's /help lines: the hours between two interval digests (alerts.digest_minutes).
DIGEST_HOURS = "{digest_hours}"


class Section(enum.Enum):
    """Where /help lists a command, under this heading."""

    NONE = ""  # not listed: /start and /help themselves
    ASK = "Ask"  # in the opening paragraph on asking
    WHATS_NEW = "What's new"
    FOLLOW = "Follow a topic"
    ADMIN = "Admin"  # shown to the bot's admins only


@dataclass(frozen=True)
class Command:
    """One command: the handler that answers it, its line in the command menu ("" for none) and
    its lines in /help (HTML; a command named on another command's line has none of its own).
    `admin_only`: in the menu of the bot's admins only (its handler refuses anyone else)."""

    name: str
    handler: Handler
    menu: str
    section: Section
    help: tuple[str, ...] = ()
    admin_only: bool = False


EXAMPLES = 3  # example questions under /start, /help and greetings (tappable)
EXAMPLE_TITLE_WORDS = 10
EXAMPLE_TITLE_CHARS = 80


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


def help_text_html(
    commands: Sequence[Command],
    titles: list[str],
    greeting: bool,
    admin: bool,
    digest_hours: float,
    bot_username: str = "",
) -> str:
    """The /start (with `greeting`) and /help text: one message whatever the titles hold."""

    def listed(section: Section) -> list[str]:
        lines = ["", f"<b>{section.value}</b>"]
        for command in commands:
            if command.section is section:
                lines += [line.replace(DIGEST_HOURS, f"{digest_hours:g}") for line in command.help]
        return lines

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
    lines += listed(Section.WHATS_NEW)
    if bot_username:
        lines.append(
            f"In any chat, type @{escape(bot_username)} and a question to share an answer."
        )
    lines += listed(Section.FOLLOW)
    if admin:
        lines += listed(Section.ADMIN)
    return "\n".join(lines)
