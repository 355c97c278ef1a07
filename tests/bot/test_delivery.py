"""The alert outbox against Telegram's failures: 429 waits retry_after and tries again, a dropped
connection is retried with backoff, 403 pauses the chat, and alerts left pending when the
process dies go out once after a restart, and never twice. A multi-message alert that fails at
its second message sends only the rest later (or ends partial on a 400), each forum topic gets
its alert, an outage outlasts no setting but alerts.retry_for_hours, two senders never send
one row (nor when one outlived its claim's lease while rendering), and a sender killed with
SIGKILL mid-delivery loses nothing: alone, beside another on PostgreSQL, and beside another
while `newsbot ingest` stores the articles the alerts are about."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from bot.workers import drain_outbox, request_send
from bot.workers.outbox_sender import Outcome, send_claimed
from index.backends.sqlite import open_database
from index.state import DeliveryOutbox
from newsbot_testing.fake_bot_api import OWNER_USER_ID, FakeBotApi
from newsbot_testing.harness import (
    ADMIN_ID,
    SLOW,
    TOKEN,
    USER_ID,
    bot_settings,
    sent_to,
    texts_to,
    until,
)
from newsbot_testing.ingest_alerts import (
    SMALL_PLAN,
    IngestProcess,
    serve_feeds,
    subscribe_chats,
    tally_ingest,
    until_ingested_and_sent,
)
from newsbot_testing.sender_process import (
    PlannedAlert,
    SenderProcess,
    claimers,
    plan_alerts,
    tally,
    until_accepted,
    until_settled,
    write_outbox,
)
from newsbot_testing.static_site import StaticSite

FORUM = -1009001
INGEST_SECONDS = 900.0  # three processes embedding on a loaded machine


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
    from index import Ingestor, NewsArchive

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


# -- multi-message alerts and the outbox's claims (rows written with their pieces rendered)


async def pending_alerts(bot, alerts: list[PlannedAlert]) -> None:
    """Outbox rows as the matcher and renderer leave them, then a drain request."""
    await asyncio.to_thread(write_outbox, bot.services.settings.data_dir, alerts)
    request_send(bot.app)


def rows(bot) -> list[dict]:
    return bot.query("SELECT status, attempts, pieces_sent, last_error FROM deliveries ORDER BY id")


def settled(bot) -> bool:
    return all(row["status"] != "pending" for row in rows(bot))


TWO_PIECES = [PlannedAlert(USER_ID, ("🔔 Headline, part one", "part two"))]


async def test_a_network_error_on_message_two_resends_only_message_two(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    api.fail_next("sendMessage", "network", after=1)
    await pending_alerts(bot, TWO_PIECES)
    await until(lambda: settled(bot))
    assert texts_to(api, USER_ID) == ["🔔 Headline, part one", "part two"]
    assert [(r["status"], r["pieces_sent"], r["attempts"]) for r in rows(bot)] == [("sent", 2, 2)]


async def test_flood_control_on_message_two_resends_only_message_two(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    api.fail_next("sendMessage", "429", retry_after=1, after=1)
    await pending_alerts(bot, TWO_PIECES)
    await until(lambda: settled(bot))
    assert texts_to(api, USER_ID) == ["🔔 Headline, part one", "part two"]
    assert [(r["status"], r["attempts"]) for r in rows(bot)] == [("sent", 1)]  # 429 not counted


async def test_a_400_on_message_two_is_partly_delivered_not_failed(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    api.fail_next("sendMessage", "400", after=1)
    await pending_alerts(bot, TWO_PIECES)
    await until(lambda: settled(bot))
    assert texts_to(api, USER_ID) == ["🔔 Headline, part one"]
    [row] = rows(bot)
    assert (row["status"], row["pieces_sent"]) == ("partial", 1)
    assert "injected failure" in row["last_error"].lower()
    since = len(api.sent)
    api.user_message(ADMIN_ID, "/stats")
    stats = await api.wait_for(sent_to(ADMIN_ID), since=since, timeout=SLOW)
    assert "0 sent, 0 pending, 1 partly sent, 0 failed" in stats.text


async def test_the_only_resend_is_a_piece_accepted_but_never_answered(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    api.fail_next("sendMessage", "lost-answer")  # piece 1 arrives, its answer does not
    await pending_alerts(bot, TWO_PIECES)
    await until(lambda: settled(bot))
    assert texts_to(api, USER_ID) == ["🔔 Headline, part one", "🔔 Headline, part one", "part two"]


async def test_an_outage_longer_than_the_old_attempt_limit_does_not_fail_the_alert(
    api, launch, tmp_path
):
    # Twelve failures in a row: the old limit (8 attempts from 30 s, ~64 min) gave up at 8.
    settings = bot_settings(
        tmp_path / "data", api, alerts__retry_seconds=0.02, alerts__retry_max_seconds=0.1
    )
    bot = await launch(settings)
    api.fail_next("sendMessage", "network", count=12)
    await pending_alerts(bot, TWO_PIECES)
    await until(lambda: settled(bot))
    assert [(r["status"], r["attempts"]) for r in rows(bot)] == [("sent", 13)]
    assert texts_to(api, USER_ID) == ["🔔 Headline, part one", "part two"]


async def test_an_alert_is_given_up_only_when_its_retry_window_is_over(api, launch, tmp_path):
    settings = bot_settings(
        tmp_path / "data",
        api,
        alerts__retry_seconds=0.05,
        alerts__retry_max_seconds=0.2,
        alerts__retry_for_hours=1.5 / 3600,
    )
    bot = await launch(settings)
    api.fail_matching("sendMessage", "502", lambda params: "part two" in params["text"])
    await pending_alerts(bot, TWO_PIECES)
    await until(lambda: settled(bot), timeout=30)
    [row] = rows(bot)
    assert (row["status"], row["pieces_sent"]) == ("partial", 1) and row["attempts"] > 3
    assert texts_to(api, USER_ID) == ["🔔 Headline, part one"]


async def test_each_forum_topic_of_a_group_gets_the_alert(api, launch, tmp_path, seed):
    bot = await launch(bot_settings(tmp_path / "data", api))
    for thread in (11, 12):
        since = len(api.sent)
        api.group_message(  # the group's creator: only admins change a group's topics
            FORUM, "/subscribe ceasefire talks", user_id=OWNER_USER_ID, message_thread_id=thread
        )
        await api.wait_for(sent_to(FORUM), since=since, timeout=SLOW)
    since = len(api.sent)
    await bot.ingest([seed])
    await until(lambda: len([r for r in api.sent[since:] if r.chat_id == FORUM]) >= 2)
    await asyncio.sleep(0.3)
    alerts = [r for r in api.sent[since:] if r.chat_id == FORUM]
    assert sorted(r.message_thread_id for r in alerts) == [11, 12]
    assert all(r.text.startswith("🔔 Zelensky Puts Direct Putin Meeting") for r in alerts)


async def test_two_concurrent_senders_never_send_the_same_alert(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    api.slow_down("sendMessage", 0.01)
    alerts = plan_alerts(40, chats=8, multi_share=0.5, seed=1)
    await asyncio.to_thread(write_outbox, bot.services.settings.data_dir, alerts)
    svc = bot.services
    # A second sender on its own connection, as another process would have.
    other = dataclasses.replace(
        svc,
        outbox=DeliveryOutbox(open_database(svc.archive.database.path)),
        send_lock=asyncio.Lock(),
    )
    await asyncio.gather(
        drain_outbox(bot.app.bot, svc, "first"), drain_outbox(bot.app.bot, other, "second")
    )
    await until(lambda: settled(bot))
    result = tally(api, bot.services.settings.data_dir, alerts)
    assert (result.delivered, result.lost, result.pieces_resent) == (40, 0, 0)


async def test_a_claim_whose_lease_ran_out_while_rendering_is_renewed_before_sending(
    api, launch, tmp_path
):
    """A worker slow to render an alert (the model loading, a loaded machine) outlives its
    claim's lease: it renews the claim before the first piece, so a second worker finds the
    row held and the alert arrives once (it was sent twice: both held it)."""
    bot = await launch(bot_settings(tmp_path / "data", api))
    svc = bot.services
    alerts = [PlannedAlert(USER_ID, ("🔔 Slow to render",))]
    await asyncio.to_thread(write_outbox, svc.settings.data_dir, alerts)
    other = dataclasses.replace(
        svc,
        outbox=DeliveryOutbox(open_database(svc.archive.database.path)),
        send_lock=asyncio.Lock(),
    )
    [claimed] = svc.outbox.claim_due("slow", 1, lease_seconds=0.05)
    await asyncio.sleep(0.2)  # rendering: the lease runs out, nobody has taken the row yet
    api.slow_down("sendMessage", 0.5)
    slow = asyncio.create_task(send_claimed(bot.app.bot, svc, "slow", [claimed], alerts[0].pieces))
    await asyncio.sleep(0.2)  # the first piece is on its way
    await drain_outbox(bot.app.bot, other, "second")
    outcome = await slow
    result = tally(api, svc.settings.data_dir, alerts)
    assert (result.delivered, result.pieces_resent, outcome) == (1, 0, Outcome.SENT)


@pytest.mark.slow
async def test_a_sender_killed_mid_delivery_loses_nothing_and_resends_at_most_a_piece(tmp_path):
    """kill -9 of `newsbot run` twice while it sends: every piece of every alert arrives, and
    at most one piece per kill arrives twice (accepted by Telegram, not yet recorded)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    alerts = plan_alerts(12, chats=4, multi_share=1.0, seed=2)
    write_outbox(data_dir, alerts)
    async with FakeBotApi(token=TOKEN) as api:
        api.slow_down("sendMessage", 0.1)
        sender = SenderProcess(
            data_dir,
            api,
            alerts_send_interval_seconds=0,
            alerts_claim_lease_seconds=1,
            alerts_retry_seconds=0.1,
        )
        try:
            for accepted in (5, 15):
                await sender.start()
                await until_accepted(api, accepted, timeout=SLOW)
                await sender.kill()
            await sender.start()
            statuses = await until_settled(data_dir, timeout=SLOW)
        finally:
            await sender.stop()
        result = tally(api, data_dir, alerts)
    assert statuses == {"sent": 12}
    assert (result.delivered, result.lost, result.wrong) == (12, 0, 0)
    assert result.pieces_resent <= sender.kills


def postgres_workers(tmp_path, api: FakeBotApi, url: str, **settings) -> list[SenderProcess]:
    """Two `newsbot run` workers on the database at `url`, sending at once."""
    return [
        SenderProcess(
            tmp_path / f"worker-{n}",
            api,
            storage_url=url,
            alerts_send_interval_seconds=0,
            # Longer than a piece's send on a loaded machine: a live worker never loses its
            # claim mid-send, so only a kill can cause a resend.
            alerts_claim_lease_seconds=5,
            alerts_retry_seconds=0.1,
            **settings,
        )
        for n in range(2)
    ]


@pytest.mark.slow
async def test_two_workers_on_postgresql_send_each_alert_once_when_one_is_killed(
    tmp_path, postgres_server
):
    """Two `newsbot run` workers on one PostgreSQL database claim and send a shared outbox;
    one is killed with -9 while both hold claims, and the other takes its claims once their
    lease runs out: every alert arrives, none twice but at most the piece the kill caught
    between Telegram's acceptance and its record."""
    url = postgres_server.create_database()
    alerts = plan_alerts(200, chats=40, multi_share=0.3, seed=3)
    write_outbox(url, alerts)
    async with FakeBotApi(token=TOKEN) as api:
        api.slow_down("sendMessage", 0.02)
        workers = postgres_workers(tmp_path, api, url)
        try:
            for worker in workers:
                await worker.start()
            await until(lambda: claimers(url) == 2, timeout=SLOW)
            await workers[0].kill()
            statuses = await until_settled(url, timeout=SLOW)
        finally:
            for worker in workers:
                await worker.stop()
        result = tally(api, url, alerts)
    assert statuses == {"sent": 200}
    assert (result.delivered, result.lost, result.wrong) == (200, 0, 0)
    assert result.pieces_resent <= workers[0].kills


@pytest.mark.slow
async def test_two_workers_and_an_ingest_on_postgresql_alert_once_when_a_worker_is_killed(
    tmp_path, postgres_server
):
    """`newsbot ingest` reads feeds into the database two `newsbot run` workers share while
    they match the new articles (one at a time, under the matching job's lock) and send the
    alerts; one worker is killed with -9 as alerts arrive and started again. Every alert the
    subscriptions call for arrives, none twice but the piece a kill caught, none that they do
    not call for; every article is stored once and matched once."""
    plan = SMALL_PLAN
    url = postgres_server.create_database()
    subscribe_chats(url, plan)
    site = await StaticSite().start()
    feeds = serve_feeds(site, plan)
    expected = len(plan.expected())
    async with FakeBotApi(token=TOKEN) as api:
        api.slow_down("sendMessage", 0.02)
        workers = postgres_workers(tmp_path, api, url, alerts_sweep_seconds=1)
        ingest = IngestProcess(tmp_path / "ingest", url, feeds)
        try:
            for worker in workers:
                await worker.start()
            await ingest.start()
            await until_accepted(api, expected // 3, timeout=INGEST_SECONDS)
            await workers[0].kill()
            await workers[0].start()
            assert await ingest.finish(INGEST_SECONDS) == 0, ingest.stderr
            await until_ingested_and_sent(url, INGEST_SECONDS)
        finally:
            await ingest.stop()
            for worker in workers:
                await worker.stop()
            await site.stop()
        logs = {f"worker-{n}": tmp_path / f"worker-{n}" / "newsbot.log" for n in range(2)}
        result = tally_ingest(api, url, plan, logs)
    articles = plan.matching + plan.filler
    assert ingest.new_articles() == result.articles == articles
    assert result.passages == result.vectors and result.queued == 0
    assert (result.delivered, result.lost, result.unexpected) == (expected, 0, 0)
    assert result.statuses == {"sent": expected} and result.deliveries == expected
    assert result.resent <= workers[0].kills
    # Matched once each (a kill between an article's commit and its log line hides one).
    assert result.matched_twice == 0
    assert articles - workers[0].kills <= result.matched_articles <= articles


def failing_first_topic(svc):
    """The matcher's quote fails for good for the first topic it is asked about (a bug, a
    passage that cannot be quoted): that alert cannot be prepared."""
    failing: list[str] = []
    real = svc.matcher.quote

    def quote(passage_id: int, topic_query: str):
        failing[:] = failing or [topic_query]
        if topic_query == failing[0]:
            raise RuntimeError("cannot quote this one")
        return real(passage_id, topic_query)

    svc.matcher.quote = quote


async def test_an_alert_that_cannot_be_prepared_is_counted_and_lets_the_rest_through(
    api, launch, tmp_path, seed
):
    bot = await launch(bot_settings(tmp_path / "data", api, alerts__retry_seconds=60.0))
    for chat, topic in ((USER_ID, "ceasefire talks"), (5151, "zelensky putin meeting")):
        api.user_message(chat, f"/subscribe {topic}")
        await api.wait_for(sent_to(chat), timeout=SLOW)
    failing_first_topic(bot.services)
    await bot.ingest([seed])
    # The first alert claimed fails while being prepared; the other is sent meanwhile.
    await until(
        lambda: (
            len([r for r in api.sent if r.text.startswith("🔔")]) == 1
            and bot.query("SELECT attempts FROM deliveries WHERE status = 'pending'")
            == [{"attempts": 1}]
        )
    )
    waiting = bot.query(
        "SELECT last_error, next_attempt_at FROM deliveries WHERE status = 'pending'"
    )
    assert waiting[0]["last_error"] == "could not prepare: RuntimeError: cannot quote this one"
    assert (
        waiting[0]["next_attempt_at"]
        > bot.query("SELECT MAX(sent_at) AS t FROM deliveries")[0]["t"]
    )


async def test_a_digest_item_that_cannot_be_prepared_waits_while_the_digest_goes_out(
    api, launch, tmp_path, seed
):
    bot = await launch(
        bot_settings(
            tmp_path / "data", api, alerts__digest_minutes=0.02, alerts__retry_seconds=60.0
        )
    )
    for topic in ("ceasefire talks", "zelensky putin meeting"):  # two forum topics
        since = len(api.sent)
        api.group_message(
            FORUM, f"/subscribe {topic}", user_id=OWNER_USER_ID, message_thread_id=len(topic)
        )
        await api.wait_for(sent_to(FORUM), since=since, timeout=SLOW)
    api.group_message(FORUM, "/digest on", user_id=OWNER_USER_ID)
    failing_first_topic(bot.services)
    await bot.ingest([seed])
    digest = await api.wait_for(
        lambda r: r.chat_id == FORUM and r.text.startswith("📰"), timeout=SLOW
    )
    assert digest.text.startswith("📰 Your digest: 1 new article")
    expected = [{"status": "pending", "attempts": 1}, {"status": "sent", "attempts": 1}]
    await until(
        lambda: bot.query("SELECT status, attempts FROM deliveries ORDER BY status") == expected
    )
