"""FAISS holds passage ids and vectors, nothing else; SQLite holds the rest.

Exact search (IndexFlatIP) while small; past `approximate_after` vectors the index moves to
HNSW, which keeps adding incrementally (one article costs milliseconds, never a rebuild).
The move is built beside the exact index while searches go on, then swapped in. HNSW cannot
delete, so removed ids are skipped at search time and dropped at the next rebuild.
Saved with a temporary file renamed into place and a metadata file beside it that is checked
on load, so vectors of another model never mix.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from config import VectorSettings
from index.clock import timestamp
from index.errors import ForeignIndexError, StoreError
from index.storage.interfaces import checked_batch

if TYPE_CHECKING:
    import faiss

log = logging.getLogger(__name__)


def _faiss() -> ModuleType:
    """faiss, imported on first use: the storage package's face (the interfaces, the
    database) must not load it for a process that never opens a FAISS index."""
    import faiss

    return faiss


@functools.cache
def _all_threads() -> int:
    return _faiss().omp_get_max_threads()


# A search of a few queries runs on the calling thread alone: assembling an OpenMP team costs
# more than it saves, and on a busy 2-core machine waiting for it took 8 ms against 0.3 ms
# for a 60-result search of a small index (measured). OpenMP thread counts are per calling
# thread, so this never slows a bulk build running in another thread.
_SINGLE_THREAD_BELOW = 16

# Past this share of removed-but-still-stored vectors an HNSW index is rebuilt without them,
# so memory and search work do not grow with deletions.
COMPACT_AFTER_SHARE = 0.2


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
    """Passage ids and their vectors, searchable by inner product.

    Thread-safe: searches run concurrently; writers (add, remove) take turns, and hold the
    searches off only for the moment FAISS itself changes, not while a new index is built.
    """

    def __init__(self, dimension: int, model_name: str, settings: VectorSettings) -> None:
        self.dimension = dimension
        self.model_name = model_name
        self.settings = settings
        self._index = _faiss().IndexIDMap2(_faiss().IndexFlatIP(dimension))
        self._lock = _ReadWriteLock()
        self._writer = threading.Lock()  # one add/remove at a time; searches are not held
        self._deleted: set[int] = set()  # removed from an HNSW index, still inside it
        self._search_params: faiss.SearchParameters | None = None
        # Changes with every save; a process that finds another generation on disk than the
        # one it loaded or saved knows that another process wrote the index meanwhile.
        self.generation = ""

    @property
    def count(self) -> int:
        return int(self._index.ntotal) - len(self._deleted)

    @property
    def kind(self) -> str:
        return "hnsw" if self._is_hnsw(self._index) else "flat"

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = checked_batch(ids, vectors, self.dimension)
        if not len(ids):
            return
        with self._writer:
            if self.kind == "flat" and self.count + len(ids) > self.settings.approximate_after:
                self._rebuild_as_hnsw()
            elif self._deleted and not self._deleted.isdisjoint(ids.tolist()):
                self._rebuild_as_hnsw()  # an id coming back must not also match its old vector
            with self._lock.writing():
                self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        """Remove ids; returns how many were present."""
        ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        with self._writer:
            if self.kind == "flat":
                with self._lock.writing():
                    return int(self._index.remove_ids(ids))
            present = np.intersect1d(self._all_ids(), ids)
            fresh = set(present.tolist()) - self._deleted
            if not fresh:
                return 0
            with self._lock.writing():
                self._deleted |= fresh
                self._search_params = self._skip_deleted(self._deleted)
            if len(self._deleted) > COMPACT_AFTER_SHARE * self._index.ntotal:
                self._rebuild_as_hnsw()
            return len(fresh)

    def search(
        self, queries: np.ndarray, k: int, excluded: Collection[int] = ()
    ) -> list[list[tuple[int, float]]]:
        """For each query row, up to k (passage_id, cosine) pairs, best first, none of
        `excluded` (skipped inside FAISS, so k others take their places)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dimension)
        with self._lock.reading(), _omp_threads(1 if len(queries) < _SINGLE_THREAD_BELOW else 0):
            if self.count == 0:
                return [[] for _ in range(len(queries))]
            params = self._search_params
            if excluded:
                params = self._skip_deleted(self._deleted | set(excluded))
            scores, ids = self._index.search(queries, min(k, self.count), params=params)
        return [
            [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0]
            for row_ids, row_scores in zip(ids, scores, strict=True)
        ]

    def ids(self) -> np.ndarray:
        with self._lock.reading():
            ids = self._all_ids()
            if self._deleted:
                ids = ids[~np.isin(ids, np.fromiter(self._deleted, dtype=np.int64))]
            return ids

    def summary(self) -> tuple[int, int]:
        ids = self.ids()
        return len(ids), int(ids.max()) if len(ids) else 0

    def vectors_for(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of these ids (rows of zeros for unknown ids)."""
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        with self._lock.reading():
            for row, passage_id in enumerate(ids):
                if int(passage_id) in self._deleted:
                    continue
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
            _faiss().write_index(self._index, str(tmp))
            meta = {
                "model": self.model_name,
                "dimension": self.dimension,
                "count": self.count,
                "kind": self.kind,
                "built_at": timestamp(),
                # Removed ids still inside an HNSW file; without them they would come back.
                "deleted": sorted(self._deleted),
                "generation": uuid.uuid4().hex,
            }
        meta_path = metadata_path(path)
        meta_tmp = meta_path.with_name(meta_path.name + f".tmp{os.getpid()}")
        meta_tmp.write_text(json.dumps(meta))
        # Two renames are not one atomic step: a crash between them leaves a stale "deleted"
        # list at worst, which the archive's reconcile against SQLite repairs.
        os.replace(tmp, path)
        os.replace(meta_tmp, meta_path)
        self.generation = meta["generation"]

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
            raise ForeignIndexError(
                f"the vector index was built with {meta.get('model')} ({meta.get('dimension')}-d),"
                f" not {model_name}; run `newsbot reindex`"
            )
        try:
            index = _faiss().read_index(str(path))
        except RuntimeError as error:
            raise StoreError(f"vector index {path} is unreadable: {error}") from None
        if index.d != dimension or not isinstance(index, _faiss().IndexIDMap2):
            raise StoreError(f"vector index {path} does not match its metadata; run reindex")
        loaded = cls(dimension, model_name, settings)
        loaded._index = index
        loaded.generation = str(meta.get("generation", ""))
        if cls._is_hnsw(index):
            _faiss().downcast_index(index.index).hnsw.efSearch = settings.hnsw_ef_search
            deleted = np.asarray(meta.get("deleted", []), dtype=np.int64)
            loaded._deleted = set(np.intersect1d(loaded._all_ids(), deleted).tolist())
            loaded._search_params = cls._skip_deleted(loaded._deleted)
        return loaded

    # -- internals -------------------------------------------------------------------------

    def _all_ids(self) -> np.ndarray:
        return _faiss().vector_to_array(self._index.id_map).astype(np.int64)

    def _rebuild_as_hnsw(self) -> None:
        """Build an HNSW index of the live vectors beside the current one, then swap it in.

        Called by a writer holding `_writer`, so nothing changes the index meanwhile and
        searches keep reading it; they wait only for the swap.
        """
        ids = self._all_ids()
        vectors = _stored_vectors(self._index)
        if self._deleted:
            keep = ~np.isin(ids, np.fromiter(self._deleted, dtype=np.int64))
            ids, vectors = ids[keep], vectors[keep]
        hnsw = _faiss().IndexHNSWFlat(
            self.dimension, self.settings.hnsw_m, _faiss().METRIC_INNER_PRODUCT
        )
        hnsw.hnsw.efConstruction = self.settings.hnsw_ef_construction
        hnsw.hnsw.efSearch = self.settings.hnsw_ef_search
        rebuilt = _faiss().IndexIDMap2(hnsw)
        # Added in slices so the copy of the vectors is never made whole a second time.
        for start in range(0, len(ids), 65536):
            rebuilt.add_with_ids(
                np.ascontiguousarray(vectors[start : start + 65536]), ids[start : start + 65536]
            )
        with self._lock.writing():
            self._index = rebuilt
            self._deleted = set()
            self._search_params = None

    @staticmethod
    def _skip_deleted(deleted: set[int]) -> faiss.SearchParameters | None:
        if not deleted:
            return None
        inner = _faiss().IDSelectorBatch(np.fromiter(deleted, dtype=np.int64))
        params = _faiss().SearchParameters()
        outer = _faiss().IDSelectorNot(inner)
        params.sel = outer
        # The C++ objects hold bare pointers to each other: keep the Python owners alive.
        params.referenced_objects = [inner, outer]
        return params

    @staticmethod
    def _is_hnsw(index: faiss.Index) -> bool:
        return isinstance(_faiss().downcast_index(index.index), _faiss().IndexHNSW)


def _stored_vectors(index: faiss.IndexIDMap2) -> np.ndarray:
    """The vectors in insertion order, as a view of FAISS's own memory where it can be.

    A view (rather than reconstruct_n) avoids a second full copy at a million vectors.
    """
    inner = _faiss().downcast_index(index.index)
    flat = (
        _faiss().downcast_index(inner.storage) if isinstance(inner, _faiss().IndexHNSW) else inner
    )
    n, d = index.ntotal, index.d
    if n == 0:
        return np.zeros((0, d), dtype=np.float32)
    if isinstance(flat, _faiss().IndexFlat):
        return _faiss().rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)
    return inner.reconstruct_n(0, n)


@contextmanager
def _omp_threads(threads: int) -> Iterator[None]:
    """FAISS's OpenMP threads for this thread's calls inside the block (0 = all)."""
    if threads:
        _faiss().omp_set_num_threads(threads)
    try:
        yield
    finally:
        if threads:
            _faiss().omp_set_num_threads(_all_threads())


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime, size) of the index file, None if there is none. Every save renames a new
    file into place, so a save by any process changes it; cheaper than reading the metadata,
    and right even after a crash between the index's rename and its metadata's."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def metadata_path(index_path: Path) -> Path:
    return index_path.with_name(index_path.name + ".json")


class FaissFileHome:
    """The vector index of a data directory: DATA_DIR/vectors.faiss, loaded into each
    process, saved atomically, and known to be stale when another process saved it since."""

    def __init__(
        self, path: Path, dimension: int, model_name: str, settings: VectorSettings
    ) -> None:
        self.path = path
        self.dimension = dimension
        self.model_name = model_name
        self.settings = settings
        self._signature: tuple | None = None  # of the file last loaded or saved

    def open(self, rebuilding: bool = False) -> VectorIndex:
        signature = file_signature(self.path)
        if signature is None:
            return self.fresh()
        try:
            loaded = VectorIndex.load(self.path, self.dimension, self.model_name, self.settings)
        except ForeignIndexError as error:
            if not rebuilding:
                raise
            log.warning("%s: re-embedding every passage with the configured model", error)
            loaded = self.fresh()
        self._signature = signature
        return loaded

    def fresh(self) -> VectorIndex:
        return VectorIndex(self.dimension, self.model_name, self.settings)

    def publish(self, vectors: VectorIndex) -> VectorIndex:
        try:
            vectors.save(self.path)
        except OSError as error:
            raise StoreError(f"cannot write {self.path}: {error.strerror}") from None
        self._signature = file_signature(self.path)
        return vectors

    def stale(self) -> bool:
        signature = file_signature(self.path)
        return signature is not None and signature != self._signature

    def size_bytes(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0
