"""Asking: a plain message or /ask gets quotes that open with the answering sentence in bold,
then the article's link; off-topic questions get the abstention; the buttons under an answer page
through more sources (editing the message) and record 👍/👎 in SQLite."""

from __future__ import annotations

import json
import re

from newsbot_testing.harness import (
    ADMIN_ID,
    NO_QUOTE_BARS,
    SEED_URL,
    SLOW,
    USER_ID,
    bold_texts,
    bot_settings,
    link_urls,
    sent_to,
    until,
)

DEMO_QUESTION = "What condition did Zelensky set?"
MEET_QUESTION = "Who does Zelensky want to meet face to face?"


def quote_blocks(record) -> list[tuple[str, list[tuple[int, str]]]]:
    """Each quote of a reply, the blocks that end in a source line, as (its text before the
    source line, its bold parts as (offset in that text, text)). The texts are BMP here, so
    UTF-16 offsets are str offsets."""
    text = record.text
    bold = [e for e in record.entities if e["type"] == "bold"]
    blocks, start = [], 0
    for match in re.finditer(r"\n— [^\n]*", text):
        body = text[start : match.start()]
        skipped = len(body) - len(body.lstrip())
        parts = [
            (e["offset"] - start - skipped, text[e["offset"] : e["offset"] + e["length"]])
            for e in bold
            if start <= e["offset"] < match.start()
        ]
        blocks.append((body.lstrip(), parts))
        start = match.end()
    return blocks


def assert_quotes_open_in_bold(record) -> None:
    """Every quote opens with its answering sentence in bold (after "… " when the passage
    has text before it, which is not shown)."""
    blocks = quote_blocks(record)
    assert blocks, record.text
    for body, bold in blocks:
        assert bold and bold[0][0] in (0, 2) and body[: bold[0][0]] in ("", "… "), body


async def test_the_demo_question_quotes_full_ceasefire_in_bold_with_the_link(api, launch, seed_dir):
    await launch(bot_settings(seed_dir, api))
    api.user_message(USER_ID, DEMO_QUESTION)
    answer = await api.wait_for(sent_to(USER_ID), timeout=SLOW)

    assert any("full ceasefire" in text for text in bold_texts(answer)), answer.entity_texts()
    assert_quotes_open_in_bold(answer)
    assert SEED_URL in link_urls(answer)
    assert "Example News" in answer.text
    assert any(a.chat_id == USER_ID and a.action == "typing" for a in api.chat_actions)
    assert [b["text"] for b in answer.buttons] == ["👍", "👎"]  # one quote: nothing more


async def test_an_off_topic_question_gets_the_abstention(api, launch, seed_dir):
    await launch(bot_settings(seed_dir, api))
    api.user_message(USER_ID, "What is the boiling point of water at sea level?")
    answer = await api.wait_for(sent_to(USER_ID), timeout=SLOW)

    assert answer.text.startswith("I have no news that answers this.")
    assert answer.buttons == []


async def test_more_sources_edits_the_answer_and_back_restores_it(api, launch, indexed_dir):
    await launch(bot_settings(indexed_dir, api, **NO_QUOTE_BARS))
    api.user_message(USER_ID, MEET_QUESTION)
    answer = await api.wait_for(sent_to(USER_ID), timeout=SLOW)
    assert "Putin" in " ".join(bold_texts(answer))
    more = next(b for b in answer.buttons if b["text"].startswith("More sources"))

    api.callback_query(USER_ID, answer.message_id, more["callback_data"])
    edited = await api.wait_for(sent_to(USER_ID, "editMessageText"), timeout=SLOW)
    assert edited.message_id == answer.message_id
    assert edited.text != answer.text
    assert SEED_URL not in link_urls(edited)  # the next sources come from other articles
    assert_quotes_open_in_bold(edited)
    back = next(b for b in edited.buttons if b["text"].startswith("◂"))

    since = len(api.sent)
    api.callback_query(USER_ID, answer.message_id, back["callback_data"])
    restored = await api.wait_for(sent_to(USER_ID, "editMessageText"), since=since)
    assert restored.text == answer.text


async def test_quotes_show_no_more_context_than_the_setting_allows(api, launch, indexed_dir):
    """retrieval.quote_context_chars = 0: each quote is its bold answer alone, "…" where the
    passage goes on, in the answer and under More sources."""
    await launch(bot_settings(indexed_dir, api, retrieval__quote_context_chars=0, **NO_QUOTE_BARS))
    api.user_message(USER_ID, MEET_QUESTION)
    answer = await api.wait_for(sent_to(USER_ID), timeout=SLOW)
    more = next(b for b in answer.buttons if b["text"].startswith("More sources"))
    api.callback_query(USER_ID, answer.message_id, more["callback_data"])
    edited = await api.wait_for(sent_to(USER_ID, "editMessageText"), timeout=SLOW)

    for record in (answer, edited):
        assert_quotes_open_in_bold(record)
        for body, bold in quote_blocks(record):
            offset, last = bold[-1]
            assert body[offset + len(last) :] in ("", " …"), body


async def test_thumbs_up_and_down_are_stored_once_per_reader(api, launch, indexed_dir):
    bot = await launch(bot_settings(indexed_dir, api))
    api.user_message(USER_ID, MEET_QUESTION)
    answer = await api.wait_for(sent_to(USER_ID), timeout=SLOW)
    up = next(b for b in answer.buttons if b["text"] == "👍")
    down = next(b for b in answer.buttons if b["text"] == "👎")

    api.callback_query(USER_ID, answer.message_id, up["callback_data"])
    await api.wait_for_request(lambda r: r.method == "answerCallbackQuery")
    api.callback_query(USER_ID, answer.message_id, down["callback_data"])
    await api.wait_for_request(lambda r: r.method == "answerCallbackQuery", since=len(api.requests))
    await until(lambda: len(api.callback_answers) == 2)

    assert [a.text for a in api.callback_answers] == [
        "Thanks for the feedback!",
        "You already rated this answer.",
    ]
    rows = list(bot.services.archive.database.connection().query("SELECT * FROM feedback"))
    assert len(rows) == 1
    assert (rows[0]["chat_id"], rows[0]["user_id"], rows[0]["vote"]) == (USER_ID, USER_ID, 1)
    assert rows[0]["question"] == MEET_QUESTION
    assert json.loads(rows[0]["passage_ids"])


async def test_start_and_help_show_three_example_questions_to_tap(api, launch, indexed_dir):
    await launch(bot_settings(indexed_dir, api))
    api.user_message(USER_ID, "/start")
    start = await api.wait_for(sent_to(USER_ID))
    api.user_message(ADMIN_ID, "/help")
    admin_help = await api.wait_for(sent_to(ADMIN_ID))

    examples = [line for line in start.text.splitlines() if line.startswith("• What is the news")]
    assert len(examples) == 3 == len(start.buttons)
    assert "Zelensky Puts Direct Putin Meeting on the Table" in examples[0]
    assert start.buttons[0]["text"].startswith("What is the news about “Zelensky")
    assert start.text.startswith("👋 Hello!")
    assert "/subscribe" in start.text and "Admin" not in start.text
    assert "/reindex" in admin_help.text  # admins also see their commands
    menus = [r for r in api.requests if r.method == "setMyCommands" and r.status == 200]
    assert {c["command"] for c in menus[0].params["commands"]} >= {"ask", "subscribe", "help"}


async def test_usage_lines_for_an_empty_ask_and_an_unknown_command(api, launch, seed_dir):
    await launch(bot_settings(seed_dir, api))
    api.user_message(USER_ID, "/ask")
    usage = await api.wait_for(sent_to(USER_ID))
    api.user_message(USER_ID, "/frobnicate")
    unknown = await api.wait_for(sent_to(USER_ID), since=api.sent.index(usage) + 1)

    assert usage.text.startswith("Usage: /ask <question>")
    assert unknown.text == "I don't know that command. /help lists what I can do."


async def test_groups_answer_ask_mentions_and_replies_but_not_chatter(api, launch, seed_dir):
    group = -1001234
    await launch(bot_settings(seed_dir, api))

    question = api.group_message(group, f"/ask {DEMO_QUESTION}")
    by_command = await api.wait_for(sent_to(group), timeout=SLOW)
    assert any("full ceasefire" in text for text in bold_texts(by_command))
    asked = api.message(group, question["message"]["message_id"])
    assert (
        api.message(group, by_command.message_id)["reply_to_message"]["message_id"]
        == (asked["message_id"])
    )  # the bot quotes the question it answers in a group

    api.group_message(group, "lovely weather today")
    since = len(api.sent)
    api.group_message(group, f"@fake_news_bot {MEET_QUESTION}")
    by_mention = await api.wait_for(sent_to(group), since=since, timeout=SLOW)
    assert "Putin" in " ".join(bold_texts(by_mention))

    since = len(api.sent)
    api.group_message(group, DEMO_QUESTION, reply_to_bot=True)
    by_reply = await api.wait_for(sent_to(group), since=since, timeout=SLOW)
    assert any("full ceasefire" in text for text in bold_texts(by_reply))
    assert len([r for r in api.sent if r.chat_id == group]) == 3  # chatter got no answer


async def test_forum_topics_and_channels_get_answers_in_place(api, launch, seed_dir):
    forum, channel = -1005555, -1007777
    await launch(bot_settings(seed_dir, api))

    api.group_message(forum, f"/ask {DEMO_QUESTION}", message_thread_id=42)
    in_topic = await api.wait_for(sent_to(forum), timeout=SLOW)
    assert in_topic.message_thread_id == 42
    assert any(a.chat_id == forum and a.message_thread_id == 42 for a in api.chat_actions)

    api.channel_post(channel, f"/ask {DEMO_QUESTION}")
    in_channel = await api.wait_for(sent_to(channel), timeout=SLOW)
    assert any("full ceasefire" in text for text in bold_texts(in_channel))


async def test_ten_people_asking_at_once_all_get_answers(api, launch, seed_dir):
    await launch(bot_settings(seed_dir, api))
    askers = range(9001, 9011)
    for user in askers:
        api.user_message(user, DEMO_QUESTION)
    for user in askers:
        answer = await api.wait_for(sent_to(user), timeout=SLOW)
        assert any("full ceasefire" in text for text in bold_texts(answer))


async def test_an_unexpected_error_is_logged_and_answered_briefly(api, launch, seed_dir, caplog):
    bot = await launch(bot_settings(seed_dir, api))

    def broken(question, **kwargs):
        raise RuntimeError("the index fell over")

    bot.services.answerer.answer = broken
    api.user_message(USER_ID, DEMO_QUESTION)
    sorry = await api.wait_for(sent_to(USER_ID), timeout=SLOW)
    assert sorry.text == "Sorry, something went wrong on my side. Please try again in a moment."
    logged = [r for r in caplog.records if r.name == "bot.app" and r.exc_info]
    assert logged and "the index fell over" in str(logged[0].exc_info[1])

    api.user_message(USER_ID, "/help")  # and the bot lives on
    assert (await api.wait_for(sent_to(USER_ID), since=api.sent.index(sorry) + 1)).text
