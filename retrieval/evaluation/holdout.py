"""An archive seen without some articles, for the abstention measurement.

Making a question unanswerable means asking it of an archive that lacks every article holding
its answer. Building one archive per question would cost an ingest each; instead the same
archive is wrapped so its two searches skip the excluded passages (the vector search leaves them
out inside the index, the lexical one searches deeper by the number excluded), so what remains
is exactly what an archive without those articles returns;
only the term document frequencies still count them, a negligible difference. The Answerer
runs unchanged on top.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from index import NewsArchive
from index.storage import PassageStore, VectorStore


class _StoreWithout:
    def __init__(self, store: PassageStore, excluded: frozenset[int]) -> None:
        self._store = store
        self._excluded = excluded

    def lexical_search(self, terms: Sequence[str], k: int, *args: Any, **kwargs: Any):
        hits = self._store.lexical_search(terms, k + len(self._excluded), *args, **kwargs)
        return [hit for hit in hits if hit[0] not in self._excluded][:k]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class _VectorsWithout:
    def __init__(self, vectors: VectorStore, excluded: frozenset[int]) -> None:
        self._vectors = vectors
        self._excluded = excluded

    def search(
        self, queries: np.ndarray, k: int, excluded: Collection[int] = ()
    ) -> list[list[tuple[int, float]]]:
        return self._vectors.search(queries, k, self._excluded | frozenset(excluded))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._vectors, name)


class ArchiveWithout:
    """Duck-types NewsArchive for the Answerer: the same archive minus some articles."""

    def __init__(self, archive: NewsArchive, article_ids: Collection[str]) -> None:
        excluded = frozenset(archive.store.passage_ids_of_articles(list(article_ids)))
        self.settings = archive.settings
        self.embedder = archive.embedder
        self.store = _StoreWithout(archive.store, excluded)
        self.vectors = _VectorsWithout(archive.vectors, excluded)
        self.excluded_passages = len(excluded)
