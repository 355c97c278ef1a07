"""Inline mode through the real Application: "@bot question" in any chat gets quote cards
(the answering sentence as the card's title; the message it sends opens with the question,
then the quote with its sentence in bold and its source line, linked), an empty query the
latest stories, a day its main stories; answers are cached per question and uncached
questions are limited per user. The fake refuses answers past Telegram's limits
(newsbot_testing/fake_bot_api/inline.py)."""

from __future__ import annotations

from newsbot_testing.harness import SLOW, USER_ID, bot_settings

OTHER_USER = 5151


async def inline(api, text: str, user: int = USER_ID):
    query_id = api.inline_query(user, text, chat_type="supergroup")
    return await api.wait_for_inline(query_id, timeout=SLOW)


async def test_a_question_gets_quote_cards_to_share(api, launch, news_dir):
    await launch(bot_settings(news_dir, api))
    answer = await inline(api, "Who is Luigi Mangione?")

    assert 1 <= len(answer.results) <= 5
    assert answer.cache_time == 300
    for result, (text, entities) in zip(answer.results, answer.messages, strict=True):
        assert len(result["id"].encode()) <= 64
        assert text.startswith("❓ Who is Luigi Mangione?\n")
        bold = [
            text[e["offset"] : e["offset"] + e["length"]] for e in entities if e["type"] == "bold"
        ]
        assert bold and bold[0].startswith(result["title"].rstrip("…").strip()[:40])
        assert "\n— usatoday.com · " in text
        assert any(e["type"] == "text_link" for e in entities)
    assert "Mangione" in answer.results[0]["title"]


async def test_an_empty_query_lists_the_latest_and_a_day_its_main_stories(api, launch, news_dir):
    await launch(bot_settings(news_dir, api))
    latest = await inline(api, "")
    assert latest.results[0]["title"].startswith("What is H5N1 bird flu?")
    assert "usatoday.com · today" in latest.results[0]["description"]

    day = await inline(api, "what happened on 9 December 2024")
    assert day.results[0]["title"].startswith("UnitedHealthcare CEO killing")
    assert "2 outlets" in day.results[0]["description"]


async def test_answers_are_cached_per_question_and_limited_per_user(api, launch, news_dir):
    bot = await launch(
        bot_settings(news_dir, api, telegram__questions_per_minute=0.01, telegram__question_burst=2)
    )
    first = await inline(api, "Who is Luigi Mangione?")
    again = await inline(api, "  who is luigi   Mangione? ")  # from the cache: no token taken
    assert again.results == first.results
    await inline(api, "What is H5N1 bird flu?")  # the second token
    slow = await inline(api, "Where did Taylor Swift end the Eras Tour?")
    assert slow.results == [] and slow.cache_time == 0
    assert slow.button["text"].startswith("Asking too fast")
    other = await inline(api, "Where did Taylor Swift end the Eras Tour?", user=OTHER_USER)
    assert other.results  # another user has their own allowance
    assert bot.services.inline_cache.get("who is luigi mangione?") is not None
