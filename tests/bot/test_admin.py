"""Admin commands: refused (and logged) for everyone else with nothing changed; /reindex edits
one progress message to completion while questions keep being answered; feeds are validated,
listed with their last poll and error, and removed; /ingest refuses internal addresses unless
settings allow them; /stats sums it up."""

from __future__ import annotations

import asyncio
import logging

from newsbot_testing.harness import (
    ADMIN_ID,
    SLOW,
    USER_ID,
    bold_texts,
    bot_settings,
    feed_item,
    page_of,
    reply_to,
    rss,
    sent_to,
    until,
)

REFUSAL = "Sorry, that command is only for the bot's admins."


async def final_edit(api, since: int) -> str:
    return (
        await api.wait_for(sent_to(ADMIN_ID, "editMessageText"), since=since, timeout=SLOW)
    ).text


async def test_non_admins_are_refused_and_nothing_changes(api, launch, site, seed_dir, caplog):
    bot = await launch(bot_settings(seed_dir, api))
    vectors = seed_dir / "vectors.faiss"
    before = (vectors.stat().st_mtime_ns, bot.query("SELECT COUNT(*) AS n FROM articles"))
    url = site.add("/feed.xml", rss("Feed", []), "application/rss+xml")
    caplog.set_level(logging.WARNING, logger="bot.handlers.admin")

    commands = [
        "/reindex",
        f"/addfeed {url}",
        f"/ingest {url}",
        "/removefeed 1",
        "/feeds",
        "/stats",
    ]
    for command in commands:
        assert await reply_to(api, USER_ID, command) == REFUSAL

    assert site.hits == []
    assert bot.query("SELECT * FROM feeds") == []
    assert (vectors.stat().st_mtime_ns, bot.query("SELECT COUNT(*) AS n FROM articles")) == before
    refused = [r.getMessage() for r in caplog.records if "not an admin" in r.getMessage()]
    assert len(refused) == len(commands) and f"from user {USER_ID}" in refused[0]


async def test_reindex_edits_its_progress_while_questions_are_answered(
    api, launch, seed_dir, model
):
    bot = await launch(bot_settings(seed_dir, api))
    passages = len(bot.query("SELECT id FROM passages"))
    with model.holding_passage_batches() as (held, release):
        status_text = await reply_to(api, ADMIN_ID, "/reindex")
        status = api.messages_to(ADMIN_ID)[-1]
        assert status_text == "Re-indexing: starting…"
        assert await asyncio.to_thread(held.wait, SLOW)  # the re-index is embedding now

        answer_since = len(api.sent)
        api.user_message(USER_ID, "What condition did Zelensky set?")
        answer = await api.wait_for(sent_to(USER_ID), since=answer_since, timeout=SLOW)
        assert any("full ceasefire" in b for b in bold_texts(answer))
        assert not [r for r in api.sent if r.method == "editMessageText"]  # still running
        release.set()

    done = await api.wait_for(
        lambda r: r.method == "editMessageText" and r.message_id == status.message_id,
        timeout=SLOW,
    )
    assert done.text.startswith(f"✅ Re-index done: {passages} passages in ")
    assert api.sent.index(answer) < api.sent.index(done)


async def test_feeds_are_validated_listed_with_errors_and_removed(api, launch, site, tmp_path, bbc):
    bot = await launch(bot_settings(tmp_path / "data", api))
    page = site.add("/page.html", page_of(bbc["bbc-sport-001"]))
    feed = site.add(
        "/a.xml", rss("Wire A", [feed_item(bbc["bbc-sport-001"])]), "application/rss+xml"
    )

    since = len(api.sent)
    assert (await reply_to(api, ADMIN_ID, f"/addfeed {page}")).startswith("Checking")
    assert (await final_edit(api, since)).startswith(f"❌ Not added: {page} is not a valid RSS")

    since = len(api.sent)
    await reply_to(api, ADMIN_ID, f"/addfeed {feed}")
    assert (await final_edit(api, since)).startswith("✅ Added “Wire A” (1 item).")
    await until(lambda: bot.services.feeds.get(feed).article_count == 1)
    listing = await reply_to(api, ADMIN_ID, "/feeds")
    assert listing.startswith(f"Feeds (1)\n1. Wire A — {feed}\n   polled ")
    assert listing.endswith(" UTC · 1 article")

    site.add("/a.xml", "server trouble", "text/plain", status=500)
    await bot.run_job("poll_feeds")  # or asks the poll /addfeed started to go round again
    await until(lambda: bot.services.feeds.get(feed).error_count == 1)
    listing = await reply_to(api, ADMIN_ID, "/feeds")
    assert f"⚠️ 1 failure in a row: {feed} answered HTTP 500" in listing

    assert (await reply_to(api, ADMIN_ID, "/removefeed")).startswith("Usage: /removefeed")
    assert await reply_to(api, ADMIN_ID, "/removefeed 1") == (
        f"Removed {feed}. Its articles stay in the archive."
    )
    assert await reply_to(api, ADMIN_ID, "/feeds") == "No feeds yet. Add one with /addfeed <url>."


async def test_ingest_refuses_internal_addresses_unless_allowed(api, launch, site, tmp_path, seed):
    page = site.add("/world/zelensky.html", page_of(seed))
    strict = bot_settings(tmp_path / "data", api, fetch__allow_private_networks=[])
    bot = await launch(strict)
    since = len(api.sent)
    await reply_to(api, ADMIN_ID, f"/ingest {page}")
    refused = await final_edit(api, since)
    assert refused.startswith("❌ Nothing ingested: 127.0.0.1 resolves to the internal address")
    assert "fetch.allow_private_networks" in refused
    since = len(api.sent)
    await reply_to(api, ADMIN_ID, f"/addfeed {page}")
    assert "internal address" in await final_edit(api, since)
    assert site.hits == []
    await bot.stop()

    bot = await launch(bot_settings(tmp_path / "data", api))  # allows 127.0.0.1/32
    since = len(api.sent)
    await reply_to(api, ADMIN_ID, f"/ingest {page}")
    done = await final_edit(api, since)
    n = len(bot.query("SELECT id FROM passages"))
    assert done == f"✅ {page}: 1 new article, {n} passages."
    stats = await reply_to(api, ADMIN_ID, "/stats")
    assert stats.startswith(
        f"📊 Archive\n1 article (0 duplicates linked), {n} passages, {n} vectors"
    )
