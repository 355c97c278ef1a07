"""Answer quality on PostgreSQL against SQLite + FAISS, on the same archive (benchmarks/README.md
"Scale-out"): the RealTimeQA dev questions asked of an archive in a data directory and of its
copy in PostgreSQL (`newsbot migrate --to URL`), @1/@3/@5, marked@1 and abstention for both.

    .venv/bin/python benchmarks/quality_postgres.py --sqlite DEV --postgres-dir COPY --url URL \\
        [--limit N] [--backend onnx-int8]

DEV is the dev archive as the quality harness stores it; COPY the data directory `newsbot
migrate` ran from (PostgreSQL keeps the rows; the directory only its write lock). `newsbot
eval` builds its own archives in files, so it cannot be pointed at a database: this is the
same measurement (`retrieval.evaluation` ask_all, accuracy, abstention) on archives given.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from measuring import make_bare_embedder  # noqa: E402

from config import load_settings  # noqa: E402
from index import NewsArchive  # noqa: E402
from retrieval.evaluation.datasets import load_articles, load_questions  # noqa: E402
from retrieval.evaluation.holdout import ArchiveWithout  # noqa: E402
from retrieval.evaluation.runner import (  # noqa: E402
    abstention,
    accuracy,
    answer_articles,
    ask_all,
    seeded_half,
)
from retrieval.evaluation.suite import sample  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "realtimeqa"


def measure(archive: NewsArchive, questions, articles, seed: int, label: str) -> dict:
    settings = archive.settings.retrieval
    threshold = settings.abstain_below
    full = ask_all(archive, settings, questions, label=label)
    removed = seeded_half(questions, seed)
    holding = answer_articles(articles, [q for q in questions if q.id in removed])
    unanswerable = []
    for q in questions:
        if q.id in removed:
            unanswerable += ask_all(ArchiveWithout(archive, holding[q.id]), settings, [q])
    figures = accuracy(full, threshold)
    held = abstention(full, unanswerable, removed, threshold)
    return {
        **{k: figures[k] for k in ("at1", "at3", "at5", "marked_at1") if k in figures},
        "abstained": held["unanswerable_abstained"],
        "kept": held["answers_kept"],
        "seconds_p50": sorted(r.seconds for r in full)[len(full) // 2],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=Path, required=True, help="the archive's data directory")
    parser.add_argument("--postgres-dir", type=Path, required=True)
    parser.add_argument("--url", required=True, help="the PostgreSQL copy of the same archive")
    parser.add_argument(
        "--questions", type=Path, default=DATA / "realtimeqa-dev-questions.jsonl.gz"
    )
    parser.add_argument("--articles", type=Path, default=DATA / "realtimeqa-dev-articles.jsonl.gz")
    parser.add_argument("--limit", type=int, help="a sample of the questions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    questions = sample(load_questions(args.questions), args.limit, args.seed)
    articles = load_articles(args.articles)
    out = {}
    with tempfile.TemporaryDirectory(prefix="newsbot-quality-pg-") as work:
        embedder = make_bare_embedder(args.backend, Path(work) / "models")
        for label, overrides in (
            ("SQLite + FAISS", {"data_dir": str(args.sqlite)}),
            ("PostgreSQL", {"data_dir": str(args.postgres_dir), "storage.url": args.url}),
        ):
            archive = NewsArchive(load_settings(env={}, overrides=overrides), embedder=embedder)
            out[label] = measure(archive, questions, articles, args.seed, label)
            print(label, json.dumps({k: round(v, 4) for k, v in out[label].items()}), flush=True)
    deltas = {
        k: round(out["PostgreSQL"][k] - out["SQLite + FAISS"][k], 4) for k in out["PostgreSQL"]
    }
    print("PostgreSQL - SQLite:", json.dumps(deltas))
    if args.json:
        args.json.write_text(json.dumps({"results": out, "difference": deltas}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
