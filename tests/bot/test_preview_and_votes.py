"""Alerts that teach. /subscribe previews the topic on the stories of the last 7 days: how
many would have matched, the best headlines (linked), a suggestion when that is none or a
flood, and an empty archive is said to be empty. 👍/👎 under an alert are stored, one per
reader and alert, and move that chat's topic: after enough 👎 on similar stories, a story
the topic matched before goes to the chats that did not vote and no longer to the one that
did; in a group only admins may vote. Button data a client forged gets a friendly answer and
a log line."""

from __future__ import annotations

import asyncio

from newsbot_testing.fake_bot_api import OWNER_USER_ID  # a group's creator may change its topics
from newsbot_testing.harness import (
    SEED_URL,
    SLOW,
    USER_ID,
    alerts_to,
    bot_settings,
    link_urls,
    press,
    sent_to,
    until,
)

# Athletics stories about doping (three about Marion Jones, two about the Balco case), on top
# of the archive's seed story and four BBC stories of other kinds.
DOPING = ("bbc-sport-039", "bbc-sport-036", "bbc-sport-049", "bbc-sport-045", "bbc-sport-044")


SECOND_USER = 5151
GROUP, MEMBER = -1009003, 6161


async def subscribe(api, text: str, chat_id: int = USER_ID):
    since = len(api.sent)
    api.user_message(chat_id, f"/subscribe {text}")
    return await api.wait_for(sent_to(chat_id), since=since, timeout=SLOW)


async def test_the_preview_counts_the_weeks_matches_and_links_the_best_headline(
    api, launch, indexed_dir, seed
):
    await launch(bot_settings(indexed_dir, api))
    reply = await subscribe(api, "ceasefire talks")

    assert reply.text.startswith("✅ Subscribed to “ceasefire talks”.")
    assert "Of the 5 stories of the last 7 days, 1 would have matched. The best:" in reply.text
    assert f"• {seed.title} — Example News" in reply.text
    assert link_urls(reply) == [SEED_URL]

    nothing = await subscribe(api, "ceasefire talks +football")
    assert "Of the 5 stories of the last 7 days, none would have matched." in nothing.text
    assert nothing.text.endswith(
        "Try a broader phrasing, or drop a +word: ceasefire talks (1 story),"
        " ceasefire (1 story), talks (1 story)."
    )
    assert [e["type"] for e in nothing.entities].count("code") == 3


async def test_a_flood_gets_words_to_narrow_it_drawn_from_the_matched_headlines(
    api, launch, indexed_dir, bbc
):
    bot = await launch(bot_settings(indexed_dir, api))
    await bot.ingest([bbc[i] for i in DOPING], notify=False)
    reply = await subscribe(api, "doping")

    assert "Of the 10 stories of the last 7 days, 5 would have matched" in reply.text
    assert "would have matched: that is a lot. The best:" in reply.text
    assert reply.text.count("\n• ") == 3
    assert "To narrow it, add a +word or a -word, or use a more specific phrase, e.g." in (
        reply.text
    )
    # "Jones" heads three of the matched stories and no other: +jones keeps those three.
    assert "doping +jones (3 stories)" in reply.text


async def test_an_empty_archive_says_it_has_nothing_to_preview_on(api, launch, tmp_path):
    await launch(bot_settings(tmp_path / "data", api))
    reply = await subscribe(api, "ceasefire talks")
    assert reply.text == (
        "✅ Subscribed to “ceasefire talks”. I will post each new article about it here.\n\n"
        "I have no stories from the last 7 days to try this topic on, so I can't tell yet how"
        " often it will match."
    )


async def test_thumbs_down_on_similar_alerts_stops_the_next_one_for_that_chat_only(
    api, launch, indexed_dir, bbc, caplog
):
    bot = await launch(bot_settings(indexed_dir, api))
    await subscribe(api, "doping")
    await subscribe(api, "doping", chat_id=SECOND_USER)
    since = len(api.sent)
    api.group_message(GROUP, "/subscribe doping", user_id=OWNER_USER_ID)
    await api.wait_for(sent_to(GROUP), since=since, timeout=SLOW)
    jones = [bbc[i] for i in DOPING[:3]]  # three stories about Marion Jones
    await bot.ingest(jones)
    await until(
        lambda: all(len(alerts_to(api, chat)) == 3 for chat in (USER_ID, SECOND_USER, GROUP))
    )
    mine = alerts_to(api, USER_ID)
    assert [b["text"] for b in mine[0].buttons] == ["👍 More like this", "👎 Less like this"]
    up, down = (b["callback_data"] for b in mine[0].buttons)

    assert await press(api, mine[0], up) == "👍 Thanks! I'll send more like this."
    assert await press(api, mine[0], down) == "Vote changed. 👎 Thanks! I'll send fewer like this."
    for alert in mine[1:]:
        assert await press(api, alert, alert.buttons[1]["callback_data"]) == (
            "👎 Thanks! I'll send fewer like this."
        )
    # In a group, as for /subscribe, only admins teach its topic.
    in_group = alerts_to(api, GROUP)[0]
    assert await press(api, in_group, in_group.buttons[1]["callback_data"], user_id=MEMBER) == (
        "Only this chat's admins can teach the topics it follows."
    )
    votes = bot.query("SELECT user_id, vote FROM alert_votes ORDER BY id")
    assert votes == [{"user_id": USER_ID, "vote": -1}] * 3

    # Two stories on the Balco case: both go to the chat that did not vote; the one about
    # its trial, close to the Jones stories, no longer reaches the chat that voted them down.
    since = len(api.sent)
    await bot.ingest([bbc["bbc-sport-045"], bbc["bbc-sport-044"]])
    await until(lambda: len(alerts_to(api, SECOND_USER, since)) == 2)
    await bot.run_job("alert_sweep")
    await asyncio.sleep(0.3)
    titles = {r.text.splitlines()[0] for r in alerts_to(api, USER_ID, since)}
    assert titles == {"🔔 White admits to Balco drugs link"}
    others = {r.text.splitlines()[0] for r in alerts_to(api, SECOND_USER, since)}
    assert others == titles | {"🔔 Trial date is set for Balco case"}

    # Forged data: unreadable, another chat's alert, a removed subscription.
    theirs = alerts_to(api, SECOND_USER)[0].buttons[1]["callback_data"]
    assert await press(api, mine[0], "alert:abc:up") == "Sorry, I can't read that button."
    assert await press(api, mine[0], "alert:" + "9" * 40 + ":up") == (
        "Sorry, I can't read that button."
    )
    assert await press(api, mine[0], theirs) == "I can't find that alert in this chat."
    assert await press(api, mine[0], "x" * 64) == "This button no longer works; please try again."
    assert "unreadable alert vote 'alert:abc:up'" in caplog.text
    assert "which it was not sent to" in caplog.text
    assert bot.query("SELECT COUNT(*) AS n FROM alert_votes") == [{"n": 3}]

    since = len(api.sent)
    api.user_message(USER_ID, "/unsubscribe doping")
    await api.wait_for(sent_to(USER_ID), since=since, timeout=SLOW)
    assert await press(api, mine[1], mine[1].buttons[0]["callback_data"]) == (
        "This chat no longer follows that topic, so there is nothing to teach."
    )
    assert bot.query("SELECT COUNT(*) AS n FROM alert_votes") == [{"n": 0}]
