"""Memory (benchmarks/README.md "Performance"): peak RSS of the bot's process with the model loaded and the
archive open, after answering questions.

    .venv/bin/python benchmarks/memory.py --data-dir DIR [--backend torch|onnx-int8]
        [--questions 50] [--smoke]

Run it once per archive (a fresh process each time, as peak RSS only grows). The process
does what a starting bot does: builds the python-telegram-bot Application (every handler,
the rate limiter), opens the services exactly as `post_init` does (archive, reconcile with
SQLite, model warm-up, subscriptions, outbox, alert matcher), then answers questions on
worker threads as the handlers do. Only the Telegram connection is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measuring import (
    REPO,
    SpeedOnlyEmbedder,
    add_backend_argument,
    build_smoke_archive,
    machine,
    make_bare_embedder,
    peak_rss_mb,
    rtqa_questions,
)

from config import load_settings
from index.storage import metadata_path

# Well-formed but never used: nothing here talks to Telegram.
DUMMY_TOKEN = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    add_backend_argument(parser)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--smoke", action="store_true", help="a tiny archive, for CI")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsbot-memory-") as work:
        if args.smoke:
            data_dir = Path(work) / "data"
            questions = rtqa_questions(5)
        else:
            if args.data_dir is None:
                parser.error("--data-dir is required unless --smoke")
            data_dir = args.data_dir
            questions = rtqa_questions(args.questions)
        if args.backend == "onnx-int8":
            export_in_a_child(data_dir)
        began = time.perf_counter()
        embedder = make_bare_embedder(args.backend, data_dir)
        after_model = current_rss_mb()
        if args.smoke:
            build_smoke_archive(data_dir, embedder, articles=3).save_vectors()
        built_with = metadata_path(data_dir / "vectors.faiss")
        model = json.loads(built_with.read_text())["model"]
        if model != embedder.model_name:
            embedder = SpeedOnlyEmbedder(embedder, model)
        settings = load_settings(
            env={}, overrides={"data_dir": str(data_dir), "telegram.token": DUMMY_TOKEN}
        )
        services = asyncio.run(start_bot(settings, embedder))
        opened = time.perf_counter() - began
        after_open = current_rss_mb()
        asyncio.run(answer_all(services, questions))
        print(f"machine: {machine()}")
        print(
            f"archive: {services.archive.vectors.count} passages, "
            f"{services.archive.vectors.kind} index, backend {args.backend}"
        )
        print(f"RSS after loading the model: {after_model:.0f} MB")
        print(f"RSS with the bot's services open: {after_open:.0f} MB (started in {opened:.0f} s)")
        print(f"RSS after {len(questions)} answers: {current_rss_mb():.0f} MB")
        print(f"peak RSS: {peak_rss_mb():.0f} MB (goal <= 3072 MB at 1M passages)")
    return 0


def export_in_a_child(data_dir: Path) -> None:
    """Make the int8 model file where the bot finds it, in another process: a bot that
    starts with the file in place never imports torch, and neither should this one."""
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from index.embedding.embedder import packaged_model_path;"
        "from index.embedding.onnx_int8 import OnnxInt8Embedder;"
        "OnnxInt8Embedder(packaged_model_path(), Path(sys.argv[2]), 1).load()"
    )
    subprocess.run([sys.executable, "-c", code, str(REPO), str(data_dir)], check=True)


async def start_bot(settings, embedder):
    """Build the Application and open its services as post_init does (no Telegram calls)."""
    from bot.app import build_application
    from bot.services import BotServices

    build_application(settings, embedder)
    return await asyncio.to_thread(BotServices.open, settings, embedder)


async def answer_all(services, questions) -> None:
    for question, asked in questions:
        await asyncio.to_thread(services.answerer.answer, question, asked)


if __name__ == "__main__":
    sys.exit(main())
