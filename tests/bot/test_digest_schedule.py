"""Digests on a schedule (issue 22, item 3), end to end over the fake Bot API: /digest daily
08:00 holds a chat's alerts for one digest per slot in its time zone, none twice across runs of
the job, a restart, or two workers on one PostgreSQL database; a wrong time or day changes
nothing."""

from __future__ import annotations

import asyncio
import dataclasses
from types import SimpleNamespace

import pytest

from bot.handlers.chat_settings import DIGEST_USAGE
from bot.workers.digests import run_digests
from index.backends.postgres import open_database, state_on
from newsbot_testing.harness import USER_ID, bot_settings, reply_to
from newsbot_testing.postgres import both_backends_slow_on_postgres

LONG_AGO = "2020-01-01T00:00:00.000+00:00"  # before any slot: the latest slot is due


def digests(api, chat_id: int) -> list[str]:
    return [
        r.text for r in api.sent if r.chat_id == chat_id and r.text.startswith("📰 Your digest")
    ]


async def test_a_wrong_schedule_changes_nothing(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    for typed, why in (
        ("daily 25:00", "25:00 is not a time of day (00:00 to 23:59)."),
        ("weekly mars 08:00", "mars is not a day of the week (mon, tue, … sun)."),
        ("daily", "A schedule is daily 08:00 or weekly mon 08:00."),
    ):
        assert await reply_to(api, USER_ID, f"/digest {typed}") == f"{why}\n{DIGEST_USAGE}"
    assert bot.query("SELECT * FROM chat_settings") == []
    assert bot.query("SELECT * FROM chats WHERE digest = 1") == []


@both_backends_slow_on_postgres
async def test_one_digest_per_slot_across_runs_and_a_restart(
    api, launch, tmp_path, seed, bbc, storage_url
):
    settings = bot_settings(tmp_path / "data", api, storage__url=storage_url)
    bot = await launch(settings)
    await reply_to(api, USER_ID, "/timezone Europe/Kyiv")
    assert await reply_to(api, USER_ID, "/digest weekly Monday 8:00") == (
        "🗞 Digest every Monday at 08:00 (Europe/Kyiv): new articles on your topics will come"
        " together then, each story once."
    )
    await reply_to(api, USER_ID, "/subscribe ceasefire talks")
    await reply_to(api, USER_ID, "/subscribe maternity pay")
    await bot.ingest([seed])
    await bot.run_job("send_digests")
    assert digests(api, USER_ID) == []  # the schedule starts now: its first slot is ahead

    # A slot passes (as if the last digest were long ago): one digest, then none.
    await asyncio.to_thread(bot.services.subscriptions.mark_digest_sent, USER_ID, LONG_AGO)
    await bot.run_job("send_digests")
    await bot.run_job("send_digests")
    assert [d.splitlines()[0] for d in digests(api, USER_ID)] == ["📰 Your digest: 1 new article"]
    await bot.stop()

    again = await launch(settings)
    await again.run_job("send_digests")
    await again.ingest([bbc["bbc-politics-001"]])  # matched after the slot: waits for the next
    await again.run_job("send_digests")
    assert len(digests(api, USER_ID)) == 1
    pending = "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'"
    assert again.query(pending) == [{"n": 1}]  # held for the next slot, not sent at once
    assert again.query("SELECT digest_schedule, timezone FROM chat_settings") == [
        {"digest_schedule": "weekly mon 08:00", "timezone": "Europe/Kyiv"}
    ]
    assert (await reply_to(api, USER_ID, "/digest off")).startswith("Digest off")
    assert again.query("SELECT digest_schedule FROM chat_settings") == [{"digest_schedule": None}]


@pytest.mark.parametrize("storage_url", ["postgres"], indirect=True)
async def test_two_workers_on_postgresql_send_one_digest_per_slot(
    api, launch, tmp_path, seed, storage_url
):
    bot = await launch(bot_settings(tmp_path / "data", api, storage__url=storage_url))
    await reply_to(api, USER_ID, "/digest daily 08:00")
    await reply_to(api, USER_ID, "/subscribe ceasefire talks")
    await bot.ingest([seed])
    await asyncio.to_thread(bot.services.subscriptions.mark_digest_sent, USER_ID, LONG_AGO)
    # A second worker: its own connections to the same database (its own job lock session).
    state = state_on(open_database(storage_url))
    other = dataclasses.replace(
        bot.services,
        subscriptions=state.subscriptions,
        outbox=state.outbox,
        jobs=state.jobs,
        chat_settings=state.chat_settings,
    )
    context = SimpleNamespace(application=bot.app, bot=bot.app.bot)
    for _ in range(3):
        await asyncio.gather(run_digests(context, bot.services), run_digests(context, other))
    assert [d.splitlines()[0] for d in digests(api, USER_ID)] == ["📰 Your digest: 1 new article"]
