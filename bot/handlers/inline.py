"""Inline mode: "@bot question" in any chat. The answer's quotes come back as cards (the
answering sentence as the card's title, the source below it); the one picked is sent as the
quote, in bold, with its source line and link. An empty query, or "latest", lists the newest
stories; a day lists that day's. Answers are cached by question (bot/inline_cache.py), and
each user's uncached questions count against the same limit as their private chat's."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.question_limits import Verdict
from bot.services import BotServices, services
from bot.views.answers import NO_ANSWER_HTML, no_answer_html, render_quote_html, safe_link
from bot.views.display import MESSAGE_BUDGET, escape, label, visible_len
from bot.views.stories import story_facts, story_line_html
from retrieval import Answer, Kind, QuestionError, Routed, Story

log = logging.getLogger(__name__)

CARD_TITLE_CHARS = 120
CARD_TEXT_CHARS = 200
SLOW_DOWN_BUTTON = "Asking too fast — wait a few seconds"


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot question: up to `conversation.inline_results` quote cards, or the latest stories."""
    query = update.inline_query
    svc = services(context)
    text = " ".join((query.query or "").split())
    settings = svc.settings.conversation
    results = svc.inline_cache.get(text)
    if results is None:
        user = query.from_user.id  # inline: the user's own bucket, the same in every chat
        if text and svc.questions.check(user, None, user) is not Verdict.ANSWER:
            log.info("user %s asks inline too fast", query.from_user.id)
            button = InlineQueryResultsButton(SLOW_DOWN_BUTTON, start_parameter="slow")
            await query.answer([], cache_time=0, is_personal=True, button=button)
            return
        results = await asyncio.to_thread(inline_results, svc, text, settings.inline_results)
        svc.inline_cache.put(text, results)
    log.info("inline query from %s: %r, %d results", query.from_user.id, text[:80], len(results))
    await query.answer(results, cache_time=settings.inline_cache_seconds)


def inline_results(svc: BotServices, text: str, count: int) -> list[InlineQueryResultArticle]:
    """The cards for an inline query (blocking: it searches)."""
    try:
        routed = svc.router.route(text or "latest news", count=count)
    except QuestionError as error:
        return [_card("error", str(error), "", escape(str(error)))]
    if routed.kind is not Kind.ANSWER:
        return story_cards(routed, routed.stories[:count])
    assert routed.answer is not None
    return quote_cards(routed.answer, count, svc.settings.retrieval.quote_context_chars)


def quote_cards(answer: Answer, count: int, context_chars: int) -> list[InlineQueryResultArticle]:
    if not answer.answered:
        return [_card("none", NO_ANSWER_HTML, "", no_answer_html(answer.related))]
    header = f"❓ <i>{escape(label(answer.question, CARD_TEXT_CHARS))}</i>"
    budget = MESSAGE_BUDGET - visible_len(header) - 1
    cards = []
    for index, quote in enumerate((*answer.quotes, *answer.more)[:count]):
        message = f"{header}\n{render_quote_html(quote, budget, context_chars)}"
        facts = [label(quote.source, CARD_TEXT_CHARS), label(quote.title, CARD_TEXT_CHARS)]
        cards.append(
            _card(
                f"q{index}-{quote.passage_id}",
                label(quote.marked or quote.text, CARD_TITLE_CHARS),
                " · ".join(f for f in facts if f),
                message,
                safe_link(quote.url),
            )
        )
    return cards


def story_cards(routed: Routed, stories: Sequence[Story]) -> list[InlineQueryResultArticle]:
    if not stories:
        return [_card("none", "No stories", "", "I have no stories for this.")]
    return [
        _card(
            f"s{index}-{_digest(story.url or story.title)}",
            label(story.title, CARD_TITLE_CHARS) or "untitled",
            " · ".join(story_facts(story, routed.now)),
            story_line_html(story, routed.now),
            safe_link(story.url),
        )
        for index, story in enumerate(stories)
    ]


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _card(
    result_id: str, title: str, description: str, message_html: str, url: str | None = None
) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=result_id,
        title=title or "…",
        description=description or None,
        url=url,
        input_message_content=InputTextMessageContent(
            message_html,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
    )
