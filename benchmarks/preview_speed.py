"""The /subscribe preview (benchmarks/README.md "Topic alert preview"): time to screen a topic,
with its suggestions, against the archive's recent stories (retrieval/alerts/preview.py).

    .venv/bin/python benchmarks/preview_speed.py --background DIR [--max-articles 2000]
        [--backend torch|onnx-int8] [--smoke]

The archive is a copy of --background (e.g. the RealTimeQA dev archive, ~70k passages), every
story in it counting as stored this week; `preview_topic` is timed for topics as people type
them (broad, a name, one that matches nothing, one that floods), each after the matcher has
learnt its topic profiles and the week's stories were read (the bot reads both once, at
start, and keeps them; that first reading is timed apart). Figures: the slowest and median preview, and what each topic found.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from alerts_speed import copy_background
from measuring import add_backend_argument, build_smoke_archive, machine, make_bare_embedder

from config import load_settings
from index import NewsArchive
from retrieval.alerts import AlertMatcher, RecentStories, parse_topic, preview_topic

TOPICS = (
    "sports",
    "politics",
    "business and money",
    "NFL",
    "Taylor Swift",
    "entertainment",
    "ceasefire talks +ukraine",
    "quantum chromodynamics",
    "world",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--background", type=Path, help="the archive to preview against")
    parser.add_argument(
        "--max-articles", type=int, default=None, help="alerts.preview_max_articles"
    )
    add_backend_argument(parser)
    parser.add_argument("--smoke", action="store_true", help="a dozen articles, built here")
    args = parser.parse_args()
    if not args.smoke and args.background is None:
        parser.error("--background is needed unless --smoke")

    with tempfile.TemporaryDirectory(prefix="newsbot-preview-") as work:
        data_dir = Path(work) / "data"
        embedder = make_bare_embedder(args.backend, Path(work) / "models")
        if args.smoke:
            build_smoke_archive(data_dir, embedder)
        else:
            embedder = copy_background(args.background, data_dir, embedder)
        overrides = {"data_dir": str(data_dir), "embedding.backend": args.backend}
        if args.max_articles:
            overrides["alerts.preview_max_articles"] = args.max_articles
        settings = load_settings(env={}, overrides=overrides)
        archive = NewsArchive(settings, embedder=embedder)
        state = archive.open_state()
        matcher = AlertMatcher(archive, state.subscriptions, state.outbox, settings.alerts)
        print(machine())
        print(
            f"archive: {archive.store.counts()['articles']:,} articles, "
            f"{archive.vectors.count:,} passages; "
            f"preview_max_articles {settings.alerts.preview_max_articles:,}"
        )
        started = time.perf_counter()
        matcher.profiles.refresh_if_due()
        print(f"topic profiles' sample read once: {time.perf_counter() - started:.2f} s")
        stories = RecentStories(matcher, settings.alerts)
        started = time.perf_counter()
        stories.read()
        print(f"the week's stories read once (at start): {time.perf_counter() - started:.2f} s")

        timings = []
        for text in TOPICS:
            started = time.perf_counter()
            preview = preview_topic(matcher, parse_topic(text), settings.alerts, stories)
            timings.append(time.perf_counter() - started)
            hints = ", ".join(f"{s.topic} ({s.matched})" for s in preview.suggestions)
            print(
                f"{text!r:32} {timings[-1]:6.2f} s  {preview.matched:5,} of "
                f"{preview.screened:,}{' (capped)' if preview.capped else ''}"
                f"{'  FLOOD' if preview.flood else ''}{'  NONE' if preview.none else ''}"
                f"  {hints}"
            )
        print(f"preview: median {statistics.median(timings):.2f} s, slowest {max(timings):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
