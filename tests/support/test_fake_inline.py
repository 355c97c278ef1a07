"""The fake Bot API's inline mode, through an unmodified telegram.Bot: answerInlineQuery
holds Telegram's limits (50 results, result ids of 1-64 bytes and unique, message text of at
most 4,096 characters after parsing, valid HTML), so a bot that breaks them fails its tests."""

from __future__ import annotations

import pytest
from telegram import InlineQueryResultArticle, InputTextMessageContent
from telegram.error import BadRequest

from newsbot_testing.fake_bot_api import MAX_INLINE_RESULTS

USER = 4242


def card(result_id: str, text: str = "<b>Quote</b>\n— Outlet") -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        result_id, "Title", InputTextMessageContent(text, parse_mode="HTML")
    )


async def test_an_inline_query_reaches_the_bot_and_its_answer_is_kept(api, bot) -> None:
    query_id = api.inline_query(USER, "who won?")
    (update,) = await bot.get_updates()
    assert update.inline_query.query == "who won?" and update.inline_query.id == query_id
    assert await bot.answer_inline_query(query_id, [card("a"), card("b")], cache_time=60)
    answer = await api.wait_for_inline(query_id)
    assert answer.ids == ["a", "b"] and answer.cache_time == 60
    assert answer.messages[0] == ("Quote\n— Outlet", [{"type": "bold", "offset": 0, "length": 5}])
    assert (await bot.get_me()).supports_inline_queries


@pytest.mark.parametrize(
    ("results", "reason"),
    [
        ([card(str(n)) for n in range(MAX_INLINE_RESULTS + 1)], "RESULTS_TOO_MUCH"),
        ([card("x" * 65)], "RESULT_ID_INVALID"),
        ([card("é" * 33)], "RESULT_ID_INVALID"),  # 66 bytes in 33 characters
        ([card("a"), card("a")], "RESULT_ID_DUPLICATE"),
        ([card("a", "x" * 4097)], "message is too long"),
        ([card("a", "<b>unclosed")], "can't parse entities"),
        ([card("a", "Tom &Jerry")], "can't parse entities"),
    ],
)
async def test_answers_past_telegrams_limits_are_refused(api, bot, results, reason) -> None:
    query_id = api.inline_query(USER, "q")
    with pytest.raises(BadRequest, match=f"(?i){reason}"):
        await bot.answer_inline_query(query_id, results)
    assert api.inline_answers == []


async def test_the_limits_themselves_are_accepted(api, bot) -> None:
    query_id = api.inline_query(USER, "q")
    results = [card(f"{n:064d}", "x" * 4096) for n in range(MAX_INLINE_RESULTS)]
    assert await bot.answer_inline_query(query_id, results)


async def test_a_query_is_answered_once(api, bot) -> None:
    query_id = api.inline_query(USER, "q")
    await bot.answer_inline_query(query_id, [card("a")])
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_inline_query(query_id, [card("a")])
