"""The reader's ablation (issue 20): no reader / passages only / sentences only / both, by the
number of passages read and of sentences read in each, with 5-fold cross-validation by
question on RealTimeQA dev; XQuAD scored with the weights fitted on every dev question.

    .venv/bin/python benchmarks/reader_ablation.py --archive DIR [--reader-weights DIR] \\
        [--limit N] [--read 12] [--folds 5]

Every dev question is searched exactly as the Answerer searches (pool 12, the rule's ranking,
at most two passages per article); the sentence model scores every sentence of the best
`--read` passages and the reader reads all of them, once. Each variant is then played out on
those numbers as retrieval/answer.py plays it (retrieval/reading.py), the combination weights
fitted on the other folds' questions: a passage is right when it holds the answer string, a
marked sentence when it does; abstention as the suite measures it (a seeded half asked without
the articles holding its answer; the highest bar keeping 0.90 of the right answers @5), and
quote precision as retrieval/evaluation/quotes.py counts it (the later-quote bar calibrated the
same way). The weights fitted on every question for the `--fit` variant are printed last:
retrieval/reading.py DEFAULT_COMBINATION. Figures: benchmarks/README.md "The reader (issue 20)".
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.answer_selection import holds_offset, holds_string  # noqa: E402
from benchmarks.reader_cv import Asked, Read, evaluate_variant, fit_combination  # noqa: E402
from config import load_settings  # noqa: E402
from index import NewsArchive  # noqa: E402
from index.clock import utc_now  # noqa: E402
from retrieval.answer_types import question_cues  # noqa: E402
from retrieval.evaluation import datasets  # noqa: E402
from retrieval.evaluation.holdout import ArchiveWithout  # noqa: E402
from retrieval.evaluation.quotes import answers, normalised_url  # noqa: E402
from retrieval.evaluation.runner import answer_articles, seeded_half  # noqa: E402
from retrieval.evaluation.suite import sample, suite_embedder  # noqa: E402
from retrieval.marking_rule import term_weights  # noqa: E402
from retrieval.reader import load_reader  # noqa: E402
from retrieval.reading import reader_logits  # noqa: E402
from retrieval.search import HybridSearcher, diversify  # noqa: E402
from retrieval.selection import DEFAULT_MODEL, choose_sentence, rank_passages  # noqa: E402
from retrieval.text_terms import content_terms  # noqa: E402

DATA = Path(os.environ.get("NEWSBOT_SHARED_DATA", REPO.parent / "shared" / "data"))
POOL = 12


@dataclass
class Timer:
    seconds: float = 0.0
    sentences: int = 0


def read_question(archive, settings, reader, question, depth, label, relevant, timer) -> list[Read]:
    """The question as the Answerer asks it, its best `depth` passages read."""
    searcher = HybridSearcher(archive.store, settings.retrieval)
    terms = content_terms(question.question)
    vector = archive.embedder.encode([question.question])[0]
    scope = searcher.lexical_scope(archive.vectors.count)
    as_of = question.as_of or utc_now()
    candidates = searcher.search(archive.vectors, vector, terms, as_of, POOL, scope=scope)
    weights = term_weights(
        terms, archive.store.document_frequencies(terms, scope.after_id), scope.passages
    )
    stored = archive.store.sentence_vectors([c.passage.id for c in candidates])
    ranked = diversify(
        rank_passages(candidates, weights, stored, len(vector)),
        lambda p: (p.candidate.passage.article_id, p.candidate.passage.text),
        settings.retrieval.max_per_article,
        len(candidates),
    )
    cues = question_cues(question.question)
    choices = [choose_sentence(p, vector, cues, DEFAULT_MODEL) for p in ranked[:depth]]
    started = time.perf_counter()
    logits = reader_logits(reader, question.question, choices, 0) if choices else []
    timer.seconds += time.perf_counter() - started
    timer.sentences += sum(len(c.spans) for c in choices)
    out = []
    for choice, own in zip(choices, logits, strict=True):
        passage = choice.candidate.passage
        out.append(
            Read(
                article_id=passage.article_id,
                rule=choice.score,
                model=choice.probabilities.astype(np.float32),
                reader=own,
                labels=np.array([label(passage, span) for span in choice.spans]),
                holds=label(passage, (0, len(passage.text))),
                relevant=relevant(passage.article_id),
            )
        )
    return out


def collect_dev(args, settings, reader, archive) -> list[Asked]:
    articles = datasets.load_articles(args.articles)
    questions = sample(datasets.load_questions(args.questions), args.limit, 0)
    removed = seeded_half(questions, 0)
    holding = answer_articles(articles, [q for q in questions if q.id in removed])
    timer, asked = Timer(), []
    for number, q in enumerate(questions, 1):
        gold = frozenset(normalised_url(u) for u in q.gold_urls)

        def relevant(article_id, q=q, gold=gold):
            return answers(archive.store.article(article_id), q.answer, gold)

        label = holds_string(q.answer or "")
        asked.append(
            Asked(
                q.id,
                read_question(archive, settings, reader, q, args.read, label, relevant, timer),
            )
        )
        if q.id in removed:
            view = ArchiveWithout(archive, holding[q.id])
            found = read_question(view, settings, reader, q, args.read, label, relevant, timer)
            asked.append(Asked(q.id, found, unanswerable=True))
        if number % 50 == 0:
            print(
                f"  {number}/{len(questions)} questions; reader {timer.seconds:.0f} s "
                f"for {timer.sentences} sentences",
                file=sys.stderr,
                flush=True,
            )
    return asked


def collect_xquad(args, settings, reader) -> list[Asked]:
    embedder = suite_embedder(settings, args.cache_dir)
    articles, questions = datasets.load_xquad(args.xquad)
    questions = sample(questions, args.limit, 0)
    ids = {a.text: a.id for a in articles}
    key = datasets.archive_key(datasets.file_digest(args.xquad), settings)
    archive = datasets.prepared_archive("xquad", articles, key, settings, args.cache_dir, embedder)
    timer = Timer()
    return [
        Asked(
            q.id,
            read_question(
                archive,
                settings,
                reader,
                q,
                args.read,
                holds_offset(ids[q.article_text], q.answer_start),
                lambda _: False,
                timer,
            ),
        )
        for q in questions
    ]


def cached(path: Path, build):
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = build()
    path.write_bytes(pickle.dumps(value))
    return value


VARIANTS = {
    "no reader": (False, False),
    "passages only": (True, False),
    "sentences only": (False, True),
    "both": (True, True),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, required=True, help="the dev archive directory")
    parser.add_argument("--cache-dir", type=Path, default=Path("/work/cache/eval"))
    parser.add_argument(
        "--questions", type=Path, default=DATA / "realtimeqa/realtimeqa-dev-questions.jsonl.gz"
    )
    parser.add_argument(
        "--articles", type=Path, default=DATA / "realtimeqa/realtimeqa-dev-articles.jsonl.gz"
    )
    parser.add_argument("--xquad", type=Path, default=DATA / "xquad/xquad.en.json")
    parser.add_argument("--reader-weights", type=Path, default=None)
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--read", type=int, default=12, help="passages read per question")
    parser.add_argument("--depths", type=int, nargs="+", default=[3, 6, 12])
    parser.add_argument("--sentences", type=int, nargs="+", default=[0, 3])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="a seeded sample of questions")
    parser.add_argument("--label", default="", help="names the cached readings")
    parser.add_argument(
        "--fit",
        type=int,
        nargs=2,
        default=None,
        metavar=("DEPTH", "SENTENCES"),
        help="the variant whose weights to fit on every dev question (default: deepest, all)",
    )
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks/out/reader_ablation.json")
    args = parser.parse_args()
    settings = load_settings(overrides=dict(item.split("=", 1) for item in args.set))
    reader = load_reader(args.reader_weights)
    archive = NewsArchive(
        settings.replace(data_dir=args.archive), embedder=suite_embedder(settings, args.cache_dir)
    )
    tag = f"{args.label}-{args.read}-{args.limit}"
    asked = cached(
        args.cache_dir / f"reader-dev-{tag}.pickle",
        lambda: collect_dev(args, settings, reader, archive),
    )
    xquad = cached(
        args.cache_dir / f"reader-xquad-{tag}.pickle", lambda: collect_xquad(args, settings, reader)
    )
    results = {}
    per_article = settings.retrieval.max_per_article
    quotes = settings.retrieval.quotes
    for name, (rerank, mark) in VARIANTS.items():
        for depth in args.depths if (rerank or mark) else [0]:
            for sentences in args.sentences if (rerank or mark) else [0]:
                label = f"{name}, read {depth}, sentences {sentences or 'all'}"
                figures = evaluate_variant(
                    asked, xquad, rerank, mark, depth, sentences, args.folds, per_article, quotes
                )
                results[label] = figures
                print(label, json.dumps({k: round(v, 3) for k, v in figures.items()}), flush=True)
    depth, sentences = args.fit or (max(args.depths), 0)
    combination = fit_combination([a for a in asked if not a.unanswerable], depth, sentences)
    print(f"fitted on every dev question (read {depth}, sentences {sentences}):", combination)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"cross_validated": results, "combination": repr(combination)}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
