"""Property: whatever Telegram answers, in whatever order (accepted, 429, dropped connection,
5xx, 400, or accepted with the answer lost), the real sender sends the pieces of each alert
in order, never sends an accepted piece again (except the piece whose answer was lost), ends
every alert in the state its pieces tell, and leaves nothing pending.

PTB's ExtBot against the FakeBotApi on 127.0.0.1 (both started once, on an event loop in a
thread of their own) and a SQLite outbox in a temporary directory per example, no
Application and no model; the outbox's clock is moved on between rounds so backoff and flood
waits take no real time.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.workers import drain_outbox
from config import load_settings
from index.backends.sqlite import open_database
from index.state import ChatSettingsStore, DeliveryOutbox
from newsbot_testing.fake_bot_api import FakeBotApi
from newsbot_testing.harness import TOKEN
from newsbot_testing.sender_process import PlannedAlert, write_outbox

ANSWERS = st.sampled_from([None, None, "network", "429", "500", "400", "lost-answer"])
ROUNDS = 100


class SteppingClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def telegram():
    """(run a coroutine on the loop, the fake server, the bot), for the whole module."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    api = FakeBotApi(token=TOKEN)
    run(api.start())
    # No rate limiter: its 30 messages a second would be most of the run, and the sender
    # asks it for no retries anyway. No TLS to 127.0.0.1, so no certificates to load.
    request = HTTPXRequest(httpx_kwargs={"verify": False})
    bot = ExtBot(TOKEN, base_url=api.base_url, request=request)
    run(bot.initialize())
    yield run, api, bot
    run(bot.shutdown())
    run(api.stop())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


@given(sizes=st.lists(st.integers(1, 3), min_size=1, max_size=4), answers=st.lists(ANSWERS))
def test_any_sequence_of_telegram_answers_resends_no_accepted_piece(telegram, sizes, answers):
    run, api, bot = telegram
    alerts = [
        PlannedAlert(1000 + n, tuple(f"alert {n} piece {k}" for k in range(size)))
        for n, size in enumerate(sizes)
    ]
    api.clear_faults()
    api.sent.clear()
    api.requests.clear()
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(deliver(api, bot, Path(tmp), alerts, answers))
    lost_answers = sum(1 for r in api.requests if r.fault == "lost-answer")
    arrived = Counter((r.chat_id, r.text) for r in api.sent)
    assert sum(n - 1 for n in arrived.values()) <= lost_answers
    for alert, (status, pieces_sent) in zip(alerts, rows, strict=True):
        order = list(dict.fromkeys(r.text for r in api.sent if r.chat_id == alert.chat_id))
        assert order == list(alert.pieces[: len(order)])  # in order, none skipped
        assert len(order) in (pieces_sent, pieces_sent + 1)  # +1: its answer was lost
        assert len(order) == pieces_sent or lost_answers
        expected = (
            "sent" if pieces_sent == len(alert.pieces) else ("partial" if pieces_sent else "failed")
        )
        assert status == expected


async def deliver(
    api: FakeBotApi,
    bot: ExtBot,
    data_dir: Path,
    alerts: list[PlannedAlert],
    answers: list[str | None],
) -> list[tuple]:
    write_outbox(data_dir, alerts)
    clock = SteppingClock()
    settings = load_settings(
        env={},
        overrides={
            "data_dir": str(data_dir),
            "alerts.send_interval_seconds": 0.0,
            "alerts.retry_seconds": 1.0,
            "alerts.retry_max_seconds": 2.0,
        },
    )
    database = open_database(data_dir / "newsbot.db")
    svc = SimpleNamespace(
        outbox=DeliveryOutbox(database, clock),
        chat_settings=ChatSettingsStore(database),  # no chat set any: alerts as ever
        settings=settings,
        flood_until=None,
    )
    skipped = 0
    for answer in answers:
        if answer is None:
            skipped += 1
            continue
        api.fail_next("sendMessage", answer, retry_after=1, after=skipped)
        skipped = 0
    for _ in range(ROUNDS):
        svc.flood_until = None
        await drain_outbox(bot, svc, "worker")
        if not await asyncio.to_thread(lambda: svc.outbox.counts().get("pending")):
            break
        clock.now += timedelta(seconds=5)  # past any backoff, flood wait or lease
    return await asyncio.to_thread(
        lambda: (
            svc.outbox.database.connection()
            .execute("SELECT status, pieces_sent FROM deliveries ORDER BY id")
            .fetchall()
        )
    )
