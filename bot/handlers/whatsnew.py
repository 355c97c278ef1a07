"""What's new: /latest [topic] a page at a time (◂ ▸), /today [day], the listing a question
about a time gets, and the example questions under greetings and /help (their buttons ask
them: bot/handlers/ask.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.handlers.limits import within_question_limit
from bot.listing_memory import Listing
from bot.replies import edit, reply
from bot.services import BotServices, services
from bot.views import LATEST_PAGE, example_keyboard, latest_keyboard
from bot.views.display import escape, label
from bot.views.help import EXAMPLES, example_questions
from bot.views.stories import stories_html, window_label
from retrieval import Kind, Routed, read_time

log = logging.getLogger(__name__)

TODAY_USAGE = (
    "Usage: /today for the newest day's main stories, or name a day:"
    " /today yesterday, /today 1 June 2024, /today 2024-06-01"
)
EMPTY_ARCHIVE = "Nothing is indexed yet; an admin can add feeds with /addfeed."
TOPIC_CHARS = 100


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/latest [topic]: the newest stories (on the topic), one page at a time."""
    svc = services(context)
    if not await within_question_limit(svc, update):
        return
    topic = " ".join(context.args or [])
    now = await asyncio.to_thread(svc.stories.now)
    await send_latest(update, svc, topic, now)


async def send_latest(update: Update, svc: BotServices, topic: str, now: datetime) -> None:
    chat_id = update.effective_chat.id
    token = svc.listings.remember(Listing(topic, now, chat_id))
    text, markup = await asyncio.to_thread(latest_page, svc, token, topic, now, 0)
    log.info("chat %s: /latest %r", chat_id, topic[:80])
    await reply(update, text, reply_markup=markup)


def latest_page(
    svc: BotServices, token: str, topic: str, now: datetime, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page `page` of the listing (HTML) and its ◂ ▸ buttons. Blocking."""
    listed = svc.settings.stories
    page = max(0, min(page, listed.max_pages - 1))
    found = svc.stories.latest(topic or None, now, (page + 1) * listed.per_page + 1)
    shown = found[page * listed.per_page : (page + 1) * listed.per_page]
    more = len(found) > (page + 1) * listed.per_page and page + 1 < listed.max_pages
    about = f" on “{escape(label(topic, TOPIC_CHARS))}”" if topic else ""
    heading = f"<b>Latest stories{about}</b>" + (f" · page {page + 1}" if page else "")
    empty = f"I have no stories{about}." if topic else EMPTY_ARCHIVE
    text = stories_html(heading, shown, now, empty if not page else "No more stories.")
    return text, latest_keyboard(token, page, more)


async def latest_page_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """◂ ▸ under a /latest listing: show another page by editing the message."""
    query = update.callback_query
    svc = services(context)
    token, page = LATEST_PAGE.parse(query.data) or ("", "")
    listing = None
    if page.isdigit() and query.message is not None:
        listing = svc.listings.get(token, query.message.chat.id)
    if listing is None:
        await query.answer("This list has expired; please send /latest again.")
        return
    text, markup = await asyncio.to_thread(
        latest_page, svc, token, listing.topic, listing.as_of, int(page)
    )
    await query.answer()
    await edit(query.message, text, reply_markup=markup)


async def today(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/today [day]: the day's main stories, those most outlets carried first."""
    svc = services(context)
    if not await within_question_limit(svc, update):
        return
    day = " ".join(context.args or [])
    now = await asyncio.to_thread(svc.stories.now)
    asked = read_time(day or "today", now)
    if not asked.has_window:
        await reply(update, TODAY_USAGE)
        return
    routed = await asyncio.to_thread(
        svc.router.digest, asked, now, svc.settings.stories.digest_stories, day
    )
    await reply(update, listing_html(routed))


def listing_html(routed: Routed, about: str = "") -> str:
    """A LATEST or DIGEST reply as one message; `about` (HTML) opens it when given."""
    if routed.kind is Kind.DIGEST:
        assert routed.start is not None and routed.end is not None
        when = window_label(routed.start, routed.end)
        heading = f"<b>Main stories · {escape(when)}</b>"
        empty = f"I have no stories from {escape(when)}."
        if routed.end <= routed.now - timedelta(days=1) or routed.start > routed.now:
            empty += f" The newest I have are from {escape(window_label(*_day_of(routed.now)))}."
    else:
        topic = f" on “{escape(label(routed.topic, TOPIC_CHARS))}”" if routed.topic else ""
        heading = f"<b>Latest stories{topic}</b>"
        empty = f"I have no stories{topic}." if topic else EMPTY_ARCHIVE
    body = stories_html(heading, routed.stories, routed.now, empty)
    return f"{about}\n{body}" if about else body


def _day_of(moment: datetime) -> tuple[datetime, datetime]:
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


# -- example questions: buttons that ask them


def top_titles(svc: BotServices) -> list[str]:
    """The titles of the archive's main stories now (its last two days'), for examples; the
    newest stored titles when those are too few. Blocking."""
    now = svc.stories.now()
    start, end = _day_of(now)
    found = svc.stories.digest(start - timedelta(days=1), end, EXAMPLES * 2)
    titles = [s.title for s in found]
    if len(titles) < EXAMPLES:  # few stories that day, or undated ones (read from pages)
        titles += [s.title for s in svc.stories.latest(None, now, EXAMPLES * 2)]
        titles += svc.archive.store.recent_titles(EXAMPLES * 2)
    return titles


def example_buttons(svc: BotServices, titles: list[str]) -> InlineKeyboardMarkup | None:
    """A button per example question; pressing it asks the question in the chat."""
    questions = example_questions(titles)
    return example_keyboard([(q, svc.examples.remember(q)) for q in questions])
