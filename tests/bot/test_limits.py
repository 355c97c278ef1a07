"""What one user can make the bot spend, through the real bot over the fake Bot API: a
/subscribe (a preview of seconds of CPU) counts against the asker's allowance like a
question; the question allowance holds per user across chats, not per (chat, user); button
presses have an allowance per user; one user's subscriptions are capped across chats and
forum topics; and a second tap on "More sources" is done, not an error."""

from __future__ import annotations

import asyncio

from bot.app import BUTTONS_SLOW_DOWN
from bot.handlers import SLOW_DOWN
from newsbot_testing.fake_bot_api import OWNER_USER_ID, FakeBotApi
from newsbot_testing.harness import NO_QUOTE_BARS, SLOW, USER_ID, bot_settings, sent_to, until

QUESTION = "Who does Zelensky want to meet face to face?"


async def replies_to(api: FakeBotApi, chat_id: int, count: int, since: int) -> list[str]:
    await until(lambda: len([r for r in api.sent[since:] if r.chat_id == chat_id]) >= count)
    return [r.text for r in api.sent[since:] if r.chat_id == chat_id]


async def test_subscribe_counts_against_the_askers_allowance(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))  # a burst of 3
    since = len(api.sent)
    for topic in ("tsunami", "oil prices", "ceasefire talks", "football", "cricket"):
        api.user_message(USER_ID, f"/subscribe {topic}")
    texts = await replies_to(api, USER_ID, 4, since)
    await asyncio.sleep(0.5)  # the fifth is ignored, not answered late
    texts = [r.text for r in api.sent[since:] if r.chat_id == USER_ID]
    assert sum(t.startswith("✅ Subscribed") for t in texts) == 3
    assert texts.count(SLOW_DOWN) == 1 and len(texts) == 4
    assert bot.query("SELECT COUNT(*) AS n FROM subscriptions") == [{"n": 3}]


async def test_one_user_in_many_groups_gets_one_allowance(api, launch, seed_dir):
    await launch(bot_settings(seed_dir, api))  # a burst of 3 questions
    since = len(api.sent)
    groups = [-2001, -2002, -2003, -2004, -2005]
    for group in groups:
        api.group_message(group, f"/ask {QUESTION}")  # the same member in every group
    await until(lambda: len([r for r in api.sent[since:] if r.chat_id in groups]) >= 4)
    await asyncio.sleep(0.5)
    texts = [r.text for r in api.sent[since:] if r.chat_id in groups]
    assert texts.count(SLOW_DOWN) == 1 and len(texts) == 4


async def test_button_presses_have_an_allowance_per_user(api, launch, seed_dir):
    bot = await launch(
        bot_settings(seed_dir, api, telegram__button_burst=2, telegram__buttons_per_minute=1.0)
    )
    api.user_message(USER_ID, QUESTION)
    answer = await api.wait_for(sent_to(USER_ID), timeout=SLOW)
    thumbs_up = next(b for b in answer.buttons if b["text"] == "👍")["callback_data"]
    for _ in range(4):
        api.callback_query(USER_ID, answer.message_id, thumbs_up)
    await until(lambda: len(api.callback_answers) == 4)
    # Handled concurrently: the answers come in any order. Past the allowance a press is
    # answered (the spinner stops), with "slow down" said once.
    assert sorted(str(a.text) for a in api.callback_answers) == sorted(
        ["Thanks for the feedback!", "You already rated this answer.", BUTTONS_SLOW_DOWN, "None"]
    )
    assert bot.query("SELECT COUNT(*) AS n FROM feedback") == [{"n": 1}]


async def test_one_users_subscriptions_are_capped_across_chats_and_forum_topics(
    api, launch, tmp_path
):
    bot = await launch(
        bot_settings(
            tmp_path / "data",
            api,
            alerts__max_subscriptions_per_user=3,
            telegram__question_burst=10,
        )
    )
    places = [(-3001, None), (-3001, 7), (-3002, None), (-3003, None)]
    texts = []
    for chat, thread in places:
        since = len(api.sent)
        api.group_message(
            chat, "/subscribe tsunami", user_id=OWNER_USER_ID, message_thread_id=thread
        )
        texts.append((await api.wait_for(sent_to(chat), since=since, timeout=SLOW)).text)
    assert [t.startswith("✅ Subscribed") for t in texts] == [True, True, True, False]
    assert texts[-1].startswith("You already made 3 subscriptions across your chats")
    assert bot.query("SELECT COUNT(*) AS n FROM subscriptions") == [{"n": 3}]


async def test_a_second_tap_on_more_sources_is_done_not_an_error(api, launch, indexed_dir):
    await launch(bot_settings(indexed_dir, api, **NO_QUOTE_BARS))
    api.user_message(USER_ID, QUESTION)
    answer = await api.wait_for(sent_to(USER_ID), timeout=SLOW)
    more = next(b for b in answer.buttons if b["text"].startswith("More sources"))
    api.callback_query(USER_ID, answer.message_id, more["callback_data"])
    await api.wait_for(sent_to(USER_ID, "editMessageText"), timeout=SLOW)
    # A second tap (a slow client, an impatient reader) before the new buttons show.
    since = len(api.requests)
    api.callback_query(USER_ID, answer.message_id, more["callback_data"])
    refused = await api.wait_for_request(
        lambda r: r.method == "editMessageText" and r.status == 400, since=since, timeout=SLOW
    )
    assert "not modified" in refused.description
    await asyncio.sleep(0.5)
    assert [r.text for r in api.sent if r.method == "sendMessage"] == [answer.text]
    assert [a.text for a in api.callback_answers] == [None, None]
