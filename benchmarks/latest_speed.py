"""What's new (benchmarks/README.md "What's new (issue 21)"): time to build the /latest and
/today replies and an inline answer, as the bot's handlers build them, Telegram left out.

    .venv/bin/python benchmarks/latest_speed.py --background DIR [--questions 200]
        [--backend torch|onnx-int8] [--smoke]

The archive is a copy of --background (e.g. the RealTimeQA dev archive, 68,756 passages; the
copy is migrated, the original never written), opened as the bot opens it (BotServices).
Timed, each `--runs` times after one warm-up:
- /latest: page 1 and page 3 (each page is worked out again from the newest story);
- /latest <topic>: a topic from the archive's headlines (embeds the topic, hybrid search);
- /today: the archive's last day, and a busy day of it (the day with most articles);
- inline: `inline_results` for --questions RealTimeQA dev questions, and as many questions
  about stored headlines (answered whatever the archive holds), none cached (embedding,
  hybrid search, sentence marking, the cards' HTML).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from measuring import (
    add_backend_argument,
    format_ms,
    machine,
    percentiles,
    rtqa_questions,
    smoke_or_background,
)

from bot.handlers.inline import inline_results
from bot.handlers.whatsnew import latest_page, listing_html
from bot.services import BotServices
from bot.views.help import example_questions
from retrieval import read_time

TOPICS = ("Taylor Swift", "ceasefire talks", "inflation and interest rates", "NFL playoffs")


def timed(call: Callable[[], object], runs: int) -> dict[str, float]:
    call()  # warm-up: caches the bot keeps between requests
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return percentiles(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--background", type=Path, help="the archive to list from")
    parser.add_argument("--questions", type=int, default=200, help="inline questions timed")
    parser.add_argument("--runs", type=int, default=50, help="runs of each listing")
    add_backend_argument(parser)
    parser.add_argument("--smoke", action="store_true", help="a dozen articles, built here")
    args = parser.parse_args()
    if not args.smoke and args.background is None:
        parser.error("--background is needed unless --smoke")
    if args.smoke:
        args.questions, args.runs = 3, 3

    with tempfile.TemporaryDirectory(prefix="newsbot-latest-") as work:
        settings, embedder = smoke_or_background(
            args.smoke, args.background, Path(work), args.backend
        )
        svc = BotServices.open(settings, embedder)
        counts = svc.archive.store.counts()
        now = svc.stories.now()
        print(machine())
        print(
            f"archive: {counts['articles']:,} articles ({counts['duplicates']:,} near-copies), "
            f"{svc.archive.vectors.count:,} passages ({svc.archive.vectors.kind}); "
            f"its now: {now:%Y-%m-%d %H:%M} UTC"
        )
        report(svc, now, args)
    return 0


def report(svc: BotServices, now: datetime, args: argparse.Namespace) -> None:
    def page(topic: str, number: int) -> Callable[[], object]:
        return lambda: latest_page(svc, "token", topic, now, number)

    for name, call in (("/latest page 1", page("", 0)), ("/latest page 3", page("", 2))):
        print(f"{name:28} {format_ms(timed(call, args.runs))}")
    for topic in TOPICS[: 1 if args.smoke else len(TOPICS)]:
        figures = timed(page(topic, 0), max(args.runs // 5, 3))
        print(f"{'/latest ' + topic:28} {format_ms(figures)}")

    busiest = busiest_day(svc, now)
    count = svc.settings.stories.digest_stories
    for label, day in (("/today (last day)", "today"), (f"/today {busiest}", busiest)):
        asked = read_time(day, now)
        shown = svc.router.digest(asked, now, count, day)
        figures = timed(
            lambda a=asked, d=day: listing_html(svc.router.digest(a, now, count, d)), args.runs
        )
        print(f"{label:28} {format_ms(figures)}  ({len(shown.stories)} stories)")

    dev = [q for q, _ in rtqa_questions(args.questions)]
    headlines = headline_questions(svc, args.questions)
    for name, questions in (("dev questions", dev), ("headline questions", headlines)):
        seconds, empty = [], 0
        for question in questions:
            started = time.perf_counter()
            cards = inline_results(svc, question, svc.settings.conversation.inline_results)
            seconds.append(time.perf_counter() - started)
            empty += cards[0].id in ("none", "error")
        print(
            f"{'inline, ' + name:28} {format_ms(percentiles(seconds))}"
            f"  ({len(questions)}, {empty} without an answer)"
        )


def headline_questions(svc: BotServices, count: int) -> list[str]:
    """Questions the archive answers whatever it holds: the example questions the bot makes
    from stored headlines (a synthetic archive answers few RealTimeQA questions)."""
    titles = [s.title for s in svc.archive.store.stories("", "9999", count * 20)]
    return example_questions(random.Random(7).sample(titles, min(count, len(titles))), count)


def busiest_day(svc: BotServices, now: datetime) -> str:
    """The day of the last 90 that holds the most articles (ISO date)."""
    since = (now - timedelta(days=90)).date().isoformat()
    days: dict[str, int] = {}
    for record in svc.archive.store.stories(
        since, "9999", svc.settings.stories.digest_articles * 4
    ):
        key = (record.published or "")[:10]
        days[key] = days.get(key, 0) + 1
    if not days:
        return datetime.now(UTC).date().isoformat()
    return max(days, key=lambda d: days[d])


if __name__ == "__main__":
    sys.exit(main())
