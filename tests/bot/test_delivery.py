"""The alert outbox against Telegram's failures: 429 waits retry_after and tries again, a dropped
connection is retried with backoff, 403 pauses the chat, and alerts left pending when the
process dies go out once after a restart, and never twice."""

from __future__ import annotations

import asyncio

from tests.bot.harness import SLOW, USER_ID, bot_settings, sent_to, until


def is_alert(record) -> bool:
    return record.chat_id == USER_ID and record.method == "sendMessage" and record.text[0] == "🔔"


async def subscribed_bot(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    api.user_message(USER_ID, "/subscribe ceasefire talks")
    await api.wait_for(sent_to(USER_ID), timeout=SLOW)
    return bot


async def test_flood_control_429_is_waited_out_then_the_alert_is_sent(api, launch, tmp_path, seed):
    bot = await subscribed_bot(api, launch, tmp_path)
    api.fail_next("sendMessage", "429", retry_after=1)
    await bot.ingest([seed])

    alert = await api.wait_for(is_alert, timeout=SLOW)
    assert alert.text.startswith("🔔 Zelensky Puts Direct Putin Meeting")
    faults = [r for r in api.requests if r.method == "sendMessage" and r.fault == "429"]
    assert len(faults) == 1
    await until(lambda: bot.query("SELECT status FROM deliveries")[0]["status"] == "sent")
    [row] = bot.query("SELECT status, attempts FROM deliveries")
    assert (row["status"], row["attempts"]) == ("sent", 1)  # waiting out 429 is no failure


async def test_dropped_connections_are_retried_with_backoff(api, launch, tmp_path, seed):
    bot = await subscribed_bot(api, launch, tmp_path)
    api.fail_next("sendMessage", "network", count=2)
    await bot.ingest([seed])

    await api.wait_for(is_alert, timeout=SLOW)
    dropped = [r for r in api.requests if r.method == "sendMessage" and r.fault == "network"]
    assert len(dropped) == 2
    await until(lambda: bot.query("SELECT status FROM deliveries")[0]["status"] == "sent")
    [row] = bot.query("SELECT status, attempts FROM deliveries")
    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert len([r for r in api.sent if is_alert(r)]) == 1


async def test_a_blocked_bot_pauses_the_chat_until_it_writes_again(
    api, launch, tmp_path, seed, bbc
):
    bot = await subscribed_bot(api, launch, tmp_path)
    api.block_chat(USER_ID)
    await bot.ingest([seed])
    await api.wait_for_request(
        lambda r: r.method == "sendMessage" and r.status == 403, timeout=SLOW
    )
    await until(lambda: bot.query("SELECT paused FROM chats")[0]["paused"] == 1)

    [row] = bot.query("SELECT status FROM deliveries")
    assert row["status"] == "paused"
    copy = bbc["bbc-politics-001"]  # another new article: a paused chat is not matched at all
    await bot.ingest([copy])
    assert len(bot.query("SELECT id FROM deliveries")) == 1

    api.unblock_chat(USER_ID)
    since = len(api.sent)
    api.user_message(USER_ID, "/subscriptions")
    listing = await api.wait_for(sent_to(USER_ID), since=since)
    assert "⏸ Alerts are paused" in listing.text
    api.user_message(USER_ID, "/start")
    await api.wait_for(sent_to(USER_ID), since=since + 1)
    assert bot.query("SELECT paused FROM chats")[0]["paused"] == 0
    assert not [r for r in api.sent if is_alert(r)]  # held alerts are old news: not replayed


async def test_alerts_pending_at_a_crash_are_sent_once_after_restart(api, launch, tmp_path, seed):
    settings = bot_settings(tmp_path / "data", api)
    bot = await subscribed_bot(api, launch, tmp_path)
    await bot.ingest([seed], notify=False)
    # Matched and enqueued, then the process "dies" before the sender ran.
    enqueued = await asyncio.to_thread(bot.services.matcher.process_queue)
    assert enqueued == 1
    await bot.stop()
    assert not [r for r in api.sent if is_alert(r)]

    bot = await launch(settings)  # its first sweep sends what was left pending
    await api.wait_for(is_alert, timeout=SLOW)
    await bot.stop()
    bot = await launch(settings)
    await bot.run_job("alert_sweep")
    await asyncio.sleep(0.5)
    assert len([r for r in api.sent if is_alert(r)]) == 1


async def test_articles_stored_by_another_process_are_alerted_at_the_next_sweep(
    api, launch, tmp_path, seed, model
):
    from config import load_settings
    from index.archive import NewsArchive
    from index.ingest import Ingestor

    bot = await subscribed_bot(api, launch, tmp_path)
    # `newsbot ingest` in another process: its own archive object over the same directory.
    other = NewsArchive(
        load_settings(env={}, overrides={"data_dir": str(tmp_path / "data")}), model
    )
    await asyncio.to_thread(Ingestor(other).ingest, [seed])

    await bot.run_job("alert_sweep")
    alert = await api.wait_for(is_alert, timeout=SLOW)
    assert alert.text.startswith("🔔 Zelensky Puts Direct Putin Meeting")
    assert bot.services.archive.vectors.count == len(bot.query("SELECT id FROM passages"))
