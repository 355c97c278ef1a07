"""Hybrid search: dense (FAISS) and lexical (FTS5 BM25) candidates fused by reciprocal rank,
weighted for recency against the question's date."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import numpy as np

from config import RetrievalSettings
from index.articles import parse_published
from index.store import ArticleStore, PassageRecord
from index.vectors import VectorIndex

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate:
    passage: PassageRecord
    score: float  # fused, recency-weighted: only its order matters
    dense: float  # cosine of the passage (with title) to the question
    dense_rank: int | None
    lexical_rank: int | None


@dataclass(frozen=True)
class SearchMode:
    """Which retrievers take part; ablations switch one off."""

    dense: bool = True
    lexical: bool = True


class HybridSearcher:
    def __init__(self, store: ArticleStore, settings: RetrievalSettings) -> None:
        self.store = store
        self.settings = settings

    def search(
        self,
        vectors: VectorIndex,
        query_vector: np.ndarray,
        terms: list[str],
        as_of: datetime | None,
        limit: int,
        mode: SearchMode = SearchMode(),
    ) -> list[Candidate]:
        s = self.settings
        dense_hits = vectors.search(query_vector, s.dense_k)[0] if mode.dense else []
        lexical_hits = self.store.lexical_search(terms, s.lexical_k) if mode.lexical else []
        dense_rank = {pid: rank for rank, (pid, _) in enumerate(dense_hits)}
        lexical_rank = {pid: rank for rank, (pid, _) in enumerate(lexical_hits)}
        ids = list(dict.fromkeys([*dense_rank, *lexical_rank]))
        records = self.store.passages(ids)
        ids = [pid for pid in ids if pid in records]
        if not ids:
            return []
        cosines = dict(
            zip(ids, (vectors.vectors_for(ids) @ query_vector.reshape(-1)).tolist(), strict=True)
        )
        scored = []
        for pid in ids:
            record = records[pid]
            published = parse_published(record.published)
            if as_of is not None and published is not None and (published - as_of).days >= 1:
                continue  # not yet published on the question's date
            fused = 0.0
            if pid in dense_rank:
                fused += s.dense_weight / (s.rrf_k + dense_rank[pid] + 1)
            if pid in lexical_rank:
                fused += s.lexical_weight / (s.rrf_k + lexical_rank[pid] + 1)
            fused *= _recency(published, as_of, s.recency_half_life_days)
            scored.append(
                Candidate(record, fused, cosines[pid], dense_rank.get(pid), lexical_rank.get(pid))
            )
        scored.sort(key=lambda c: c.score, reverse=True)
        return scored[:limit]


def _recency(published: datetime | None, as_of: datetime | None, half_life: float) -> float:
    """1 for articles from the days before the question, falling to 1/2 per half-life older."""
    if published is None or as_of is None:
        return 1.0
    age_days = max((as_of - published).total_seconds() / 86400, 0.0)
    return 0.5 + 0.5 * 0.5 ** (age_days / half_life)


def diversify(
    items: list[T], key: Callable[[T], tuple[str, str]], per_article: int, limit: int
) -> list[T]:
    """At most `per_article` items of one article and no two with the same text, in order.

    `key` gives (article_id, passage text) of an item.
    """
    kept: list[T] = []
    per: dict[str, int] = {}
    seen_texts: set[str] = set()
    for item in items:
        article_id, text = key(item)
        normalised = " ".join(text.lower().split())
        if per.get(article_id, 0) >= per_article or normalised in seen_texts:
            continue
        per[article_id] = per.get(article_id, 0) + 1
        seen_texts.add(normalised)
        kept.append(item)
        if len(kept) >= limit:
            break
    return kept
