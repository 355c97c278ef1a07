"""Answering within a time window ("what did Biden say yesterday"): the answerer, unchanged,
over a view of the archive that holds only the window's passages.

The whole archive's nearest neighbours would hold few passages of one day (the search keeps
`dense_k` of them), so the view searches the window's own vectors exactly, and keeps only the
window's passages of a wider full-text search.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from config import RetrievalSettings
from index import NewsArchive
from index.storage import PassageStore, VectorStore
from retrieval.answer import Answer, Answerer
from retrieval.text_terms import content_terms

# The window's passages come from a full-text search this many times wider than usual.
LEXICAL_WIDENING = 20


class WindowVectors:
    """The vectors of some passages, searched exactly (a window holds few)."""

    def __init__(self, inner: VectorStore, ids: Sequence[int]) -> None:
        self.inner = inner
        self._ids = np.asarray(list(ids), dtype=np.int64)
        self._matrix = inner.vectors_for(self._ids.tolist()) if len(self._ids) else None

    @property
    def count(self) -> int:
        """The whole archive's: word weights (IDF) are counted over it, as for any answer."""
        return self.inner.count

    @property
    def kind(self) -> str:
        return "window"

    def search(
        self, queries: np.ndarray, k: int, excluded: Collection[int] = ()
    ) -> list[list[tuple[int, float]]]:
        queries = np.atleast_2d(queries)
        if self._matrix is None:
            return [[] for _ in queries]
        scores = queries @ self._matrix.T
        if excluded:
            scores[:, np.isin(self._ids, np.fromiter(excluded, dtype=np.int64))] = -np.inf
        found = []
        for row in scores:
            best = [i for i in np.argsort(-row)[:k] if np.isfinite(row[i])]
            found.append([(int(self._ids[i]), float(row[i])) for i in best])
        return found

    def vectors_for(self, ids: list[int]) -> np.ndarray:
        return self.inner.vectors_for(ids)

    def ids(self) -> np.ndarray:
        return self._ids


class WindowStore:
    """The passage store, its full-text search held to the window's passages."""

    def __init__(self, inner: PassageStore, ids: Sequence[int]) -> None:
        self.inner = inner
        self.allowed = frozenset(int(i) for i in ids)

    def lexical_search(self, terms: Sequence[str], k: int, *args: Any, **kwargs: Any) -> list:
        hits = self.inner.lexical_search(terms, k * LEXICAL_WIDENING, *args, **kwargs)
        return [hit for hit in hits if hit[0] in self.allowed][:k]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class WindowArchive:
    """What the answerer reads of an archive, held to a window's passages."""

    store: Any
    vectors: Any
    embedder: Any


def answer_within(
    archive: NewsArchive,
    settings: RetrievalSettings,
    question: str,
    start: datetime,
    end: datetime,
    max_articles: int,
) -> Answer:
    """The answer from the stories published in [start, end) only (at most `max_articles`
    of them, the newest), asked as of the window's last moment."""
    last = end - timedelta(seconds=1)
    before = (last + timedelta(days=1)).date().isoformat()
    records = archive.store.stories(start.date().isoformat(), before, max_articles)
    ids = archive.store.passage_ids_of_articles([r.article_id for r in records])
    view = WindowArchive(
        WindowStore(archive.store, ids), WindowVectors(archive.vectors, ids), archive.embedder
    )
    answerer = Answerer(view, settings)  # type: ignore[arg-type]  # the view reads alike
    if not content_terms(question):
        question = f"{question} news".strip()
    return answerer.answer(question, as_of=last)
