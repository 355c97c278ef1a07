"""When are two articles one story? The `stories.same_story_cosine` default
(benchmarks/README.md "What's new (issue 21)"), chosen on RealTimeQA train and reported on dev.

    .venv/bin/python benchmarks/same_story.py [--backend torch|onnx-int8] [--smoke]

Pairs of articles published at most a day apart: "the same story" when both are gold
articles of one RealTimeQA question (both hold its answer: the same event, told by two
outlets or twice by one), "different stories" when they share no question's gold set and were
published the same day. Each article is represented as the bot represents it when it clusters
a listing: the vector of its opening passage (title and first words, as embedded at ingest).
The default is the lowest threshold whose merges are right 95% of the time on train (a
wrong merge hides a story; a missed one lists it twice); precision and recall on dev show what
it does on questions it was not chosen on.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
from measuring import DATA, add_backend_argument, machine, make_bare_embedder

from config import load_settings
from index.text.passages import chunk_text

THRESHOLDS = np.round(np.arange(0.30, 0.96, 0.05), 3)
PRECISION = 0.95


def load(split: str, limit: int | None) -> tuple[dict[str, dict], list[set[str]]]:
    data = DATA / "realtimeqa"
    with gzip.open(data / f"realtimeqa-{split}-articles.jsonl.gz", "rt") as lines:
        articles = {row["url"]: row for row in map(json.loads, lines)}
    with gzip.open(data / f"realtimeqa-{split}-questions.jsonl.gz", "rt") as lines:
        golds = [set(q["gold_urls"]) & articles.keys() for q in map(json.loads, lines)]
    golds = [g for g in golds if len(g) >= 2][:limit]
    return articles, golds


def day(row: dict) -> date:
    return date.fromisoformat(row["published"].replace("/", "-")[:10])


def pairs(articles: dict[str, dict], golds: list[set[str]]) -> tuple[set, set]:
    used = set().union(*golds)
    same = set()
    for gold in golds:
        for a, b in itertools.combinations(sorted(gold), 2):
            if abs((day(articles[a]) - day(articles[b])).days) <= 1:
                same.add((a, b))
    together = {p for g in golds for p in itertools.combinations(sorted(g), 2)}
    by_day: dict[date, list[str]] = {}
    for url in sorted(used):
        by_day.setdefault(day(articles[url]), []).append(url)
    different = {
        p for urls in by_day.values() for p in itertools.combinations(urls, 2) if p not in together
    }
    return same, different


def opening_vectors(articles: dict[str, dict], urls: set[str], embedder) -> dict[str, np.ndarray]:
    passages = load_settings(env={}).passages
    urls = sorted(urls)
    texts = []
    for url in urls:
        row = articles[url]
        spans = chunk_text(row["text"], passages)
        first = row["text"][spans[0].start : spans[0].end] if spans else row["text"][:800]
        texts.append(f"{row['title']}\n{first}")
    vectors = embedder.encode(texts)
    return dict(zip(urls, vectors, strict=True))


def scores(same: set, different: set, vectors: dict) -> tuple[np.ndarray, np.ndarray]:
    cos = lambda p: float(vectors[p[0]] @ vectors[p[1]])  # noqa: E731
    return np.array([cos(p) for p in same]), np.array([cos(p) for p in different])


def quality(positive: np.ndarray, negative: np.ndarray, threshold: float) -> tuple:
    tp = int((positive >= threshold).sum())
    fp = int((negative >= threshold).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(positive) if len(positive) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_backend_argument(parser)
    parser.add_argument("--smoke", action="store_true", help="30 questions per split")
    args = parser.parse_args()
    limit = 30 if args.smoke else None
    print(machine())
    with tempfile.TemporaryDirectory(prefix="newsbot-same-story-") as work:
        embedder = make_bare_embedder(args.backend, Path(work))
        measured = {}
        for split in ("train", "dev"):
            articles, golds = load(split, limit)
            same, different = pairs(articles, golds)
            used = {u for p in same | different for u in p}
            measured[split] = scores(same, different, opening_vectors(articles, used, embedder))
            print(f"{split}: {len(same):,} same-story pairs, {len(different):,} different")
    train = measured["train"]
    # A wrong merge hides a story, a missed one only lists it twice: the default is the
    # lowest threshold whose merges are right 95% of the time on train.
    best = min(t for t in THRESHOLDS if quality(*train, t)[0] >= PRECISION)
    print("threshold  train P / R / F1        dev P / R / F1")
    for threshold in THRESHOLDS:
        p, r, f = quality(*train, threshold)
        dp, dr, df = quality(*measured["dev"], threshold)
        mark = f"  <- lowest with precision >= {PRECISION} on train" if threshold == best else ""
        print(
            f"{threshold:9.3f}  {p:.3f} / {r:.3f} / {f:.3f}   {dp:.3f} / {dr:.3f} / {df:.3f}{mark}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
