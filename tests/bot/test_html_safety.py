"""Article text is untrusted: a story holding <script>, a bare &, an unmatched <b> and 10,000
characters in one sentence reaches the reader as valid Telegram HTML, one message a quote (a
window of the passage around the answering sentence), under 4096 characters; a headline that
is one 4,500-character word leaves /start within the limit. The fake server rejects malformed
HTML, empty and long texts with Telegram's 400 errors, so every message being accepted is the
proof."""

from __future__ import annotations

from index.text import Article
from newsbot_testing.harness import SLOW, USER_ID, bot_settings, sent_to

TITLE = "Talks <i>resume</i> & stall"
HOSTILE_START = "<script>alert('x')</script> "
UNIT = "ceasefire talks between the delegations went on & the mediators said <b>progress was slow "


def hostile_article() -> Article:
    text = HOSTILE_START
    while len(text) < 10_000:
        text += UNIT  # no full stop anywhere: one 10,000-character sentence
    return Article(TITLE, text.strip(), "https://news.example.com/hostile?a=1&b=2", "Wire & Co")


def one_passage_settings(data_dir, api):
    """Passages as long as the whole hostile sentence, so a quote is a window of one long passage."""
    return bot_settings(
        data_dir,
        api,
        passages__target_words=2_000,
        passages__max_words=2_000,
        passages__max_chars=20_000,
    )


def delivered(api, since: int = 0) -> list:
    return [r for r in api.sent[since:] if r.chat_id == USER_ID and r.method == "sendMessage"]


def assert_all_accepted(api) -> None:
    refused = [r for r in api.requests if r.method == "sendMessage" and r.status != 200]
    assert refused == [], [(r.status, r.description) for r in refused]


async def test_a_hostile_article_arrives_as_an_alert_in_valid_pieces(api, launch, tmp_path):
    bot = await launch(one_passage_settings(tmp_path / "data", api))
    api.user_message(USER_ID, "/subscribe ceasefire talks")
    await api.wait_for(sent_to(USER_ID), timeout=SLOW)
    since = len(api.sent)
    await bot.ingest([hostile_article()])
    await api.wait_for(lambda r: "Wire &" in (r.text or ""), since=since, timeout=SLOW)

    (alert,) = delivered(api, since)  # one message, however long the passage
    assert_all_accepted(api)
    assert alert.text.startswith(f"🔔 {TITLE}")  # the headline's tags are shown as text
    assert "<script>alert('x')</script>" in alert.text
    assert " & the mediators said <b>progress was slow" in alert.text
    assert " …\n— Wire & Co · Talks <i>resume</i> & stall" in alert.text


async def test_a_hostile_article_is_quoted_in_an_answer_in_valid_pieces(api, launch, tmp_path):
    bot = await launch(one_passage_settings(tmp_path / "data", api))
    await bot.ingest([hostile_article()], notify=False)
    api.user_message(USER_ID, "What did the mediators say about progress?")
    last = await api.wait_for(
        lambda r: r.chat_id == USER_ID and r.reply_markup is not None, timeout=SLOW
    )

    pieces = delivered(api)
    assert_all_accepted(api)
    assert len(pieces) <= 3 and pieces[-1] is last  # at most one message a quote
    shown = "".join(p.text for p in pieces)
    assert "<b>progress was slow" in shown
    links = [e["url"] for e in last.entities if e["type"] == "text_link"]
    assert links == ["https://news.example.com/hostile?a=1&b=2"]


async def test_a_one_word_headline_of_4500_characters_leaves_start_under_the_limit(
    api, launch, tmp_path
):
    bot = await launch(bot_settings(tmp_path / "data", api))
    word = "W" * 4_500
    giant = Article(word, f"{word} was announced today. The talks went on.", None, "Wire")
    await bot.ingest([giant], notify=False)
    api.user_message(USER_ID, "/start")
    start = await api.wait_for(sent_to(USER_ID), timeout=SLOW)

    assert_all_accepted(api)
    assert "What is the news about “WWW" in start.text and "W…”?" in start.text
    assert len(start.text) < 2_000
