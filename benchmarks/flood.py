"""Flooding: how much one user sending many questions at once delays another user's answer.

    .venv/bin/python benchmarks/flood.py [--backend torch|onnx-int8] [--flood 60] [--rounds 3]
        [--no-limit] [--smoke]

Runs the real bot (the Application of `bot.app.build_application`, every handler, the rate
limiter, long polling) against the fake Bot API server of the tests on 127.0.0.1, over an
archive holding the bundled sample article. First another user asks alone a few times
(baseline), then in each round a new user sends `--flood` questions at once and the other
user asks one right after; the time from the update to the bot's answer is measured.
`--no-limit` lifts the question limit (as the bot was before it had one), for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from measuring import REPO, add_backend_argument, machine, make_bare_embedder

from config import load_settings
from index import Ingestor, NewsArchive
from index.sources import read_file
from newsbot_testing.fake_bot_api import FakeBotApi
from newsbot_testing.harness import TOKEN, start_bot

QUESTION = "What condition did Zelensky set?"
OTHER_USER = 900_001
SAMPLE = REPO / "index" / "samples" / "zelensky-putin-meeting.txt"


async def answer_latency(api: FakeBotApi, user: int) -> float:
    since = len(api.sent)
    started = time.perf_counter()
    api.user_message(user, QUESTION)
    await api.wait_for(lambda r: r.chat_id == user and r.method == "sendMessage", 120, since=since)
    return time.perf_counter() - started


async def measure(args, data_dir: Path, embedder) -> dict[str, list[float]]:
    overrides = {
        "data_dir": str(data_dir),
        "telegram.token": TOKEN,
        "alerts.feed_poll_minutes": 600.0,
    }
    if args.no_limit:
        overrides.update({"telegram.questions_per_minute": 1e6, "telegram.question_burst": 10**6})
    async with FakeBotApi(token=TOKEN) as api:
        settings = load_settings(env={}, overrides={**overrides, "telegram.api_url": api.base_url})
        bot = await start_bot(settings, api, embedder)
        try:
            await answer_latency(api, OTHER_USER - 1)  # warm up
            alone = [await answer_latency(api, OTHER_USER + n) for n in range(args.rounds)]
            flooded = []
            for round_ in range(args.rounds):
                flooder = 800_000 + round_
                for _ in range(args.flood):
                    api.user_message(flooder, QUESTION)
                flooded.append(await answer_latency(api, OTHER_USER + 100 + round_))
                await asyncio.sleep(args.settle)  # let the flooder's answers finish
        finally:
            await bot.stop()
    return {"alone": alone, "flooded": flooded}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_backend_argument(parser)
    parser.add_argument("--flood", type=int, default=60, help="questions the flooder sends")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between rounds")
    parser.add_argument("--no-limit", action="store_true", help="lift the question limit")
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.flood, args.rounds, args.settle = 10, 1, 0.5

    with tempfile.TemporaryDirectory(prefix="newsbot-flood-") as work:
        data_dir = Path(work) / "data"
        embedder = make_bare_embedder(args.backend, data_dir)
        archive = NewsArchive(
            load_settings(env={}, overrides={"data_dir": str(data_dir)}), embedder
        )
        Ingestor(archive).ingest(read_file(SAMPLE))
        figures = asyncio.run(measure(args, data_dir, embedder))

    print(f"machine: {machine()}")
    limit = "no limit" if args.no_limit else "the default limit"
    print(
        f"backend {args.backend}, {limit}, a flood of {args.flood} questions, {args.rounds} rounds"
    )
    for name, seconds in figures.items():
        print(
            f"other user's answer, {name:>7}: median {statistics.median(seconds):.2f} s,"
            f" max {max(seconds):.2f} s"
        )
    delay = statistics.median(figures["flooded"]) - statistics.median(figures["alone"])
    print(f"delay caused by the flood: {delay:+.2f} s (goal < 0.5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
