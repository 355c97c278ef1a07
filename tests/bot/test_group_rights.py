"""In groups only administrators change what the group receives (/subscribe, /unsubscribe and
its buttons, /digest); members get a polite refusal. Asked of Telegram with getChatMember."""

from __future__ import annotations

from bot.handlers import ADMINS_ONLY
from newsbot_testing.fake_bot_api import DEFAULT_USER_ID, OWNER_USER_ID, FakeBotApi, detect_entities
from newsbot_testing.harness import SLOW, bot_settings, sent_to

GROUP = -100777
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group"}


async def say(api: FakeBotApi, text: str, user_id: int = DEFAULT_USER_ID) -> str:
    since = len(api.sent)
    api.group_message(GROUP, text, user_id=user_id)
    return (await api.wait_for(sent_to(GROUP), since=since, timeout=SLOW)).text


async def say_anonymously(api: FakeBotApi, text: str) -> str:
    """An admin posting as the group itself (Telegram's "remain anonymous")."""
    since = len(api.sent)
    chat = api.add_chat(GROUP, "supergroup")
    message = api.messages.new(
        chat, text, sender=ANONYMOUS_ADMIN, sender_chat=chat, entities=detect_entities(text)
    )
    api.feed_update({"message": message})
    return (await api.wait_for(sent_to(GROUP), since=since, timeout=SLOW)).text


def stored_topics(bot) -> list[str]:
    return [row["topic"] for row in bot.query("SELECT topic FROM subscriptions ORDER BY id")]


async def test_group_members_cannot_unsubscribe_the_groups_topics(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    assert await say(api, "/subscribe oil prices") == ADMINS_ONLY
    assert stored_topics(bot) == []
    assert (await say(api, "/subscribe oil prices", OWNER_USER_ID)).startswith("✅ Subscribed")
    assert (await say_anonymously(api, "/subscribe tsunami")).startswith("✅ Subscribed")

    assert await say(api, "/unsubscribe all") == ADMINS_ONLY
    assert await say(api, "/digest on") == ADMINS_ONLY
    assert (await say(api, "/subscriptions")).startswith("This chat follows:")  # reading is fine
    assert stored_topics(bot) == ["oil prices", "tsunami"]

    # The buttons of an admin's /unsubscribe do not work for a member either.
    since = len(api.sent)
    assert await say(api, "/unsubscribe", OWNER_USER_ID) == "Which topic should I stop?"
    menu = api.sent[since]
    api.callback_query(GROUP, menu.message_id, menu.buttons[-1]["callback_data"])
    await api.wait_for_request(lambda r: r.method == "answerCallbackQuery", timeout=SLOW)
    assert [a.text for a in api.callback_answers] == [ADMINS_ONLY]
    assert stored_topics(bot) == ["oil prices", "tsunami"]
    api.callback_query(GROUP, menu.message_id, menu.buttons[-1]["callback_data"], user_id=1000)
    edited = await api.wait_for(sent_to(GROUP, "editMessageText"), timeout=SLOW)
    assert edited.text == "Unsubscribed from “oil prices”, “tsunami”."
    assert await say(api, "/digest on", OWNER_USER_ID) != ADMINS_ONLY


async def test_a_setting_lets_every_group_member_manage_topics(api, launch, tmp_path):
    bot = await launch(
        bot_settings(tmp_path / "data", api, telegram__group_members_manage_alerts=True)
    )
    assert (await say(api, "/subscribe oil prices")).startswith("✅ Subscribed")
    assert await say(api, "/unsubscribe all") == "Unsubscribed from “oil prices”."
    assert stored_topics(bot) == []
