"""The fake Bot API server, exercised through the real python-telegram-bot stack.

Every test talks HTTP to ``FakeBotApi`` with an unmodified ``telegram.Bot`` or
``telegram.ext.Application`` (long polling included); nothing in PTB is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from newsbot_testing.fake_bot_api import FakeBotApi

TOKEN = "123:ABC"  # FakeBotApi's own, as the fixtures (conftest.py) start it
USER_CHAT = 4242
GROUP_CHAT = -1001234567890


def build_app(api: FakeBotApi) -> Application:
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    """Run a real Application with long polling against the fake, then stop it cleanly."""
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


# --------------------------------------------------------------------------- HTML and text


async def test_valid_html_round_trips_with_utf16_entities(api: FakeBotApi, bot: Bot) -> None:
    html = (
        "😀 <b>Bold</b> <i>it</i> <u>un</u> <s>st</s> <tg-spoiler>sp</tg-spoiler> "
        '<a href="https://example.com/a?x=1&amp;y=2">link</a> <code>c</code>\n'
        '<pre><code class="language-python">x = 1</code></pre>\n'
        "<blockquote>quote &lt;3 &amp; &quot;q&quot; &#65;&#x42;</blockquote>"
    )
    message = await bot.send_message(USER_CHAT, html, parse_mode="HTML")

    assert message.text == ('😀 Bold it un st sp link c\nx = 1\nquote <3 & "q" AB')
    by_type = {entity.type: text for entity, text in message.parse_entities().items()}
    assert by_type == {
        MessageEntity.BOLD: "Bold",
        MessageEntity.ITALIC: "it",
        MessageEntity.UNDERLINE: "un",
        MessageEntity.STRIKETHROUGH: "st",
        MessageEntity.SPOILER: "sp",
        MessageEntity.TEXT_LINK: "link",
        MessageEntity.CODE: "c",
        MessageEntity.PRE: "x = 1",
        MessageEntity.BLOCKQUOTE: 'quote <3 & "q" AB',
    }
    bold = message.entities[0]
    assert (bold.type, bold.offset, bold.length) == ("bold", 3, 4)  # 😀 is 2 UTF-16 units
    link = next(e for e in message.entities if e.type == MessageEntity.TEXT_LINK)
    assert link.url == "https://example.com/a?x=1&y=2"
    pre = next(e for e in message.entities if e.type == MessageEntity.PRE)
    assert pre.language == "python"
    assert message.from_user.id == 123 and message.from_user.is_bot
    assert message.chat.type == "private"

    record = api.sent[-1]
    assert record.raw_text == html and record.text == message.text
    assert ("bold", "Bold") in record.entity_texts()


async def test_message_ids_increase_per_chat_and_chat_type_is_inferred(bot: Bot) -> None:
    first = await bot.send_message(USER_CHAT, "one")
    second = await bot.send_message(USER_CHAT, "two")
    group = await bot.send_message(GROUP_CHAT, "hello group")
    assert second.message_id == first.message_id + 1
    assert group.message_id == 1
    assert group.chat.type == "supergroup"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<script>alert(1)</script>", 'unsupported start tag "script" at byte offset 0'),
        ("<b>unclosed", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "unmatched end tag at byte offset 4"),
        ("a&nbsp;b", 'unsupported html entity "&nbsp;"'),
        ("AT&T shares", 'unescaped "&"'),
        ("1 < 2", "unsupported start tag"),
        ('<span class="x">y</span>', 'tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_invalid_html_is_rejected(api: FakeBotApi, bot: Bot, html: str, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(USER_CHAT, html, parse_mode="HTML")
    assert "can't parse entities" in str(caught.value).lower()
    assert reason in str(caught.value).lower()
    assert api.sent == []
    assert api.requests[-1].status == 400


async def test_plain_text_is_not_parsed(bot: Bot) -> None:
    message = await bot.send_message(USER_CHAT, "AT&T <b> &nbsp;")
    assert message.text == "AT&T <b> &nbsp;" and message.entities == ()


async def test_length_limit_counts_utf16_after_parsing(api: FakeBotApi, bot: Bot) -> None:
    assert (await bot.send_message(USER_CHAT, "x" * 4096)).text == "x" * 4096
    tagged = await bot.send_message(USER_CHAT, f"<b>{'x' * 4096}</b>", parse_mode="HTML")
    assert len(tagged.text) == 4096
    await bot.send_message(USER_CHAT, "😀" * 2048)  # 4096 UTF-16 code units

    for too_long in ("x" * 4097, "😀" * 2049):
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await bot.send_message(USER_CHAT, too_long)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(USER_CHAT, "<b> </b>", parse_mode="HTML")
    assert len(api.sent) == 3


async def test_raw_http_error_bodies_match_telegram(api: FakeBotApi) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{api.base_url}{TOKEN}/sendMessage"
        form = {"chat_id": str(USER_CHAT), "text": "<b>x", "parse_mode": "HTML"}
        async with session.post(url, data=form) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: can't parse entities: "
                'Can\'t find end tag corresponding to start tag "b"',
            }
        payload = {"chat_id": USER_CHAT, "text": "<i>json</i>", "parse_mode": "HTML"}
        async with session.post(url, json=payload) as response:
            body = await response.json()
            assert body["ok"] and body["result"]["entities"][0]["type"] == "italic"
        async with session.post(f"{api.base_url}999:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with session.get(f"{api.base_url}{TOKEN}/sendTelepathy") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"


async def test_wrong_token_and_unknown_method_through_ptb(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(InvalidToken):  # Bot.initialize() calls getMe
        async with Bot("999:WRONG", base_url=api.base_url):
            pass
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER_CHAT})


# --------------------------------------------------------------------------- keyboards, edits


async def test_reply_markup_is_echoed_and_validated(bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more:1")]])
    message = await bot.send_message(USER_CHAT, "pick", reply_markup=keyboard)
    assert message.reply_markup == keyboard

    too_long_data = InlineKeyboardButton("x", callback_data="é" * 33)  # 66 bytes
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(USER_CHAT, "x", reply_markup=InlineKeyboardMarkup([[too_long_data]]))

    rows = [[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(101)]
    with pytest.raises(BadRequest, match="(?i)too long"):
        await bot.send_message(USER_CHAT, "x", reply_markup=InlineKeyboardMarkup(rows))


async def test_edit_message_text(api: FakeBotApi, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    sent = await bot.send_message(USER_CHAT, "<b>v1</b>", parse_mode="HTML", reply_markup=keyboard)

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>v1</b>", USER_CHAT, sent.message_id, parse_mode="HTML", reply_markup=keyboard
        )

    edited = await bot.edit_message_text(
        "<i>v2</i>", USER_CHAT, sent.message_id, parse_mode="HTML", reply_markup=keyboard
    )
    assert edited.text == "v2" and edited.entities[0].type == "italic"
    assert edited.edit_date is not None and edited.message_id == sent.message_id

    # Like Telegram, an edit without reply_markup drops the inline keyboard.
    stripped = await bot.edit_message_text("v3", USER_CHAT, sent.message_id)
    assert stripped.reply_markup is None
    assert api.message(USER_CHAT, sent.message_id)["text"] == "v3"

    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("v4", USER_CHAT, 999)
    assert [r.method for r in api.messages_to(USER_CHAT, include_edits=True)] == [
        "sendMessage",
        "editMessageText",
        "editMessageText",
    ]


# --------------------------------------------------------------------------- faults


async def test_injected_429_raises_retry_after(api: FakeBotApi, bot: Bot) -> None:
    api.fail_next("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER_CHAT, "flood")
    assert seconds(caught.value.retry_after) == 7
    await bot.send_message(USER_CHAT, "after the wait")  # one failure only
    assert [r.status for r in api.requests if r.method == "sendMessage"] == [429, 200]


async def test_injected_network_failure_raises_network_error(api: FakeBotApi, bot: Bot) -> None:
    api.fail_next("sendMessage", "network", count=2)
    for _ in range(2):
        with pytest.raises(NetworkError):  # TimedOut is a NetworkError too
            await bot.send_message(USER_CHAT, "lost")
    assert (await bot.send_message(USER_CHAT, "back")).text == "back"
    assert [r.text for r in api.sent] == ["back"]


async def test_injected_server_errors(api: FakeBotApi, bot: Bot) -> None:
    api.fail_next("sendMessage", "500")
    api.fail_next("sendMessage", "403")
    with pytest.raises(NetworkError):
        await bot.send_message(USER_CHAT, "x")
    with pytest.raises(Forbidden):
        await bot.send_message(USER_CHAT, "x")


async def test_faults_after_some_calls_matching_rules_and_lost_answers(
    api: FakeBotApi, bot: Bot
) -> None:
    api.fail_next("sendMessage", "network", after=1)
    await bot.send_message(USER_CHAT, "first")
    with pytest.raises(NetworkError):
        await bot.send_message(USER_CHAT, "second")
    api.fail_matching("sendMessage", "400", lambda params: "REFUSE" in params.get("text", ""))
    with pytest.raises(BadRequest):
        await bot.send_message(USER_CHAT, "REFUSE me")
    api.fail_next("sendMessage", "lost-answer")
    with pytest.raises(NetworkError):
        await bot.send_message(USER_CHAT, "arrived unanswered")
    api.clear_faults()
    await bot.send_message(USER_CHAT, "REFUSE no more")
    assert [r.text for r in api.sent] == ["first", "arrived unanswered", "REFUSE no more"]


async def test_random_faults_are_seeded(api: FakeBotApi, bot: Bot) -> None:
    api.fail_at_random("sendMessage", {"500": 0.5}, seed=3)
    outcomes = []
    for n in range(20):
        try:
            await bot.send_message(USER_CHAT, f"m{n}")
            outcomes.append(True)
        except NetworkError:
            outcomes.append(False)
    assert 0 < outcomes.count(False) < 20


async def test_blocked_chats_are_forbidden(api: FakeBotApi, bot: Bot) -> None:
    api.block_chat(USER_CHAT)
    api.block_chat(GROUP_CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER_CHAT, "hello?")
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP_CHAT, "hello?")
    api.unblock_chat(USER_CHAT)
    await bot.send_message(USER_CHAT, "hello again")


# --------------------------------------------------------------------------- polling


async def test_get_updates_long_polls_without_busy_waiting(api: FakeBotApi, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == ()
    assert loop.time() - started >= 0.9  # waited for the full timeout

    loop.call_later(0.2, api.user_message, USER_CHAT, "wake up")
    started = loop.time()
    (update,) = await bot.get_updates(timeout=5)
    assert loop.time() - started < 2  # woken by the update, not by the timeout
    assert update.message.text == "wake up"

    second = api.user_message(USER_CHAT, "second")
    # Unconfirmed updates are delivered again; an offset confirms them.
    assert [u.update_id for u in await bot.get_updates()] == [
        update.update_id,
        second["update_id"],
    ]
    assert [u.update_id for u in await bot.get_updates(offset=second["update_id"])] == [
        second["update_id"]
    ]
    api.channel_post(-1009, "not wanted")
    api.user_message(USER_CHAT, "wanted")
    updates = await bot.get_updates(offset=second["update_id"] + 1, allowed_updates=["message"])
    assert [u.message.text for u in updates] == ["wanted"]


async def test_injected_updates_deserialise_in_ptb(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(GROUP_CHAT, "Headlines")
    api.group_message(GROUP_CHAT, "/news@fake_news_bot ping @fake_news_bot", reply_to_bot=True)
    api.feed_update({"message": {**api.user_message(USER_CHAT, "x")["message"], "text": "raw"}})

    group, private, raw = await bot.get_updates()
    entities = group.message.parse_entities()
    assert list(entities.values()) == ["/news@fake_news_bot", "@fake_news_bot"]
    assert [e.type for e in entities] == ["bot_command", "mention"]
    assert group.message.reply_to_message.message_id == sent.message_id
    assert group.message.chat.title and group.effective_user.id != bot.id
    assert private.message.chat.type == "private" and raw.message.text == "raw"
    assert group.update_id < private.update_id < raw.update_id


async def test_get_updates_conflicts_with_webhook(bot: Bot) -> None:
    await bot.set_webhook("https://example.com/hook")
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_start_command_reaches_a_real_application(api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_html(f"Hi <b>{update.effective_user.first_name}</b>!")

    app = build_app(api)
    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        update = api.user_message(USER_CHAT, "/start", first_name="Ann")
        reply = await api.wait_for(lambda r: r.chat_id == USER_CHAT)

    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert reply.text == "Hi Ann!" and reply.entity_texts() == [("bold", "Ann")]
    polls = [r for r in api.requests if r.method == "getUpdates"]
    assert polls and polls[0].params["timeout"] == 1


async def test_group_command_with_username_in_a_forum_topic(api: FakeBotApi) -> None:
    async def news(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("latest news")

    app = build_app(api)
    app.add_handler(CommandHandler("news", news))
    async with polling(app):
        api.group_message(GROUP_CHAT, "/news@fake_news_bot", message_thread_id=7)
        reply = await api.wait_for(lambda r: r.chat_id == GROUP_CHAT)

    assert reply.message_thread_id == 7
    stored = api.message(GROUP_CHAT, reply.message_id)
    assert stored["is_topic_message"] is True and stored["chat"]["type"] == "supergroup"


async def test_callback_query_reaches_a_real_application(api: FakeBotApi) -> None:
    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Loading…")
        await update.callback_query.edit_message_text(f"You chose {update.callback_query.data}")

    app = build_app(api)
    app.add_handler(CallbackQueryHandler(on_button))
    async with polling(app):
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Sport", callback_data="topic:sport")]]
        )
        sent = await app.bot.send_message(USER_CHAT, "Pick a topic", reply_markup=keyboard)
        update = api.callback_query(USER_CHAT, sent.message_id, "topic:sport")
        edit = await api.wait_for(lambda r: r.method == "editMessageText")

    assert update["callback_query"]["message"]["reply_markup"] == keyboard.to_dict()
    assert edit.text == "You chose topic:sport" and edit.message_id == sent.message_id
    assert [a.text for a in api.callback_answers] == ["Loading…"]


async def test_channel_post_reaches_a_real_application(api: FakeBotApi) -> None:
    channel = -1005550001
    seen: list[str] = []

    async def on_post(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.channel_post.text)
        await context.bot.send_message(update.effective_chat.id, "noted")

    app = build_app(api)
    app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POST, on_post))
    async with polling(app):
        api.channel_post(channel, "Breaking: tests pass", title="News")
        reply = await api.wait_for(lambda r: r.chat_id == channel)

    assert seen == ["Breaking: tests pass"] and reply.text == "noted"


# --------------------------------------------------------------------------- other methods


async def test_chat_methods_commands_and_actions(api: FakeBotApi, bot: Bot) -> None:
    await bot.send_chat_action(USER_CHAT, "typing")
    assert [(a.chat_id, a.action) for a in api.chat_actions] == [(USER_CHAT, "typing")]

    member = await bot.get_chat_member(GROUP_CHAT, bot.id)
    assert member.status == "administrator"
    admins = await bot.get_chat_administrators(GROUP_CHAT)
    assert {a.status for a in admins} == {"creator", "administrator"}
    assert (await bot.get_chat(GROUP_CHAT)).type == "supergroup"

    api.add_chat(-1007, "channel", title="Wire", username="wire_news")
    assert (await bot.get_chat("@wire_news")).title == "Wire"

    await bot.set_my_commands([("start", "Start"), ("news", "Latest news")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "news"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
