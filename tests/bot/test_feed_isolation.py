"""Feeds are polled concurrently and each on its own: a feed with a poisoned item (a link that
does not parse, a date with no UTC form) loses that item only, recorded and shown by /feeds,
and a feed whose server never answers runs into its deadline while the others are stored and
alerted."""

from __future__ import annotations

import asyncio
import time

from newsbot_testing.harness import (
    ADMIN_ID,
    SLOW,
    USER_ID,
    bot_settings,
    feed_item,
    rss,
    sent_to,
)
from newsbot_testing.static_site import RSS


def alerts_to(api, chat_id: int) -> list:
    return [r for r in api.sent if r.chat_id == chat_id and (r.text or "").startswith("🔔")]


async def subscribe(api, text: str) -> None:
    since = len(api.sent)
    api.user_message(USER_ID, text)
    await api.wait_for(sent_to(USER_ID), since=since, timeout=SLOW)


async def test_poisoned_feed_item_is_skipped_recorded_and_the_other_feed_alerts(
    api, launch, site, tmp_path, seed, bbc
):
    """An item with <link>http://[::1</link> or a year-1 date used to kill every poll."""
    sport = bbc["bbc-sport-001"]
    poisoned = {
        "title": "Poisoned",
        "link": "http://[::1",
        "date": "0001-01-01T00:00:00+05:00",
        "text": "A teaser.",
    }
    year_one = {**feed_item(sport), "date": "0001-01-01T00:00:00+05:00"}
    bad = site.add("/bad.xml", rss("Bad Wire", [poisoned, year_one]), RSS)
    good = site.add("/good.xml", rss("Good Wire", [feed_item(seed)]), RSS)
    bot = await launch(bot_settings(tmp_path / "data", api))
    await subscribe(api, "/subscribe ceasefire talks")
    bot.services.feeds.add(bad, "Bad Wire")  # polled first
    bot.services.feeds.add(good, "Good Wire")

    await bot.run_job("poll_feeds")
    alert = await api.wait_for(
        lambda r: r.chat_id == USER_ID and (r.text or "").startswith("🔔"), timeout=SLOW
    )

    assert alert.text.startswith(f"🔔 {seed.title}")
    stored = bot.query("SELECT title, published FROM articles ORDER BY title")
    assert {r["title"] for r in stored} == {seed.title, sport.title}
    assert next(r for r in stored if r["title"] == sport.title)["published"] is None
    record = bot.services.feeds.get(bad)
    assert (record.last_error, record.items_skipped, record.article_count) == (None, 1, 1)
    assert "not an http(s) URL" in record.last_item_error
    since = len(api.sent)
    api.user_message(ADMIN_ID, "/feeds")
    listing = (await api.wait_for(sent_to(ADMIN_ID), since=since, timeout=SLOW)).text
    assert "⚠️ 1 item skipped: not an http(s) URL: 'http://[::1'" in listing


async def test_slow_feed_does_not_delay_another_feeds_articles(
    api, launch, site, tmp_path, seed, stalling_site
):
    """Feeds were polled one after another: one tarpit stopped all ingestion and alerting."""
    stalling_url, _ = stalling_site
    slow = f"{stalling_url}/slow.xml"
    good = site.add("/good.xml", rss("Good Wire", [feed_item(seed)]), RSS)
    settings = bot_settings(
        tmp_path / "data",
        api,
        fetch__timeout_seconds=60.0,
        fetch__deadline_seconds=60.0,  # no fetch ends before the stalled one would
        fetch__feed_deadline_seconds=3.0,
    )
    bot = await launch(settings)
    await subscribe(api, "/subscribe ceasefire talks")
    bot.services.feeds.add(slow, "Slow Wire")  # polled first
    bot.services.feeds.add(good, "Good Wire")

    started = time.monotonic()
    poll = asyncio.create_task(bot.run_job("poll_feeds"))
    await api.wait_for(
        lambda r: r.chat_id == USER_ID and (r.text or "").startswith("🔔"), timeout=SLOW
    )
    alerted_after = time.monotonic() - started
    await asyncio.wait_for(poll, 30)

    assert alerted_after < 30  # the stalled feed holds its request for a minute
    assert len(alerts_to(api, USER_ID)) == 1
    record = bot.services.feeds.get(slow)
    assert (record.last_error, record.error_count) == ("did not finish within 3 s", 1)
    assert bot.services.feeds.get(good).article_count == 1


async def test_a_poll_requested_while_one_runs_makes_it_go_round_again(
    api, launch, site, tmp_path, bbc, stalling_site
):
    stalling_url, _ = stalling_site
    sport = bbc["bbc-sport-001"]
    settings = bot_settings(
        tmp_path / "data",
        api,
        fetch__timeout_seconds=60.0,
        fetch__deadline_seconds=60.0,
        fetch__feed_deadline_seconds=2.0,
    )
    bot = await launch(settings)
    slow = f"{stalling_url}/slow.xml"
    bot.services.feeds.add(slow, "Slow Wire")
    poll = asyncio.create_task(bot.run_job("poll_feeds"))
    await asyncio.sleep(0.5)  # the first round waits on the stalled feed
    late = site.add("/late.xml", rss("Late Wire", [feed_item(sport)]), RSS)
    bot.services.feeds.add(late, "Late Wire")

    started = time.monotonic()
    await bot.run_job("poll_feeds")  # returns at once: the running poll takes it
    assert time.monotonic() - started < 1.0
    await asyncio.wait_for(poll, 30)

    assert bot.services.feeds.get(late).article_count == 1
    assert bot.services.feeds.get(slow).error_count == 2  # polled in both rounds
