"""The reader model on its own (issue 20): sentence choice on XQuAD and RealTimeQA dev, and its
cost per question, without the answer pipeline (the integrated figures are benchmarks/quality.py).

    .venv/bin/python benchmarks/reader_model.py [--weights DIR ...] [--max-tokens 64 96]
    .venv/bin/python benchmarks/reader_model.py --smoke

For each weights directory (default: the committed retrieval/reader/weights):
- XQuAD sentence accuracy: the top-scored sentence of the question's paragraph holds the
  answer span (retrieval/reader/recipe/evaluate.py);
- RealTimeQA dev ranking over the gold articles' sentences and 3 look-alike articles': MRR
  and top-1 holds the answer string (dev is never trained on);
- ms per question scoring `--sentences` real dev sentences (int8 ONNX, 2 threads), per
  `--max-tokens` cut, median and p90 over the dev questions.
The word-overlap baseline is printed first. Figures: benchmarks/README.md "The reader (issue 20)".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retrieval.reader import OnnxReader, reader_text  # noqa: E402
from retrieval.reader.onnx_reader import WEIGHTS_DIR  # noqa: E402
from retrieval.reader.recipe.data import articles_by_url, read_jsonl  # noqa: E402
from retrieval.reader.recipe.evaluate import WordOverlap, dev_ranking, xquad_accuracy  # noqa: E402


def latency(reader: OnnxReader, questions: list[tuple[str, list[str]]]) -> dict:
    reader.score(*questions[0])  # load and warm up
    times = []
    for question, texts in questions:
        started = time.perf_counter()
        reader.score(question, texts)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "ms_p50": round(statistics.median(times), 2),
        "ms_p90": round(times[int(0.9 * (len(times) - 1))], 2),
    }


def latency_questions(data: Path, count: int, sentences: int) -> list[tuple[str, list[str]]]:
    """Dev questions with `sentences` sentences of their first gold article (padded from the
    next articles): a realistic mix of lengths."""
    folder = data / "realtimeqa"
    articles = articles_by_url(read_jsonl(folder / "realtimeqa-dev-articles.jsonl.gz"))
    pool = [s for a in articles.values() for s in a.sentences]
    out = []
    for n, q in enumerate(read_jsonl(folder / "realtimeqa-dev-questions.jsonl.gz")):
        if len(out) >= count:
            break
        gold = [s for u in q.get("gold_urls", []) if u in articles for s in articles[u].sentences]
        texts = (gold + pool[n * sentences : (n + 1) * sentences])[:sentences]
        out.append((q["question"], [reader_text(s) for s in texts]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, nargs="*", default=[WEIGHTS_DIR])
    parser.add_argument("--max-tokens", type=int, nargs="*", default=[])
    parser.add_argument("--sentences", type=int, default=24)
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime threads per run")
    parser.add_argument("--latency-questions", type=int, default=200)
    parser.add_argument("--no-quality", action="store_true", help="latency only")
    parser.add_argument("--smoke", action="store_true", help="a few questions of each, quickly")
    args = parser.parse_args()
    configured = os.environ.get("NEWSBOT_SHARED_DATA")
    data = Path(configured) if configured else REPO.parent / "shared" / "data"
    xquad_limit, dev_limit = (20, 10) if args.smoke else (None, None)
    timed = latency_questions(data, 10 if args.smoke else args.latency_questions, args.sentences)

    def quality(scorer) -> dict:
        if args.no_quality:
            return {}
        figures = xquad_accuracy(scorer, data / "xquad" / "xquad.en.json", xquad_limit)
        return figures | dev_ranking(scorer, data / "realtimeqa", limit=dev_limit)

    if not args.smoke:
        print(json.dumps({"scorer": "word overlap"} | quality(WordOverlap())), flush=True)
    for weights in args.weights:
        reader = OnnxReader(weights, threads=args.threads)
        reader.load()
        row = {"weights": str(weights), "layers": reader.settings.get("layers")}
        row |= quality(reader)
        row[f"ms_{args.sentences}_sentences_at_{reader.max_tokens}"] = latency(reader, timed)
        for cut in args.max_tokens:
            shorter = OnnxReader(weights, threads=args.threads, max_tokens=cut)
            row[f"ms_{args.sentences}_sentences_at_{cut}"] = latency(shorter, timed)
        print(json.dumps(row), flush=True)
        if args.smoke and not row.get("xquad_questions"):
            sys.exit("smoke: nothing measured")


if __name__ == "__main__":
    main()
