"""The real bot (`python -m bot.cli run`) as a subprocess sending a prepared outbox to a FakeBotApi
in this process, and the tally of what arrived: used by the kill -9 test and by
benchmarks/alerts_reliability.py.

The outbox rows are written straight into the database with their pieces already rendered (the
sender sends a stored body as it is), so no model is needed to make a thousand alerts. The
database is a data directory's SQLite file, or a PostgreSQL URL that several senders share.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index.backends.sqlite import open_database
from index.clock import timestamp
from newsbot_testing.fake_bot_api import FakeBotApi
from newsbot_testing.harness import TOKEN
from newsbot_testing.processes import newsbot_env, spawn_newsbot

REFUSED_MARK = "⛔"  # the fake refuses (400) any piece holding it


@dataclass(frozen=True)
class PlannedAlert:
    chat_id: int
    pieces: tuple[str, ...]
    thread_id: int | None = None

    @property
    def expected(self) -> tuple[str, ...]:
        """The pieces that must arrive: all, or those before a refused one."""
        for index, piece in enumerate(self.pieces):
            if REFUSED_MARK in piece:
                return self.pieces[:index]
        return self.pieces

    @property
    def expected_status(self) -> str:
        if len(self.expected) == len(self.pieces):
            return "sent"
        return "partial" if self.expected else "failed"


def plan_alerts(
    count: int, chats: int, *, multi_share: float = 0.3, refused_share: float = 0.0, seed: int = 0
) -> list[PlannedAlert]:
    """`count` alerts spread over `chats` private chats; a share has 2-4 pieces, and a share
    holds a piece the fake refuses (so it must end partial or failed, never resent)."""
    rng = random.Random(seed)
    alerts = []
    for n in range(count):
        size = rng.randint(2, 4) if rng.random() < multi_share else 1
        pieces = [f"🔔 alert {n}, piece {k + 1} of {size}" for k in range(size)]
        if rng.random() < refused_share:
            at = rng.randrange(size)
            pieces[at] += f" {REFUSED_MARK}"
        alerts.append(PlannedAlert(chat_id=1000 + n % chats, pieces=tuple(pieces)))
    return alerts


Outbox = Path | str  # a data directory, or a postgresql:// URL


def _rows(outbox: Outbox, sql: str, many: Sequence[tuple] = ()) -> list[tuple]:
    """Run `sql` (written with ? marks) on the outbox's database: once, or once per row of
    `many`; the rows it returns."""
    if isinstance(outbox, str):
        import psycopg

        with psycopg.connect(outbox, autocommit=True) as conn, conn.cursor() as cursor:
            sql = sql.replace("?", "%s")
            if many:
                cursor.executemany(sql, many)
                return []
            return cursor.execute(sql).fetchall()
    with sqlite3.connect(outbox / "newsbot.db", timeout=30) as conn:
        if many:
            conn.executemany(sql, many)
            return []
        return conn.execute(sql).fetchall()


def write_outbox(outbox: Outbox, alerts: list[PlannedAlert]) -> None:
    """Pending outbox rows with pre-rendered bodies, as the matcher and renderer leave them."""
    if not isinstance(outbox, str):
        open_database(outbox / "newsbot.db")  # the schema, made as the bot makes it
    now = timestamp()
    _rows(
        outbox,
        """INSERT INTO deliveries (chat_id, thread_id, article_id, score, status, attempts,
           next_attempt_at, created_at, body) VALUES (?, ?, ?, 1.0, 'pending', 0, ?, ?, ?)""",
        [
            (a.chat_id, a.thread_id, f"article-{n}", now, now, json.dumps(list(a.pieces)))
            for n, a in enumerate(alerts)
        ],
    )


def refuse_marked_pieces(api: FakeBotApi) -> None:
    api.fail_matching("sendMessage", "400", lambda params: REFUSED_MARK in params.get("text", ""))


class SenderProcess:
    """`newsbot run` on `data_dir`, talking to `api`; settings as NEWSBOT_* variables."""

    def __init__(self, data_dir: Path, api: FakeBotApi, **settings: object) -> None:
        self.env = newsbot_env(
            data_dir,
            TELEGRAM_BOT_TOKEN=TOKEN,
            NEWSBOT_TELEGRAM_API_URL=api.base_url,
            **{f"NEWSBOT_{k.upper()}": str(v) for k, v in settings.items()},
        )
        self.process: asyncio.subprocess.Process | None = None
        self.kills = 0

    async def start(self) -> None:
        self.process = await spawn_newsbot("run", env=self.env, output=asyncio.subprocess.DEVNULL)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, whatever was in flight stays as it was."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills += 1

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def outbox_statuses(outbox: Outbox) -> Counter:
    return Counter(dict(_rows(outbox, "SELECT status, COUNT(*) FROM deliveries GROUP BY status")))


def claimers(outbox: Outbox) -> int:
    """How many workers hold claims at this moment."""
    return _rows(outbox, "SELECT COUNT(DISTINCT claimed_by) FROM deliveries")[0][0]


async def until_settled(outbox: Outbox, timeout: float) -> Counter:
    """Wait until no row is pending; the final statuses."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (statuses := await asyncio.to_thread(outbox_statuses, outbox))["pending"]:
        if loop.time() > deadline:
            return statuses
        await asyncio.sleep(0.2)
    return statuses


async def until_accepted(api: FakeBotApi, count: int, timeout: float) -> None:
    """Wait until Telegram (the fake) has accepted `count` messages in all."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(api.sent) < count:
        if loop.time() > deadline:
            raise AssertionError(f"{len(api.sent)} of {count} messages within {timeout} s")
        await asyncio.sleep(0.01)


@dataclass(frozen=True)
class Tally:
    alerts: int
    delivered: int  # every expected piece arrived, and the row says what happened
    lost: int  # an expected piece never arrived
    pieces_resent: int  # arrivals beyond the first of a piece
    duplicate_pieces: int  # distinct pieces that arrived more than once
    wrong: int  # the row's status is not what happened, or a piece arrived that should not
    statuses: dict[str, int]


def resent_at_kills(api: FakeBotApi, kill_marks: list[int]) -> int:
    """Pieces sent again whose first arrival was the last message accepted before a kill (the
    mark is len(api.sent) at the kill): the window between acceptance and its record."""
    first: dict[tuple, int] = {}
    counts: Counter = Counter()
    for position, record in enumerate(api.sent):
        key = (record.chat_id, record.message_thread_id, record.text)
        first.setdefault(key, position)
        counts[key] += 1
    return sum(1 for key, n in counts.items() if n > 1 and first[key] + 1 in kill_marks)


def tally(api: FakeBotApi, outbox: Outbox, alerts: list[PlannedAlert]) -> Tally:
    arrived = Counter(
        (r.chat_id, r.message_thread_id, r.text) for r in api.sent if r.method == "sendMessage"
    )
    status_of = dict(_rows(outbox, "SELECT article_id, status FROM deliveries"))
    delivered = lost = wrong = 0
    for n, alert in enumerate(alerts):
        keys = [(alert.chat_id, alert.thread_id, piece) for piece in alert.expected]
        extra = [
            p for p in alert.pieces[len(keys) :] if arrived[(alert.chat_id, alert.thread_id, p)]
        ]
        if extra:
            wrong += 1
        elif all(arrived[key] for key in keys):
            if status_of.get(f"article-{n}") == alert.expected_status:
                delivered += 1
            else:
                wrong += 1
        else:
            lost += 1
    return Tally(
        alerts=len(alerts),
        delivered=delivered,
        lost=lost,
        pieces_resent=sum(count - 1 for count in arrived.values()),
        duplicate_pieces=sum(1 for count in arrived.values() if count > 1),
        wrong=wrong,
        statuses=dict(Counter(status_of.values())),
    )
