"""Hybrid search: dense (FAISS) and lexical (FTS5 BM25) candidates fused by reciprocal rank,
weighted for recency against the news of the question's date."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import numpy as np

from config import RetrievalSettings
from index.storage import PassageRecord, PassageStore, VectorStore
from index.text import parse_published

T = TypeVar("T")

# Days whose unpublished passages a searcher keeps at once (HybridSearcher.unpublished).
UNPUBLISHED_REMEMBERED = 8


@dataclass(frozen=True)
class Candidate:
    passage: PassageRecord
    score: float  # fused, recency-weighted: only its order matters
    dense: float  # cosine of the passage (with title) to the question
    dense_rank: int | None
    lexical_rank: int | None
    recency: float = 1.0  # the weight of the article's age against the question's date


@dataclass(frozen=True)
class LexicalScope:
    """The passages the lexical search covers: ids above after_id, about `passages` of them."""

    after_id: int
    passages: int


@dataclass(frozen=True)
class SearchMode:
    """Which retrievers take part; ablations switch one off."""

    dense: bool = True
    lexical: bool = True


class HybridSearcher:
    def __init__(self, store: PassageStore, settings: RetrievalSettings) -> None:
        self.store = store
        self.settings = settings
        self._unpublished: dict[tuple[str, int], frozenset[int]] = {}

    def search(
        self,
        vectors: VectorStore,
        query_vector: np.ndarray,
        terms: list[str],
        as_of: datetime | None,
        limit: int,
        mode: SearchMode = SearchMode(),
        scope: LexicalScope | None = None,
    ) -> list[Candidate]:
        """The best `limit` candidates; `scope` is the caller's `lexical_scope` when it has
        one already (the answerer weighs the question's words over the same passages)."""
        s = self.settings
        cutoff, unseen = self.unpublished(as_of)
        dense_hits = vectors.search(query_vector, s.dense_k, unseen)[0] if mode.dense else []
        lexical_hits = []
        if mode.lexical:
            scope = scope or self.lexical_scope(vectors.count)
            lexical_hits = self.store.lexical_search(
                self.distinctive(terms, scope),
                s.lexical_k,
                after_id=scope.after_id,
                published_by=cutoff if unseen else None,
            )
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
        news_now = self.news_now(as_of)
        scored = []
        for pid in ids:
            record = records[pid]
            published = parse_published(record.published)
            fused = 0.0
            if pid in dense_rank:
                fused += s.dense_weight / (s.rrf_k + dense_rank[pid] + 1)
            if pid in lexical_rank:
                fused += s.lexical_weight / (s.rrf_k + lexical_rank[pid] + 1)
            recency = recency_weight(published, news_now, s.recency_half_life_days, s.recency_floor)
            scored.append(
                Candidate(
                    record,
                    fused * recency,
                    cosines[pid],
                    dense_rank.get(pid),
                    lexical_rank.get(pid),
                    recency,
                )
            )
        scored.sort(key=lambda c: c.score, reverse=True)
        return scored[:limit]

    def unpublished(self, as_of: datetime | None) -> tuple[str, frozenset[int]]:
        """The moment as the stores compare it (ISO, UTC) and the passages published after
        it, which both searches leave out before they cut their candidates: a story from the
        next day must neither be quoted nor take an earlier story's place. Remembered for a
        few moments, as an evaluation asks many questions as of one day; the bot asks as of
        now, when nothing is newer and the query finds nothing at once."""
        if as_of is None:
            return "", frozenset()
        cutoff = as_of.astimezone(UTC).isoformat(timespec="seconds")
        key = (cutoff, self.store.max_passage_id())
        unseen = self._unpublished.get(key)
        if unseen is None:
            unseen = frozenset(self.store.passage_ids_published_after(cutoff))
            if len(self._unpublished) >= UNPUBLISHED_REMEMBERED:
                self._unpublished.clear()
            self._unpublished[key] = unseen
        return cutoff, unseen

    def lexical_scope(self, passages: int) -> LexicalScope:
        """The newest `lexical_window` passages, give or take a twentieth: the start moves in
        steps, so that word statistics stay cached while a few articles arrive."""
        window = self.settings.lexical_window
        newest = self.store.max_passage_id()
        after_id = max(0, newest - window)
        after_id -= after_id % max(window // 20, 1)
        return LexicalScope(after_id, max(min(passages, newest - after_id), 1))

    def distinctive(self, terms: list[str], scope: LexicalScope) -> list[str]:
        """The terms worth a lexical search: those in at most `lexical_max_df` of the
        passages, or the rarest one when all are that common."""
        limit = self.settings.lexical_max_df
        if limit >= 1.0 or not terms:
            return terms
        frequencies = self.store.document_frequencies(terms, scope.after_id)
        kept = [t for t in terms if frequencies.get(t, 0) <= limit * scope.passages]
        return kept or [min(terms, key=lambda t: frequencies.get(t, 0))]

    def news_now(self, as_of: datetime | None) -> datetime | None:
        """The date ages are counted from: the question's date, or the newest article the
        archive holds by then when that is older. An archive whose feeds stopped a month ago
        still has "recent" news (its latest); otherwise every story in it would count as old
        and the bot would abstain on all of them."""
        if as_of is None:
            return None
        newest = parse_published(
            self.store.newest_published((as_of + timedelta(days=1)).date().isoformat())
        )
        return min(as_of, newest) if newest is not None else as_of


def recency_weight(
    published: datetime | None, as_of: datetime | None, half_life: float, floor: float
) -> float:
    """1 for an article from the question's day; the part above `floor` halves with every
    `half_life` days of age. News questions are mostly about the last few days' events, but an
    old article that matches much better must still be able to win, hence the floor."""
    if published is None or as_of is None:
        return 1.0
    age_days = max((as_of - published).total_seconds() / 86400, 0.0)
    return floor + (1.0 - floor) * 0.5 ** (age_days / half_life)


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
