"""Topic alerts end to end: chats subscribe, a feed on 127.0.0.1 gains the seed story and a BBC
sport report, and after a poll each matching chat gets exactly one alert, for the seed story,
in the right forum topic; a restart sends nothing again; the same story on a second feed does
not alert twice; a digest chat gets one digest instead. On both backends (PostgreSQL in the
slow suite)."""

from __future__ import annotations

import asyncio
import contextlib

from newsbot_testing.fake_bot_api import OWNER_USER_ID  # a group's creator may change its topics
from newsbot_testing.harness import (
    ADMIN_ID,
    SLOW,
    USER_ID,
    alerts_to,
    bold_texts,
    bot_settings,
    feed_item,
    link_urls,
    page_of,
    rss,
    sent_to,
    until,
)
from newsbot_testing.postgres import both_backends_slow_on_postgres

RSS = "application/rss+xml"
SECOND_USER = 5151
FORUM, THREAD = -1009001, 9
CHANNEL = -1009002


async def command(api, chat_id: int, text: str, **where) -> str:
    """Send a command as a user (or in a group/channel) and return the bot's reply text."""
    since = len(api.sent)
    if where.get("channel"):
        api.channel_post(chat_id, text)
    elif chat_id < 0:
        api.group_message(
            chat_id, text, user_id=OWNER_USER_ID, message_thread_id=where.get("thread")
        )
    else:
        api.user_message(chat_id, text)
    return (await api.wait_for(sent_to(chat_id), since=since, timeout=SLOW)).text


@both_backends_slow_on_postgres
async def test_one_alert_per_chat_for_the_seed_story_and_never_twice(
    api, launch, site, tmp_path, seed, bbc, storage_url
):
    settings = bot_settings(tmp_path / "data", api, storage__url=storage_url)
    business, sport = bbc["bbc-business-001"], bbc["bbc-sport-001"]
    seed_url = site.add("/world/zelensky.html", page_of(seed))
    site.add("/a.xml", rss("Wire A", [feed_item(business)]), RSS)
    bot = await launch(settings)

    assert (await command(api, USER_ID, "/subscribe ceasefire talks")).startswith("✅ Subscribed")
    await command(api, SECOND_USER, "/subscribe ceasefire talks -putin")
    await command(api, FORUM, "/subscribe ceasefire talks", thread=THREAD)
    await command(api, CHANNEL, "/subscribe ceasefire talks", channel=True)
    assert (await command(api, ADMIN_ID, f"/addfeed {site.base_url}/a.xml")).startswith("Checking")
    added = await api.wait_for(sent_to(ADMIN_ID, "editMessageText"), timeout=SLOW)
    assert added.text.startswith("✅ Added “Wire A” (1 item).")
    await until(lambda: bot.services.feeds.all()[0].article_count == 1)

    # The feed gains the seed story (a teaser linking to its page) and a sport report.
    teaser = feed_item(seed, link=seed_url, full_text=False)
    site.add("/a.xml", rss("Wire A", [teaser, feed_item(sport), feed_item(business)]), RSS)
    since = len(api.sent)
    await bot.run_job("poll_feeds")
    alert = await api.wait_for(
        lambda r: r.chat_id == USER_ID and r.text.startswith("🔔"), since=since, timeout=SLOW
    )
    in_topic = await api.wait_for(sent_to(FORUM), since=since, timeout=SLOW)
    in_channel = await api.wait_for(sent_to(CHANNEL), since=since, timeout=SLOW)
    await bot.run_job("alert_sweep")  # anything else due would go out now

    assert alert.text.startswith("🔔 Zelensky Puts Direct Putin Meeting on the Table")
    assert "ceasefire talks" in alert.text
    assert seed_url in link_urls(alert)
    assert bold_texts(alert)  # the headline and the sentence closest to the topic
    assert in_topic.message_thread_id == THREAD and in_topic.text == alert.text
    assert in_channel.text == alert.text
    assert len(alerts_to(api, USER_ID, since)) == 1
    assert alerts_to(api, SECOND_USER) == []  # "-putin": the story names Putin
    stored = bot.query("SELECT title, duplicate_of FROM articles")
    assert {r["title"] for r in stored} == {seed.title, sport.title, business.title}

    def statuses():
        sent = bot.query("SELECT chat_id, status FROM deliveries")
        return sorted((r["chat_id"], r["status"]) for r in sent)

    # The fake server records a message before the bot has read its answer and marked it sent.
    expected = sorted([(FORUM, "sent"), (CHANNEL, "sent"), (USER_ID, "sent")])
    with contextlib.suppress(AssertionError):
        await until(lambda: statuses() == expected, timeout=10)
    assert statuses() == expected

    # A restart (a new Application over the same data) sends nothing again.
    await bot.stop()
    since = len(api.sent)
    bot = await launch(settings)
    await bot.run_job("alert_sweep")
    await bot.run_job("poll_feeds")
    await asyncio.sleep(0.5)
    assert alerts_to(api, USER_ID, since) == []

    # The same wire story on a second feed (another outlet, another URL) is not news again.
    copy_url = site.add("/copy/zelensky.html", page_of(seed, site_name="Other Post"))
    copy = feed_item(seed, link=copy_url, full_text=False)
    site.add("/b.xml", rss("Wire B", [copy]), RSS)
    since_b = len(api.sent)
    await command(api, ADMIN_ID, f"/addfeed {site.base_url}/b.xml")
    await api.wait_for(sent_to(ADMIN_ID, "editMessageText"), since=since_b, timeout=SLOW)
    await until(lambda: bot.services.feeds.get(f"{site.base_url}/b.xml").last_polled_at)
    await bot.run_job("alert_sweep")
    await asyncio.sleep(0.5)
    assert alerts_to(api, USER_ID, since) == []
    copies = bot.query("SELECT url FROM articles WHERE duplicate_of IS NOT NULL")
    assert [r["url"] for r in copies] == [copy_url]


@both_backends_slow_on_postgres
async def test_a_digest_chat_gets_one_digest_instead_of_single_alerts(
    api, launch, site, tmp_path, seed, storage_url
):
    settings = bot_settings(
        tmp_path / "data", api, alerts__digest_minutes=0.02, storage__url=storage_url
    )
    page = site.add("/world/zelensky.html", page_of(seed))
    await launch(settings)
    assert (await command(api, USER_ID, "/digest on")).startswith("Digest on")
    assert "next digest" in await command(api, USER_ID, "/subscribe ceasefire talks")

    ingested = await command(api, ADMIN_ID, f"/ingest {page}")
    assert ingested.startswith("Reading")
    digest = await api.wait_for(
        lambda r: r.chat_id == USER_ID and r.text.startswith("📰"), timeout=SLOW
    )
    assert digest.text.startswith("📰 Your digest: 1 new article")
    assert page in link_urls(digest)
    assert alerts_to(api, USER_ID) == []
