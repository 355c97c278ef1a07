"""The whole quality suite: RealTimeQA (with ablations and the abstention run), XQuAD, seed.

Archives are built once per articles file and stored settings (see datasets), and every
text is embedded through the embedding cache, so a run with other retrieval settings costs
only the questions.
"""

from __future__ import annotations

import logging
import os
import platform
import random
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path

from config import Settings
from index.embedding import Embedder, make_embedder
from retrieval import answer as answer_module
from retrieval import marking_rule as marking_module
from retrieval import reading as reading_module
from retrieval import selection as selection_module
from retrieval.answer import bars
from retrieval.evaluation.datasets import (
    EvalQuestion,
    archive_key,
    file_digest,
    load_articles,
    load_questions,
    load_xquad,
    prepared_archive,
)
from retrieval.evaluation.holdout import ArchiveWithout
from retrieval.evaluation.quotes import quote_precision
from retrieval.evaluation.runner import (
    MODES,
    abstention,
    accuracy,
    answer_articles,
    ask_all,
    seed_check,
    seeded_half,
    xquad_marking,
)
from retrieval.reader import load_reader

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SuitePlan:
    """What to measure; a None path skips that part."""

    questions: Path | None = None
    articles: Path | None = None
    xquad: Path | None = None
    seed_article: Path | None = None
    seed_questions: Path | None = None
    modes: tuple[str, ...] = tuple(MODES)
    limit: int | None = None  # a seeded sample of this many questions per set
    with_abstention: bool = True
    seed: int = 0
    cache_dir: Path = Path("newsbot-eval")
    extra: dict[str, object] = field(default_factory=dict)


def suite_embedder(settings: Settings, cache_dir: Path) -> Embedder:
    """The configured embedder, always behind a cache (the suite's own when none is set)."""
    embedding = settings.embedding
    if not embedding.cache_path:
        embedding = replace(embedding, cache_path=str(cache_dir / "embeddings.sqlite"))
    return make_embedder(embedding, cache_dir)


def sample(questions: list[EvalQuestion], limit: int | None, seed: int) -> list[EvalQuestion]:
    """A seeded sample of `limit` questions, kept in file order."""
    if limit is None or limit >= len(questions):
        return questions
    chosen = set(random.Random(seed).sample(range(len(questions)), limit))
    return [q for i, q in enumerate(questions) if i in chosen]


def run_suite(settings: Settings, plan: SuitePlan, embedder: Embedder | None = None) -> dict:
    """Every part the plan names; returns the report (also what benchmarks/quality.json holds)."""
    cache_dir = plan.cache_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    embedder = embedder or suite_embedder(settings, cache_dir)
    threshold, bar = bars(settings.retrieval)
    # One reader for every Answerer of the run: it loads once.
    reader = load_reader() if settings.retrieval.reader else None
    ask = partial(ask_all, reader=reader)
    report: dict = {"settings": describe_settings(settings), "machine": describe_machine()}
    if plan.extra:
        report["extra"] = plan.extra
    if plan.questions and plan.articles:
        report["realtimeqa"] = _realtimeqa(settings, plan, embedder, ask)
    if plan.xquad:
        articles, questions = load_xquad(plan.xquad)
        questions = sample(questions, plan.limit, plan.seed)
        archive = prepared_archive(
            "xquad",
            articles,
            archive_key(file_digest(plan.xquad), settings),
            settings,
            cache_dir,
            embedder,
        )
        results = ask(archive, settings.retrieval, questions, label="xquad")
        report["xquad"] = xquad_marking(results, questions, threshold)
    if plan.seed_article and plan.seed_questions:
        questions = load_questions(plan.seed_questions)
        archive = prepared_archive(
            "seed",
            load_articles(plan.seed_article),
            archive_key(file_digest(plan.seed_article), settings),
            settings,
            cache_dir,
            embedder,
        )
        results = ask(
            archive, settings.retrieval, questions, depth=settings.retrieval.quotes, label="seed"
        )
        report["seed"] = seed_check(results, questions, threshold, bar)
    return report


def _realtimeqa(settings: Settings, plan: SuitePlan, embedder: Embedder, ask) -> dict:
    threshold, bar = bars(settings.retrieval)
    assert plan.questions and plan.articles
    questions = sample(load_questions(plan.questions), plan.limit, plan.seed)
    articles = load_articles(plan.articles)
    digest = file_digest(plan.articles)
    archive = prepared_archive(
        "rtqa", articles, archive_key(digest, settings), settings, plan.cache_dir, embedder
    )
    out: dict = {
        "questions": len(questions),
        "articles": len(articles),
        "passages": archive.store.passage_summary()[0],
        "modes": {},
    }
    full = None
    for name in plan.modes:
        results = ask(archive, settings.retrieval, questions, MODES[name], label=name)
        out["modes"][name] = accuracy(results, threshold, bar)
        if name == "hybrid":
            full = results
            out["quotes"] = quote_precision(results, threshold, bar, settings.retrieval.quotes)
    if plan.with_abstention:
        if full is None:
            full = ask(archive, settings.retrieval, questions, label="hybrid")
        out["abstention"] = _abstention(
            archive, settings, questions, articles, full, plan.seed, ask
        )
    return out


def _abstention(archive, settings, questions, articles, full, seed, ask) -> dict:
    """Each question of a seeded half is asked of the archive without the articles holding its
    own answer. (Leaving out the articles of all their answers at once would empty the archive:
    answers such as "Iran" or "Bear" occur in most articles.)"""
    threshold = bars(settings.retrieval)[0]
    removed = seeded_half(questions, seed)
    holding = answer_articles(articles, [q for q in questions if q.id in removed])
    unanswerable = []
    for q in questions:
        if q.id in removed:
            view = ArchiveWithout(archive, holding[q.id])
            unanswerable += ask(view, settings.retrieval, [q])
    union = set().union(*holding.values()) if holding else set()
    return {
        "seed": seed,
        "articles_removed_mean": round(
            sum(len(ids) for ids in holding.values()) / max(len(holding), 1), 1
        ),
        "articles_holding_any_removed_answer": len(union),
        **abstention(full, unanswerable, removed, threshold),
    }


def describe_settings(settings: Settings) -> dict:
    """Everything that shapes an answer, including the tuned constants of retrieval/."""
    return {
        "passages": asdict(settings.passages),
        "retrieval": asdict(settings.retrieval),
        "embedding_backend": settings.embedding.backend,
        "constants": {
            "answer.POOL": answer_module.POOL,
            "marking_rule.DEFAULT_WEIGHTS": asdict(marking_module.DEFAULT_WEIGHTS),
            "selection.FEATURES": list(selection_module.FEATURES),
            "selection.DEFAULT_MODEL": asdict(selection_module.DEFAULT_MODEL),
            "selection.FOLLOWING_RATIO": selection_module.FOLLOWING_RATIO,
            "selection.DENSE_SHARE": selection_module.DENSE_SHARE,
            "reading.DEFAULT_COMBINATION": asdict(reading_module.DEFAULT_COMBINATION),
        },
    }


def describe_machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }
