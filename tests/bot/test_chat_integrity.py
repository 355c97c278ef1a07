"""Nothing goes to the wrong chat (issue 19), through the real bot over the strict fake Bot
API: a removed topic's id never carries alerts, labels or votes to another chat; a channel's
readers (and a group's members) change nothing of its alerts, while its admins do, asked of
Telegram once a minute; a group upgraded to a supergroup keeps its topics, votes and alerts
under the new id, by the "chat migrated" answer or by Telegram's service message."""

from __future__ import annotations

import asyncio

from bot.handlers import ADMINS_ONLY
from bot.handlers.alert_votes import NOT_ALLOWED, UNFOLLOWED
from newsbot_testing.fake_bot_api import OWNER_USER_ID, FakeBotApi
from newsbot_testing.harness import SLOW, USER_ID, alerts_to, bot_settings, press, sent_to, until

SECOND_USER, THIRD_USER = 5151, 5252
CHANNEL, READER, CHANNEL_ADMIN = -1009002, 6262, 6363
GROUP, SUPERGROUP = -4711, -1004711


async def command(api: FakeBotApi, chat_id: int, text: str, *, channel: bool = False) -> str:
    since = len(api.sent)
    if channel:
        api.channel_post(chat_id, text)
    elif chat_id < 0:
        api.group_message(chat_id, text, user_id=OWNER_USER_ID, chat_type="group")
    else:
        api.user_message(chat_id, text)
    return (await api.wait_for(sent_to(chat_id), since=since, timeout=SLOW)).text


async def test_a_removed_topics_id_never_carries_alerts_or_votes_to_another_chat(
    api, launch, tmp_path, seed, bbc
):
    bot = await launch(bot_settings(tmp_path / "data", api))
    await command(api, USER_ID, "/subscribe tsunami")
    await command(api, SECOND_USER, "/subscribe ceasefire talks")
    await bot.ingest([seed])  # matching reads (and caches) the subscriptions
    await until(lambda: len(alerts_to(api, SECOND_USER)) == 1)
    old_alert = alerts_to(api, SECOND_USER)[0]

    # The second chat drops its topic (the newest subscription); a third chat subscribes.
    assert (await command(api, SECOND_USER, "/unsubscribe ceasefire talks")).startswith(
        "Unsubscribed"
    )
    assert (await command(api, THIRD_USER, "/subscribe hurdler")).startswith("✅ Subscribed")

    # A 👎 on the old alert teaches nobody: the chat no longer follows that topic.
    down = old_alert.buttons[1]["callback_data"]
    assert await press(api, old_alert, down, SECOND_USER) == UNFOLLOWED
    assert bot.query("SELECT COUNT(*) AS n FROM alert_votes") == [{"n": 0}]

    # A story about hurdles goes to the third chat, under its own topic, and nowhere else.
    since = len(api.sent)
    await bot.ingest([bbc["bbc-sport-001"]])
    await until(lambda: len(alerts_to(api, THIRD_USER, since)) == 1)
    await bot.run_job("alert_sweep")
    await asyncio.sleep(0.3)
    assert "hurdler" in alerts_to(api, THIRD_USER, since)[0].text
    assert alerts_to(api, SECOND_USER, since) == []
    assert alerts_to(api, USER_ID) == []
    ids = [row["id"] for row in bot.query("SELECT id FROM subscriptions ORDER BY id")]
    assert ids == [1, 3]  # id 2 is never given again


async def test_channel_readers_cannot_unsubscribe_the_channel_or_vote_its_alerts(
    api, launch, tmp_path, seed
):
    bot = await launch(bot_settings(tmp_path / "data", api))
    api.set_member(CHANNEL, CHANNEL_ADMIN, "administrator")
    assert (await command(api, CHANNEL, "/subscribe ceasefire talks", channel=True)).startswith(
        "✅ Subscribed"
    )
    await bot.ingest([seed])
    await until(lambda: len(alerts_to(api, CHANNEL)) == 1)
    alert = alerts_to(api, CHANNEL)[0]
    menu_text = await command(api, CHANNEL, "/unsubscribe", channel=True)
    assert menu_text == "Which topic should I stop?"
    menu = next(r for r in reversed(api.sent) if r.chat_id == CHANNEL and r.buttons)
    everything = menu.buttons[-1]["callback_data"]
    asked = sum(r.method == "getChatMember" for r in api.requests)

    # A reader presses "All of them", then 👎, then again: nothing changes.
    assert await press(api, menu, everything, READER) == ADMINS_ONLY
    assert await press(api, alert, alert.buttons[1]["callback_data"], READER) == NOT_ALLOWED
    assert await press(api, menu, everything, READER) == ADMINS_ONLY
    assert [r["topic"] for r in bot.query("SELECT topic FROM subscriptions")] == ["ceasefire talks"]
    assert bot.query("SELECT COUNT(*) AS n FROM alert_votes") == [{"n": 0}]
    # Telegram was asked once about the reader: the answer is kept for a minute.
    assert sum(r.method == "getChatMember" for r in api.requests) == asked + 1

    # The channel's admin may.
    answer = await press(api, alert, alert.buttons[1]["callback_data"], CHANNEL_ADMIN)
    assert answer == "👎 Thanks! I'll send fewer like this."
    since = len(api.sent)
    api.callback_query(CHANNEL, menu.message_id, everything, user_id=CHANNEL_ADMIN)
    edited = await api.wait_for(sent_to(CHANNEL, "editMessageText"), since=since, timeout=SLOW)
    assert edited.text == "Unsubscribed from “ceasefire talks”."
    assert bot.query("SELECT COUNT(*) AS n FROM subscriptions") == [{"n": 0}]


async def test_a_group_upgraded_to_a_supergroup_gets_its_alerts_there(
    api, launch, tmp_path, seed, caplog
):
    bot = await launch(bot_settings(tmp_path / "data", api))
    assert (await command(api, GROUP, "/subscribe ceasefire talks")).startswith("✅ Subscribed")
    api.migrate_chat(GROUP, SUPERGROUP)  # Telegram answers "migrated" to the old id from now on

    await bot.ingest([seed])
    await until(lambda: len(alerts_to(api, SUPERGROUP)) == 1)
    assert "ceasefire talks" in alerts_to(api, SUPERGROUP)[0].text
    rows = bot.query("SELECT chat_id, status, attempts FROM deliveries")
    assert rows == [{"chat_id": SUPERGROUP, "status": "sent", "attempts": 1}]
    assert [r["chat_id"] for r in bot.query("SELECT chat_id FROM subscriptions")] == [SUPERGROUP]
    assert "will be retried" not in caplog.text

    # Its topics are the supergroup's now: its admin sees and changes them there.
    since = len(api.sent)
    api.group_message(SUPERGROUP, "/subscriptions", user_id=OWNER_USER_ID)
    listed = await api.wait_for(sent_to(SUPERGROUP), since=since, timeout=SLOW)
    assert "ceasefire talks" in listed.text


async def test_the_upgrade_service_message_moves_the_groups_topics_before_any_alert(
    api, launch, tmp_path, seed
):
    bot = await launch(bot_settings(tmp_path / "data", api))
    assert (await command(api, GROUP, "/subscribe ceasefire talks")).startswith("✅ Subscribed")
    api.upgrade_to_supergroup(GROUP, SUPERGROUP)
    await until(lambda: bot.query("SELECT chat_id FROM subscriptions") == [{"chat_id": SUPERGROUP}])
    before = len(api.requests)
    await bot.ingest([seed])
    await until(lambda: len(alerts_to(api, SUPERGROUP)) == 1)
    # Straight to the new id: the old one was never tried.
    assert not any(r.params.get("chat_id") == GROUP for r in api.requests[before:])
