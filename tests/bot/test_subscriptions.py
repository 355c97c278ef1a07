"""Following topics in a chat: /subscribe with usage help, /subscriptions, /unsubscribe by name,
by button or all, /digest on|off, one list per forum topic, and pausing when the bot is removed
from a group."""

from __future__ import annotations

import time

from bot.handlers.chat_settings import DIGEST_USAGE
from newsbot_testing.fake_bot_api import OWNER_USER_ID  # a group's creator may change its topics
from newsbot_testing.harness import SLOW, USER_ID, bot_settings, sent_to, until

TOPIC = "ceasefire talks +ukraine -football"


async def reply_to(api, chat_id: int, text: str, thread: int | None = None) -> str:
    since = len(api.sent)
    if chat_id < 0:
        api.group_message(chat_id, text, user_id=OWNER_USER_ID, message_thread_id=thread)
    else:
        api.user_message(chat_id, text)
    return (await api.wait_for(sent_to(chat_id), since=since, timeout=SLOW)).text


async def test_subscribe_list_and_unsubscribe(api, launch, tmp_path):
    await launch(bot_settings(tmp_path / "data", api))

    usage = await reply_to(api, USER_ID, "/subscribe")
    assert usage.startswith("Please name a topic, e.g. ceasefire talks.\nUsage: /subscribe <topic>")
    assert await reply_to(api, USER_ID, f"/subscribe {TOPIC}") == (
        f"✅ Subscribed to “{TOPIC}” (must mention: ukraine; never: football)."
        " I will post each new article about it here.\n\n"
        "I have no stories from the last 7 days to try this topic on, so I can't tell yet how"
        " often it will match."
    )
    assert (await reply_to(api, USER_ID, f"/subscribe {TOPIC}")).startswith(
        "This chat already follows"
    )
    await reply_to(api, USER_ID, "/subscribe oil prices")
    assert await reply_to(api, USER_ID, "/subscriptions") == (
        "This chat follows:\n"
        f"• “{TOPIC}” (must mention: ukraine; never: football)\n"
        "• “oil prices”\n\n"
        "Each new article comes as its own message (/digest on for a digest)."
    )

    since = len(api.sent)
    assert await reply_to(api, USER_ID, "/unsubscribe") == "Which topic should I stop?"
    menu = api.sent[since]
    assert [b["text"] for b in menu.buttons] == [TOPIC, "oil prices", "All of them"]
    api.callback_query(USER_ID, menu.message_id, menu.buttons[1]["callback_data"])
    edited = await api.wait_for(sent_to(USER_ID, "editMessageText"), timeout=SLOW)
    assert edited.text == "Unsubscribed from “oil prices”."

    assert await reply_to(api, USER_ID, "/unsubscribe nonsense") == (
        f"This chat does not follow “nonsense”. It follows “{TOPIC}”."
    )
    assert await reply_to(api, USER_ID, "/unsubscribe all") == f"Unsubscribed from “{TOPIC}”."
    assert (await reply_to(api, USER_ID, "/subscriptions")).startswith(
        "This chat follows no topics yet."
    )


async def test_digest_on_and_off(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    assert await reply_to(api, USER_ID, "/digest") == DIGEST_USAGE
    assert await reply_to(api, USER_ID, "/digest on") == (
        "Digest on: new articles on your topics will come together, every 6 h."
    )
    await reply_to(api, USER_ID, "/subscribe oil prices")
    assert "one digest every 6 h" in await reply_to(api, USER_ID, "/subscriptions")
    assert await reply_to(api, USER_ID, "/digest off") == (
        "Digest off: each new article will come as its own message."
    )
    assert bot.query("SELECT digest FROM chats") == [{"digest": 0}]


async def test_each_forum_topic_has_its_own_subscriptions(api, launch, tmp_path):
    forum = -1004321
    await launch(bot_settings(tmp_path / "data", api))
    await reply_to(api, forum, "/subscribe oil prices", thread=11)
    await reply_to(api, forum, "/subscribe ceasefire talks", thread=12)

    listing = await reply_to(api, forum, "/subscriptions", thread=11)
    assert "oil prices" in listing and "ceasefire" not in listing
    assert api.sent[-1].message_thread_id == 11


async def test_removing_the_bot_from_a_group_pauses_its_alerts(api, launch, tmp_path):
    group = -1008765
    bot = await launch(bot_settings(tmp_path / "data", api))
    await reply_to(api, group, "/subscribe oil prices")
    member = {"user": api.bot_user, "status": "member"}
    api.feed_update(
        {
            "my_chat_member": {
                "chat": {"id": group, "type": "supergroup", "title": "Group"},
                "from": {"id": 1000, "is_bot": False, "first_name": "Owner"},
                "date": int(time.time()),
                "old_chat_member": member,
                "new_chat_member": {**member, "status": "kicked", "until_date": 0},
            }
        }
    )
    await until(
        lambda: bot.query("SELECT paused FROM chats WHERE chat_id = ?", [group]) == [{"paused": 1}]
    )
