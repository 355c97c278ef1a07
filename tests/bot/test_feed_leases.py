"""A feed's poll lease on PostgreSQL is taken when its poll starts, not while it waits for the
fetch concurrency gate: with many feeds the wait alone could outlast the lease, and another
worker would then poll the feed this one was about to read."""

from __future__ import annotations

import asyncio

import pytest

from newsbot_testing.harness import SLOW, USER_ID, bot_settings, feed_item, rss, sent_to
from newsbot_testing.static_site import RSS

postgres_only = pytest.mark.parametrize("storage_url", ["postgres"], indirect=True)


@postgres_only
async def test_a_feed_waiting_for_its_turn_holds_no_lease(
    api,
    launch,
    site,
    tmp_path,
    seed,
    stalling_site,
    storage_url,
):
    good = site.add("/good.xml", rss("Good Wire", [feed_item(seed)]), RSS)
    slow = stalling_site[0] + "/slow.xml"  # answers only after the feed's deadline
    settings = bot_settings(
        tmp_path / "data",
        api,
        storage__url=storage_url,
        fetch__concurrency=1,  # the good feed waits for the stalled one's deadline
        fetch__feed_deadline_seconds=2.0,
        fetch__feed_lease_seconds=2.0,
    )
    bot = await launch(settings)
    since = len(api.sent)
    api.user_message(USER_ID, "/subscribe ceasefire talks")
    await api.wait_for(sent_to(USER_ID), since=since, timeout=SLOW)
    bot.services.feeds.add(slow, "Slow Wire")  # polled first
    bot.services.feeds.add(good, "Good Wire")

    poll = asyncio.create_task(bot.run_job("poll_feeds"))
    await asyncio.sleep(1.0)  # the stalled feed is being read; the good one waits its turn
    [waiting] = bot.query("SELECT leased_by, leased_until FROM feeds WHERE url = ?", [good])
    assert waiting == {"leased_by": None, "leased_until": None}
    await asyncio.wait_for(poll, 60)
    assert bot.services.feeds.get(good).article_count == 1
    [polled] = bot.query("SELECT leased_by, leased_until FROM feeds WHERE url = ?", [good])
    assert polled["leased_by"] and polled["leased_until"] is None  # its own lease, ended
