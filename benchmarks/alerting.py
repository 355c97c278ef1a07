"""What the topic alert benchmarks share (alerts_quality.py on BBC, alerts_sections.py on
RealTimeQA): precision/recall/F1, the single threshold with the best macro-F1, archives made
for a data directory with one model loaded once, subscriptions, and the deliveries the bot's
own matching put in the outbox. Archives are made without sentence vectors
(PassageVectorsOnly), so a half stored again takes its vectors from the shared cache."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from config import load_settings
from index import Ingestor, NewsArchive
from index.embedding import make_embedder
from index.state import Subscription, SubscriptionStore
from index.text import Article
from retrieval.alerts import AlertMatcher, ArticleEvidence, parse_topic


def add_common_arguments(parser, work_dir: str, threshold_from: str) -> None:
    """--work-dir, --cache-path, --json and --profile-threshold, as both benchmarks take them."""
    parser.add_argument("--work-dir", type=Path, default=Path(work_dir))
    parser.add_argument("--cache-path", help="the shared embedding cache file")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--profile-threshold",
        type=float,
        help=f"match with this profile threshold (chosen elsewhere: {threshold_from})",
    )


def prf(predicted: set[str], gold: set[str]) -> tuple[float, float, float]:
    hits = len(predicted & gold)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def best_threshold(
    scores: Mapping[str, Mapping[str, float]], gold: Mapping[str, set[str]]
) -> tuple[float, float]:
    """(threshold, macro-F1): the single value, the same for every topic, with the best
    macro-F1 when an article matches a topic at score >= threshold. `scores` is topic ->
    article id -> score (-inf: cannot match), `gold` topic -> the articles it should get."""
    values = np.concatenate([list(t.values()) for t in scores.values()])
    values = values[np.isfinite(values)]
    best = (-1.0, 0.0)
    for candidate in np.quantile(values, np.linspace(0.0, 1.0, 801)):
        macro = np.mean(
            [
                prf({i for i, s in t.items() if s >= candidate}, gold[k])[2]
                for k, t in scores.items()
            ]
        )
        if macro > best[0]:
            best = (float(macro), float(candidate))
    return best[1], best[0]


class PassageVectorsOnly:
    """An embedder presented without sentence pooling: the archive then takes passage
    vectors through `encode`, from the shared cache when it has them, and stores no sentence
    vectors (matching does not read them; with them every ingest runs the model again)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.inner.encode(texts)


class Archives:
    """Archives for data directories, all with one embedder (the model loads once), the
    shared embedding cache when given, and optional setting overrides."""

    def __init__(self, cache_path: str | None, overrides: Mapping[str, object] = ()) -> None:
        self.overrides = {**({"embedding.cache_path": cache_path} if cache_path else {})}
        self.overrides.update(overrides)
        self.embedder = None

    def open(self, data_dir: Path) -> NewsArchive:
        settings = load_settings(env={}, overrides={"data_dir": str(data_dir), **self.overrides})
        if self.embedder is None:  # the model loads once
            self.embedder = PassageVectorsOnly(make_embedder(settings.embedding, data_dir))
        return NewsArchive(settings, self.embedder)

    def stored_once(self, path: Path, articles: Callable[[], Iterable[Article]], note: str) -> Path:
        """A data directory holding these articles, ingested on the first call only (a READY
        file marks it done; delete the folder to rebuild it)."""
        if not (path / "READY").exists():
            shutil.rmtree(path, ignore_errors=True)
            archive = self.open(path)
            print(Ingestor(archive).ingest(articles()).summary(), flush=True)
            (path / "READY").write_text(note + "\n")
        return path


def profile_value(
    matcher: AlertMatcher, subscription: Subscription, evidence: ArticleEvidence
) -> float:
    """What decides whether the article matches at a profile threshold t (it does when the
    value is >= t): +inf when it matches whatever t (by its cosine, or a name in the title or
    opening), -inf when it cannot (a gate, or under the profile's reach floor), else its
    profile score. A threshold is chosen on these values, then set (AlertModel)."""
    found = matcher.relevance(subscription, evidence)
    if found is None:
        return -np.inf
    if matcher.own_match(subscription.query, evidence, found[1]):
        return np.inf
    profile = matcher.topic_profiles([subscription.query])[0]
    if found[2] is None or profile is None or found[2] < profile.floor:
        return -np.inf
    return found[2]


def subscribe_all(store: SubscriptionStore, texts: Iterable[str]) -> dict[int, str]:
    """One chat per topic text, as /subscribe stores it; returns the text by subscription id."""
    found = {}
    for chat_id, text in enumerate(texts, 1):
        topic = parse_topic(text)
        subscription, _ = store.add(
            chat_id, None, topic.text, topic.query, topic.required, topic.excluded
        )
        found[subscription.id] = text
    return found


def delivered(archive: NewsArchive, by_subscription: Mapping[int, str]) -> dict[str, set[str]]:
    """The articles the outbox holds for each topic text (deliveries of any state)."""
    out: dict[str, set[str]] = {t: set() for t in by_subscription.values()}
    for subscription_id, article_id in archive.database.connection().execute(
        "SELECT subscription_id, article_id FROM deliveries"
    ):
        if subscription_id in by_subscription:
            out[by_subscription[subscription_id]].add(article_id)
    return out


def stored_ids(archive: NewsArchive, wanted: set[str]) -> list[str]:
    """The wanted articles the archive kept as stories of their own (not near-duplicates)."""
    rows = archive.database.connection().execute(
        "SELECT id FROM articles WHERE duplicate_of IS NULL"
    )
    return [r[0] for r in rows if r[0] in wanted]
