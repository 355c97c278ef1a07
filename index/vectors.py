"""FAISS holds passage ids and vectors, nothing else; SQLite holds the rest.

Exact search (IndexFlatIP) while small; past `approximate_after` vectors the index is moved
to HNSW, which keeps adding incrementally. Saved with a temporary file renamed into place and
a metadata file beside it that is checked on load, so vectors of another model never mix.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from config import VectorSettings
from index.errors import StoreError


class _ReadWriteLock:
    """Many concurrent searches, one writer; FAISS is safe for that and no more."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and self._readers == 0)
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class VectorIndex:
    """Passage ids and their vectors, searchable by inner product."""

    def __init__(self, dimension: int, model_name: str, settings: VectorSettings) -> None:
        self.dimension = dimension
        self.model_name = model_name
        self.settings = settings
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._lock = _ReadWriteLock()

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> str:
        return "hnsw" if self._is_hnsw(self._index) else "flat"

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dimension):
            raise StoreError(f"expected {len(ids)} vectors of {self.dimension} dimensions")
        if not len(ids):
            return
        with self._lock.writing():
            if self.kind == "flat" and self.count + len(ids) > self.settings.approximate_after:
                self._index = self._to_hnsw(self._index)
            self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        """Remove ids; with HNSW removal is not supported by FAISS, so it rebuilds."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        with self._lock.writing():
            if self.kind == "flat":
                return int(self._index.remove_ids(ids))
            keep_ids, vectors = self._contents(self._index)
            mask = ~np.isin(keep_ids, ids)
            rebuilt = self._empty_hnsw()
            rebuilt.add_with_ids(vectors[mask], keep_ids[mask])
            self._index = rebuilt
            return int((~mask).sum())

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """For each query row, up to k (passage_id, cosine) pairs, best first."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dimension)
        with self._lock.reading():
            if self.count == 0:
                return [[] for _ in range(len(queries))]
            scores, ids = self._index.search(queries, min(k, self.count))
        return [
            [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0]
            for row_ids, row_scores in zip(ids, scores, strict=True)
        ]

    def ids(self) -> np.ndarray:
        with self._lock.reading():
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def vectors_for(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of these ids (rows of zeros for unknown ids)."""
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        with self._lock.reading():
            for row, passage_id in enumerate(ids):
                try:
                    out[row] = self._index.reconstruct(int(passage_id))
                except RuntimeError:
                    pass
        return out

    def save(self, path: Path) -> None:
        """Write the index and its metadata atomically (temporary file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock.reading():
            tmp = path.with_name(path.name + f".tmp{os.getpid()}")
            faiss.write_index(self._index, str(tmp))
            meta = {
                "model": self.model_name,
                "dimension": self.dimension,
                "count": self.count,
                "kind": self.kind,
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        meta_path = metadata_path(path)
        meta_tmp = meta_path.with_name(meta_path.name + f".tmp{os.getpid()}")
        meta_tmp.write_text(json.dumps(meta, indent=2))
        os.replace(tmp, path)
        os.replace(meta_tmp, meta_path)

    @classmethod
    def load(
        cls, path: Path, dimension: int, model_name: str, settings: VectorSettings
    ) -> VectorIndex:
        """Load a saved index; refuse one built with another model or dimension."""
        meta_path = metadata_path(path)
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError) as error:
            raise StoreError(f"vector index metadata {meta_path} is unreadable: {error}") from None
        if meta.get("model") != model_name or meta.get("dimension") != dimension:
            raise StoreError(
                f"the vector index was built with {meta.get('model')} ({meta.get('dimension')}-d),"
                f" not {model_name}; run `newsbot reindex`"
            )
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as error:
            raise StoreError(f"vector index {path} is unreadable: {error}") from None
        loaded = cls(dimension, model_name, settings)
        if cls._is_hnsw(index):
            faiss.downcast_index(index.index).hnsw.efSearch = settings.hnsw_ef_search
        loaded._index = index
        return loaded

    @staticmethod
    def _is_hnsw(index: faiss.Index) -> bool:
        return isinstance(faiss.downcast_index(index.index), faiss.IndexHNSW)

    def _empty_hnsw(self) -> faiss.IndexIDMap2:
        hnsw = faiss.IndexHNSWFlat(self.dimension, self.settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = self.settings.hnsw_ef_construction
        hnsw.hnsw.efSearch = self.settings.hnsw_ef_search
        return faiss.IndexIDMap2(hnsw)

    def _to_hnsw(self, flat: faiss.IndexIDMap2) -> faiss.IndexIDMap2:
        ids, vectors = self._contents(flat)
        hnsw = self._empty_hnsw()
        if len(ids):
            hnsw.add_with_ids(vectors, ids)
        return hnsw

    @staticmethod
    def _contents(index: faiss.IndexIDMap2) -> tuple[np.ndarray, np.ndarray]:
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        vectors = index.index.reconstruct_n(0, index.ntotal) if len(ids) else np.zeros((0, 0))
        return ids, np.ascontiguousarray(vectors, dtype=np.float32)


def metadata_path(index_path: Path) -> Path:
    return index_path.with_name(index_path.name + ".json")
