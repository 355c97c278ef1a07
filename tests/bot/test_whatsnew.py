"""Issue 21, "What's new?": the first questions a new user asks a news bot, each answered
usefully through the real Application over the strict fake Bot API, on four weeks of real
news (newsbot_testing/news_days.py; the archive's last day, its "today", is 19 December 2024).

The twenty first questions: /latest, its next page, /latest <topic>, "What's the latest
news?", "latest on <topic>", /today, /today <day>, "What happened on <date>?", "What happened
yesterday?", "news this week", "What happened last Tuesday?", a date the archive lacks, a
question within a week, "hi", an example button, "thanks!", /help, a follow-up within minutes
("and where was he arrested?"), "when?" in reply to an answer, and "hi" to an empty archive.
"""

from __future__ import annotations

from newsbot_testing.harness import SLOW, USER_ID, bold_texts, bot_settings, link_urls, sent_to
from newsbot_testing.news_days import COPY_OUTLET

FAST = {"telegram__questions_per_minute": 600.0, "telegram__question_burst": 100}
CEO_STORY = "UnitedHealthcare CEO killing"


async def ask(api, text: str, chat: int = USER_ID, **message):
    """Send `text` and wait for the bot's next message to the chat."""
    since = len(api.sent)
    api.user_message(chat, text, **message)
    return await api.wait_for(sent_to(chat), since=since, timeout=SLOW)


async def press(api, record, text_start: str, chat: int = USER_ID, method="editMessageText"):
    button = next(b for b in record.buttons if b["text"].startswith(text_start))
    assert len(button["callback_data"].encode()) <= 64
    since = len(api.sent)
    api.callback_query(chat, record.message_id, button["callback_data"])
    return await api.wait_for(sent_to(chat, method), since=since, timeout=SLOW)


def story_lines(record) -> list[str]:
    return [line for line in record.text.splitlines() if line.startswith("• ")]


async def test_latest_lists_the_newest_stories_with_pages_and_topics(api, launch, news_dir):
    await launch(bot_settings(news_dir, api, **FAST))

    latest = await ask(api, "/latest")  # 1
    assert latest.text.startswith("Latest stories")
    lines = story_lines(latest)
    assert len(lines) == 8 and "What is H5N1 bird flu?" in lines[0]
    assert "usatoday.com · today" in latest.text and "yesterday" in latest.text
    assert any(f"{CEO_STORY}" in line for line in lines)
    assert "2 outlets" in latest.text  # the wire copy is counted, not listed
    assert COPY_OUTLET not in latest.text
    assert len(link_urls(latest)) == 8
    assert [b["text"] for b in latest.buttons] == ["Older ▸"]

    older = await press(api, latest, "Older")  # 2
    assert older.message_id == latest.message_id and "page 2" in older.text
    assert not set(story_lines(older)) & set(lines)
    assert [b["text"] for b in older.buttons][0] == "◂ Newer"

    syria = await ask(api, "/latest Syria")  # 3
    assert syria.text.startswith("Latest stories on “Syria”")
    assert all("Syria" in line or "Assad" in line for line in story_lines(syria)[:4])

    question = await ask(api, "What's the latest news?")  # 4
    assert story_lines(question)[0] == lines[0]

    topic = await ask(api, "latest on Luigi Mangione")  # 5
    assert "Mangione" in story_lines(topic)[0] or CEO_STORY in story_lines(topic)[0]


async def test_days_get_their_main_stories_never_no_news(api, launch, news_dir):
    await launch(bot_settings(news_dir, api, **FAST))

    today = await ask(api, "/today")  # 6
    assert today.text.startswith("Main stories · 19 December 2024")
    assert "H5N1" in today.text and "Mangione" in today.text

    day = await ask(api, "/today 2024-12-09")  # 7
    assert day.text.startswith("Main stories · 9 December 2024")
    first = story_lines(day)[0]
    assert CEO_STORY in first  # the story most outlets carried comes first
    assert "2 outlets" in day.text.splitlines()[2]

    written = await ask(api, "What happened on 9 December 2024?")  # 8
    assert story_lines(written)[0] == first

    yesterday = await ask(api, "What happened yesterday?")  # 9
    assert yesterday.text.startswith("Main stories · 18 December 2024")
    assert "Bird flu" in yesterday.text and "Elton John" in yesterday.text

    week = await ask(api, "news this week")  # 10
    assert week.text.startswith("Main stories · 16 December 2024 – 19 December 2024")
    assert "Tom Cruise" in week.text

    tuesday = await ask(api, "What happened last Tuesday?")  # 11
    assert (
        tuesday.text.startswith("Main stories · 17 December 2024") and "Tom Cruise" in tuesday.text
    )

    missing = await ask(api, "What happened on 1 June 2024?")  # 12
    assert missing.text == (
        "Main stories · 1 June 2024\nI have no stories from 1 June 2024."
        " The newest I have are from 19 December 2024."
    )

    within = await ask(api, "What did Trump say about Syria last week?")  # 13
    assert within.text.count("— usatoday.com") >= 1
    assert all(d in within.text for d in ("Dec 2024",))
    assert "Nov 2024" not in within.text  # only that week's stories are quoted

    usage = await ask(api, "/today whenever")
    assert usage.text.startswith("Usage: /today")


async def test_small_talk_gets_example_questions_to_tap(api, launch, news_dir):
    await launch(bot_settings(news_dir, api, **FAST))

    hello = await ask(api, "hi")  # 14
    assert hello.text.startswith("👋 Hello!")
    assert len(hello.buttons) == 3
    assert all(b["text"].startswith("What is the news about") for b in hello.buttons)

    since = len(api.sent)
    api.callback_query(USER_ID, hello.message_id, hello.buttons[0]["callback_data"])  # 15
    answer = await api.wait_for(sent_to(USER_ID), since=since, timeout=SLOW)
    assert answer.text != hello.text and bold_texts(answer), answer.text

    thanks = await ask(api, "thanks!")  # 16
    assert thanks.text.startswith("You're welcome!") and len(thanks.buttons) == 3

    help_ = await ask(api, "/help")  # 17
    assert "/latest" in help_.text and "/today" in help_.text
    assert "@fake_news_bot" in help_.text  # inline mode
    assert len(help_.buttons) == 3
    menus = [r for r in api.requests if r.method == "setMyCommands" and r.status == 200]
    assert {"latest", "today"} <= {c["command"] for c in menus[0].params["commands"]}


async def test_follow_ups_carry_the_earlier_subject(api, launch, news_dir):
    await launch(bot_settings(news_dir, api, **FAST))

    first = await ask(api, "Who is Luigi Mangione?")
    assert "Mangione" in " ".join(bold_texts(first))
    follow = await ask(api, "and where was he arrested?")  # 18
    assert follow.text.startswith("About “where was Luigi Mangione arrested?”:")
    assert "Pennsylvania" in " ".join(bold_texts(follow)) or "Altoona" in follow.text

    own = await ask(api, "Which city hosted the last show of Taylor Swift's Eras Tour?")
    assert not own.text.startswith("About")  # a question naming its own subject stands alone
    await ask(api, "What is H5N1 bird flu?")
    # A reply to an earlier answer leans on that answer's question, not on the last one.
    tour = next(r for r in api.messages_to(USER_ID) if "Vancouver" in r.text)
    since = len(api.sent)
    api.user_message(USER_ID, "when?", reply_to_message_id=tour.message_id)  # 19
    when = await api.wait_for(sent_to(USER_ID), since=since, timeout=SLOW)
    assert when.text.startswith("About “When city hosted the last show of Taylor Swift")
    assert "December" in when.text or "Dec 2024" in when.text


async def test_hello_to_an_empty_archive_says_how_to_add_feeds(api, launch, tmp_path):
    await launch(bot_settings(tmp_path / "data", api))
    hello = await ask(api, "hello")  # 20
    assert "/addfeed" in hello.text and hello.buttons == []
    latest = await ask(api, "/latest")
    assert "Nothing is indexed yet" in latest.text
