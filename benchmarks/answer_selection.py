"""Fit and cross-validate the answer-selection model (retrieval/selection.py) on RealTimeQA dev.

    .venv/bin/python benchmarks/answer_selection.py --cache-dir /work/cache/eval \
        --set embedding.cache_path=/work/cache/embeddings.sqlite [--pool 12] [--folds 5]

Every dev question is searched exactly as the Answerer searches (same archive as
benchmarks/quality.py, built there first), and every sentence of every candidate becomes a
row of retrieval.selection.FEATURES, labelled by whether it holds the answer string. A logistic
model is fitted in k folds split by question; every figure printed is for questions the fold's
model never saw. The weights fitted on all questions are printed last: they are the product's
(retrieval/selection.py DEFAULT_MODEL). Abstention is measured as the suite measures it (a
seeded half asked without the articles holding its answer), from the same held-out scores.
Figures: benchmarks/README.md "Answer quality".
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from config import load_settings  # noqa: E402
from index.clock import utc_now  # noqa: E402
from index.embedding.sentence_vectors import SentenceVectors  # noqa: E402
from retrieval.answer_types import question_cues  # noqa: E402
from retrieval.evaluation import datasets  # noqa: E402
from retrieval.evaluation.holdout import ArchiveWithout  # noqa: E402
from retrieval.evaluation.runner import answer_articles, seeded_half  # noqa: E402
from retrieval.evaluation.suite import suite_embedder  # noqa: E402
from retrieval.marking_rule import term_weights  # noqa: E402
from retrieval.search import HybridSearcher, diversify  # noqa: E402
from retrieval.selection import FEATURES, sentence_features  # noqa: E402
from retrieval.text_terms import content_terms  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "realtimeqa"
WORDS_ONLY = [i for i, f in enumerate(FEATURES) if "cosine" not in f or f == "passage_cosine"]
# The features the first version had: what the later ones add is measured against it.
FIRST = list(range(11))
# Tried and dropped (they raised RealTimeQA marked@1 by ~1 point and cost XQuAD 7-8):
# "lede" (the article's first sentence) and "new_names" (names and numbers the question
# lacks): news habits that do not hold for other text.


# The two-stage variant's passage model: search evidence and the best sentence on each account.
PASSAGE_FEATURES = (
    "passage_cosine",
    "log_recency",
    "dense_rank",
    "lexical_rank",
    "best_cosine",
    "best_coverage",
    "best_cover_x_cosine",
    "best_centred_cosine",
    "best_words_score",  # coverage x length, the rule words alone used to rank by
)


def passage_features(rows: np.ndarray) -> np.ndarray:
    """One row of PASSAGE_FEATURES from a passage's sentence rows (FEATURES)."""
    column = {name: i for i, name in enumerate(FEATURES)}
    length = (6 - 5 * rows[:, column["short"]]) / 6
    return np.array(
        [
            rows[0, column["passage_cosine"]],
            rows[0, column["log_recency"]],
            rows[0, column["dense_rank"]],
            rows[0, column["lexical_rank"]],
            rows[:, column["cosine"]].max(),
            rows[:, column["coverage"]].max(),
            rows[:, column["cover_x_cosine"]].max(),
            rows[:, column["centred_cosine"]].max(),
            (rows[:, column["coverage"]] * length).max(),
        ],
        dtype=np.float32,
    )


@dataclass
class Passage:
    article_id: str
    text: str
    spans: tuple
    rows: np.ndarray  # FEATURES per sentence, cosines from the stored (late-chunked) vectors
    labels: np.ndarray  # per sentence: holds the answer
    holds: bool  # the passage holds it
    alone: np.ndarray | None = None  # the same rows with each sentence embedded on its own


@dataclass
class Asked:
    id: str
    answer: str
    passages: list[Passage]  # the search's pool, in its order
    unanswerable: bool = False


def ask(archive, settings, question, pool: int, alone: bool, label) -> list[Passage]:
    """The question searched as the Answerer searches it; `label(passage, (a, b))` says
    whether a sentence (offsets into the passage text) holds the answer."""
    searcher = HybridSearcher(archive.store, settings.retrieval)
    terms = content_terms(question.question)
    vector = archive.embedder.encode([question.question])[0]
    scope = searcher.lexical_scope(archive.vectors.count)
    as_of = question.as_of or utc_now()
    candidates = searcher.search(archive.vectors, vector, terms, as_of, pool, scope=scope)
    weights = term_weights(
        terms, archive.store.document_frequencies(terms, scope.after_id), scope.passages
    )
    stored = archive.store.sentence_vectors([c.passage.id for c in candidates])
    out = []
    for candidate in candidates:
        passage = candidate.passage
        cues = question_cues(question.question)
        spans, rows = sentence_features(candidate, vector, weights, cues, stored.get(passage.id))
        alone_rows = None
        if alone:
            own = SentenceVectors(
                spans, archive.embedder.encode([passage.text[a:b] for a, b in spans])
            )
            alone_rows = sentence_features(candidate, vector, weights, cues, own)[1]
        labels = np.array([label(passage, span) for span in spans])
        whole = (0, len(passage.text))
        out.append(
            Passage(
                passage.article_id,
                passage.text,
                spans,
                rows,
                labels,
                label(passage, whole),
                alone_rows,
            )
        )
    return out


def holds_string(answer: str):
    answer = answer.lower()
    return lambda passage, span: bool(answer) and answer in passage.text[span[0] : span[1]].lower()


def holds_offset(article_id: str, start: int):
    """XQuAD: the sentence of the right paragraph holding the answer span's first character."""

    def label(passage, span) -> bool:
        a, b = passage.start + span[0], passage.start + span[1]
        return passage.article_id == article_id and a <= start < b

    return label


def collect(args, settings) -> list[Asked]:
    embedder = suite_embedder(settings, args.cache_dir)
    articles = datasets.load_articles(args.articles)
    key = datasets.archive_key(datasets.file_digest(args.articles), settings)
    if not args.build and not (args.cache_dir / f"rtqa-{key}" / "READY").exists():
        sys.exit("no complete dev archive in --cache-dir: run benchmarks/quality.py first")
    archive = datasets.prepared_archive("rtqa", articles, key, settings, args.cache_dir, embedder)
    questions = datasets.load_questions(args.questions)
    removed = seeded_half(questions, args.seed)
    holding = answer_articles(articles, [q for q in questions if q.id in removed])
    asked = []
    for number, q in enumerate(questions, 1):
        label = holds_string(q.answer or "")
        passages = ask(archive, settings, q, args.pool, args.alone, label)
        asked.append(Asked(q.id, q.answer or "", passages))
        if q.id in removed:
            view = ArchiveWithout(archive, holding[q.id])
            passages = ask(view, settings, q, args.pool, args.alone, label)
            asked.append(Asked(q.id, q.answer or "", passages, True))
        if number % 100 == 0:
            print(f"  {number}/{len(questions)} questions", file=sys.stderr)
    return asked


def collect_xquad(args, settings) -> list[Asked]:
    embedder = suite_embedder(settings, args.cache_dir)
    articles, questions = datasets.load_xquad(args.xquad)
    ids = {a.text: a.id for a in articles}
    key = datasets.archive_key(datasets.file_digest(args.xquad), settings)
    archive = datasets.prepared_archive("xquad", articles, key, settings, args.cache_dir, embedder)
    asked = []
    for q in questions:
        label = holds_offset(ids[q.article_text], q.answer_start)
        alone = args.alone or args.alone_xquad
        asked.append(Asked(q.id, q.answer or "", ask(archive, settings, q, 12, alone, label)))
    return asked


def fit(rows: np.ndarray, labels: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000, class_weight=None)
    model.fit(rows, labels)
    return model.coef_[0], float(model.intercept_[0])


def shown(a: Asked, per_passage: list[np.ndarray], per_article: int) -> list[int]:
    """The indices of the passages the bot would show, best first, as the Answerer keeps them."""
    order = sorted(
        range(len(a.passages)), key=lambda i: per_passage[i].max(initial=0), reverse=True
    )
    passages = a.passages
    return diversify(order, lambda i: (passages[i].article_id, passages[i].text), per_article, 5)


def evaluate(asked: list[Asked], scores: dict[int, list[np.ndarray]], per_article: int, neighbour):
    """@1/@3/@5, marked@1 and sentences marked, over answerable questions; and the evidence
    (best passage score) of every question for the abstention curve."""
    hits = {1: [], 3: [], 5: []}
    marked, marked_sentences, evidence = [], [], []
    for index, a in enumerate(asked):
        per_passage = scores[index]
        kept = shown(a, per_passage, per_article)
        best = per_passage[kept[0]].max(initial=0) if kept else 0.0
        evidence.append(best)
        if a.unanswerable:
            continue
        for k in hits:
            hits[k].append(any(a.passages[i].holds for i in kept[:k]))
        if not kept:
            marked.append(False)
            marked_sentences.append(0)
            continue
        p = a.passages[kept[0]]
        s = per_passage[kept[0]]
        chosen = [int(s.argmax())]
        # Only the sentence after it: the reply starts at the answering sentence.
        following = chosen[0] + 1
        if (
            neighbour is not None
            and following < len(s)
            and s[following] >= neighbour * s[chosen[0]]
        ):
            chosen.append(following)
        marked.append(bool(p.labels[chosen].any()))
        marked_sentences.append(len(chosen))
    out = {f"at{k}": float(np.mean(v)) for k, v in hits.items()}
    out["marked_at1"] = float(np.mean(marked))
    out["marked_sentences"] = float(np.mean(marked_sentences))
    return out, np.array(evidence)


def abstention(asked: list[Asked], evidence: np.ndarray, at5: list[bool]) -> dict:
    """The highest threshold keeping ≥ 0.90 of the right @5 answerable questions, and the
    share of unanswerable ones abstained at it."""
    right = np.array(
        [e for a, e, ok in zip(asked, evidence, at5, strict=True) if not a.unanswerable and ok]
    )
    unanswerable = np.array([e for a, e in zip(asked, evidence, strict=True) if a.unanswerable])
    threshold = float(np.quantile(right, 0.10)) if len(right) else 0.0
    return {
        "threshold": round(threshold, 4),
        "kept": float(np.mean(right >= threshold)),
        "abstained": float(np.mean(unanswerable < threshold)),
    }


def right_at5(asked, scores, per_article) -> list[bool]:
    flags = []
    for index, a in enumerate(asked):
        kept = shown(a, scores[index], per_article)
        flags.append(any(a.passages[i].holds for i in kept[:5]))
    return flags


def features(p: Passage, variant: str) -> np.ndarray:
    if variant == "alone":
        return p.alone
    if variant == "words":
        return p.rows[:, WORDS_ONLY]
    if variant == "first":
        return p.rows[:, FIRST]
    if variant.startswith("without "):
        dropped = {FEATURES.index(name) for name in variant.removeprefix("without ").split("+")}
        return p.rows[:, [i for i in range(len(FEATURES)) if i not in dropped]]
    return p.rows


def fit_on(asked: list[Asked], variant: str, pool: int, c: float = 1.0):
    train = [a for a in asked if not a.unanswerable]
    rows = np.vstack([features(p, variant) for a in train for p in a.passages[:pool]])
    labels = np.concatenate([p.labels for a in train for p in a.passages[:pool]])
    return fit(rows, labels, c)


def scored(asked: list[Asked], variant: str, pool: int, weights, bias) -> dict:
    return {
        index: [
            1 / (1 + np.exp(-(features(p, variant) @ weights + bias))) for p in a.passages[:pool]
        ]
        for index, a in enumerate(asked)
    }


def trimmed(asked: list[Asked], pool: int) -> list[Asked]:
    return [Asked(a.id, a.answer, a.passages[:pool], a.unanswerable) for a in asked]


def fit_two_stage(asked: list[Asked], variant: str, pool: int):
    """A passage model (PASSAGE_FEATURES, label: the passage holds the answer) and a sentence
    model trained within the passages that hold it (which of its sentences does)."""
    train = [a for a in asked if not a.unanswerable]
    passages = [p for a in train for p in a.passages[:pool]]
    passage_model = fit(
        np.vstack([passage_features(p.rows) for p in passages]),
        np.array([p.holds for p in passages]),
        1.0,
    )
    holding = [p for p in passages if p.holds and p.labels.any()]
    sentence_model = fit(
        np.vstack([features(p, variant) for p in holding]),
        np.concatenate([p.labels for p in holding]),
        1.0,
    )
    return passage_model, sentence_model


def scored_two_stage(asked, variant, pool, models, by_rule=False) -> dict:
    (pw, pb), (sw, sb) = models
    rule = previous_rule(asked, pool) if by_rule else None
    out = {}
    for index, a in enumerate(asked):
        out[index] = []
        for number, p in enumerate(a.passages[:pool]):
            if rule is not None:
                passage = rule[index][number].max()
            else:
                passage = 1 / (1 + np.exp(-(passage_features(p.rows) @ pw + pb)))
            sentence = 1 / (1 + np.exp(-(features(p, variant) @ sw + sb)))
            out[index].append(passage * sentence / sentence.max())
    return out


def cross_validate(asked, variant, folds, pool, per_article, following, seed=0):
    """Figures for questions each fold's model never saw (folds split by question)."""
    ids = sorted({a.id for a in asked})
    rng = np.random.default_rng(seed)
    fold_of = dict(zip(ids, rng.permutation(len(ids)) % folds, strict=True))
    scores: dict[int, list[np.ndarray]] = {}
    by_rule = variant.startswith("rule+")
    variant = variant.removeprefix("rule+")
    two_stage = by_rule or variant.startswith("two-stage")
    variant = variant.removeprefix("two-stage ").removeprefix("two-stage")
    for fold in range(folds):
        train = [a for a in asked if fold_of[a.id] != fold]
        held = {i: a for i, a in enumerate(asked) if fold_of[a.id] == fold}
        if two_stage:
            models = fit_two_stage(train, variant or "late", pool)
            for index, a in held.items():
                scores[index] = scored_two_stage([a], variant or "late", pool, models, by_rule)[0]
            continue
        weights, bias = fit_on(train, variant, pool)
        for index, a in held.items():
            scores[index] = scored([a], variant, pool, weights, bias)[0]
    cut = trimmed(asked, pool)
    figures, evidence = evaluate(cut, scores, per_article, following)
    figures.update(abstention(cut, evidence, right_at5(cut, scores, per_article)))
    return figures


def previous_rule(asked: list[Asked], pool: int) -> dict:
    """The rule before the model, by words alone: passages by recency x (0.6 cosine + 0.4 best
    sentence coverage x length), the sentence by coverage x length. The anchor the model is
    compared with on the same candidates."""
    column = {name: i for i, name in enumerate(FEATURES)}
    scores = {}
    for index, a in enumerate(asked):
        scores[index] = []
        for p in a.passages[:pool]:
            r = p.rows
            length = (6 - 5 * r[:, column["short"]]) / 6
            sentence = r[:, column["coverage"]] * length
            recency = np.exp(r[0, column["log_recency"]])
            passage = recency * (
                0.6 * max(r[0, column["passage_cosine"]], 0) + 0.4 * sentence.max()
            )
            scores[index].append(passage + 1e-4 * sentence)
    return scores


def cached(path: Path, build):
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = build()
    path.write_bytes(pickle.dumps(value))
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=Path, default=DATA / "realtimeqa-dev-questions.jsonl.gz"
    )
    parser.add_argument("--articles", type=Path, default=DATA / "realtimeqa-dev-articles.jsonl.gz")
    parser.add_argument(
        "--xquad", type=Path, default=REPO.parent / "shared" / "data" / "xquad" / "xquad.en.json"
    )
    parser.add_argument("--cache-dir", type=Path, default=Path("newsbot-eval"))
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--pool", type=int, default=30, help="candidates searched per question")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--pools", type=int, nargs="+", default=[12, 20], help="pool sizes to compare"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--build", action="store_true", help="ingest the archive if --cache-dir lacks it"
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="FEATURE[+FEATURE]",
        help="also measure the model without these features",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="only these variants (late, first, words, alone, 'without X', 'two-stage [V]')",
    )
    parser.add_argument(
        "--alone-xquad",
        action="store_true",
        help="also score XQuAD with each sentence embedded alone (the dev-fitted weights)",
    )
    parser.add_argument("--alone", action="store_true", help="also embed each sentence alone")
    parser.add_argument(
        "--json", type=Path, default=REPO / "benchmarks" / "out" / "answer_selection.json"
    )
    args = parser.parse_args()
    settings = load_settings(overrides=dict(item.split("=", 1) for item in args.set))
    key = datasets.archive_key(datasets.file_digest(args.articles), settings)
    suffix = f"{args.pool}-{int(args.alone)}-{key}.pickle"
    asked = cached(args.cache_dir / f"selection-rtqa-{suffix}", lambda: collect(args, settings))
    xquad_suffix = f"{args.pool}-{int(args.alone or args.alone_xquad)}-{key}.pickle"
    xquad = cached(
        args.cache_dir / f"selection-xquad-{xquad_suffix}", lambda: collect_xquad(args, settings)
    )
    per_article = settings.retrieval.max_per_article
    variants = args.variant or ["late", "first", "words"] + (["alone"] if args.alone else [])
    variants += [f"without {name}" for name in args.without]
    results = {}
    for pool in args.pools:
        scores = previous_rule(asked, pool)
        cut = trimmed(asked, pool)
        figures, evidence = evaluate(cut, scores, per_article, None)
        figures.update(abstention(cut, evidence, right_at5(cut, scores, per_article)))
        xq, _ = evaluate(trimmed(xquad, 12), previous_rule(xquad, 12), 1, None)
        figures["xquad_marked_at1"] = xq["marked_at1"]
        results[f"previous rule, pool {pool}"] = figures
        print(
            f"previous rule, pool {pool}",
            json.dumps({k: round(v, 3) for k, v in figures.items()}),
            flush=True,
        )
    for variant in variants:
        for pool in args.pools:
            if pool > args.pool:
                continue
            for following in (None, 0.6):
                figures = cross_validate(asked, variant, args.folds, pool, per_article, following)
                if variant.startswith(("two-stage", "rule+")):
                    by_rule = variant.startswith("rule+")
                    inner = variant.removeprefix("rule+").removeprefix("two-stage").strip()
                    models = fit_two_stage(asked, inner or "late", pool)
                    xquad_scores = scored_two_stage(xquad, inner or "late", 12, models, by_rule)
                else:
                    weights, bias = fit_on(asked, variant, pool)
                    xquad_scores = scored(xquad, variant, 12, weights, bias)
                xq, _ = evaluate(trimmed(xquad, 12), xquad_scores, 1, following)
                figures["xquad_marked_at1"] = xq["marked_at1"]
                label = f"{variant}, pool {pool}, following {following}"
                results[label] = figures
                print(label, json.dumps({k: round(v, 3) for k, v in figures.items()}), flush=True)
    models = fit_two_stage(asked, "late", 12)
    if xquad and xquad[0].passages and xquad[0].passages[0].alone is not None:
        for following in (None, 0.6):
            scores = {
                "late": scored_two_stage(xquad, "late", 12, models, True),
                "alone": scored_two_stage(xquad, "alone", 12, models, True),
            }
            for name, xquad_scores in scores.items():
                xq, _ = evaluate(trimmed(xquad, 12), xquad_scores, 1, following)
                label = f"XQuAD, rule+{name}, following {following} (dev-fitted weights)"
                results[label] = xq
                print(label, json.dumps({k: round(v, 3) for k, v in xq.items()}), flush=True)
    (passage_weights, passage_bias), (weights, bias) = models
    print("sentence model fitted on every question (within passages holding the answer):")
    print("  weights=(" + ", ".join(f"{w:.4f}" for w in weights) + f"), bias={bias:.4f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"cross_validated": results, "weights": [float(w) for w in weights], "bias": bias},
            indent=2,
            default=float,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
