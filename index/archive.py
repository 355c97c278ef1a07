"""The news archive on disk: the SQLite database, the FAISS index beside it, and the embedder.

SQLite is the source of truth. On opening, the vector index is checked against it and any
passage it lacks (a crash between the two writes) is embedded and added, so the two agree.
Re-indexing builds a new index beside the old one and swaps it in; searches in flight keep
the old one until then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from config import Settings
from index.database import Database
from index.embedder import Embedder, make_embedder
from index.errors import ForeignIndexError, StoreError
from index.store import ArticleStore
from index.vectors import VectorIndex

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)
REINDEX_BATCH = 128


class NewsArchive:
    """Everything stored under one data directory, opened once and shared."""

    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, *, rebuilding: bool = False
    ) -> None:
        """`rebuilding`: opened to re-index, so a vector index of another model (the backend
        was changed) is set aside instead of refused; `reindex` then replaces it."""
        self.settings = settings
        self._rebuilding = rebuilding
        self.data_dir = Path(settings.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database = Database(self.data_dir / "newsbot.db")
        self.store = ArticleStore(self.database)
        self.embedder = embedder or make_embedder(settings.embedding, self.data_dir)
        self.vectors_path = self.data_dir / "vectors.faiss"
        # Held while passages are written to SQLite and FAISS together, and while a rebuilt
        # index catches up and is swapped in, so no passage lands in only one of them.
        self.write_lock = threading.RLock()
        self._vectors = self._load_vectors()

    @property
    def vectors(self) -> VectorIndex:
        return self._vectors

    def _new_vectors(self) -> VectorIndex:
        return VectorIndex(self.embedder.dimension, self.embedder.model_name, self.settings.vectors)

    def _load_vectors(self) -> VectorIndex:
        if not self.vectors_path.exists():
            return self._new_vectors()
        try:
            return VectorIndex.load(
                self.vectors_path,
                self.embedder.dimension,
                self.embedder.model_name,
                self.settings.vectors,
            )
        except ForeignIndexError as error:
            if not self._rebuilding:
                raise
            log.warning("%s: re-embedding every passage with the configured model", error)
            return self._new_vectors()

    def embedding_text(self, title: str, text: str) -> str:
        return f"{title}\n{text}" if self.settings.passages.embed_title and title else text

    def embed_passages(self, rows: list[tuple[int, str, str]]) -> np.ndarray:
        return self.embedder.encode([self.embedding_text(title, text) for _, title, text in rows])

    def save_vectors(self) -> None:
        with self.write_lock:
            self._vectors.save(self.vectors_path)

    def reconcile(self, progress: Progress | None = None) -> int:
        """Make the vector index hold exactly the stored passages; returns how many changed."""
        with self.write_lock:
            count, max_id = self.store.passage_summary()
            vectors = self._vectors
            known = vectors.ids()
            if len(known) == count and (count == 0 or int(known.max()) == max_id):
                return 0
            stored = np.asarray(self.store.passage_ids(), dtype=np.int64)
            extra = np.setdiff1d(known, stored)
            missing = set(np.setdiff1d(stored, known).tolist())
            if len(extra):
                vectors.remove(extra)
            added = 0
            for batch in self.store.iter_passages_for_embedding(0):
                rows = [row for row in batch if row[0] in missing]
                if rows:
                    vectors.add(np.array([r[0] for r in rows]), self.embed_passages(rows))
                    added += len(rows)
                    if progress:
                        progress(added, len(missing))
            log.info("vector index reconciled: %d added, %d removed", added, len(extra))
            self.save_vectors()
            return added + len(extra)

    def reindex(self, progress: Progress | None = None) -> VectorIndex:
        """Re-embed every stored passage into a new index, save it, and swap it in atomically."""
        total = self.store.passage_summary()[0]
        fresh = self._new_vectors()
        done = last_id = 0
        # Small batches: the embedder serves one call at a time, and questions asked during a
        # re-index wait for the batch in progress.
        for batch in self.store.iter_passages_for_embedding(0, REINDEX_BATCH):
            fresh.add(np.array([r[0] for r in batch]), self.embed_passages(batch))
            done += len(batch)
            last_id = batch[-1][0]
            if progress:
                progress(done, total)
        with self.write_lock:
            # Passages ingested while we were building go in before the swap.
            for batch in self.store.iter_passages_for_embedding(last_id):
                fresh.add(np.array([r[0] for r in batch]), self.embed_passages(batch))
            try:
                fresh.save(self.vectors_path)
            except OSError as error:
                raise StoreError(f"cannot write {self.vectors_path}: {error.strerror}") from None
            self._vectors = fresh
        if progress:
            progress(total, total)
        return fresh

    def stats(self) -> dict[str, object]:
        counts = self.store.counts()
        return {
            **counts,
            "vectors": self._vectors.count,
            "index_type": self._vectors.kind,
            "index_bytes": self.vectors_path.stat().st_size if self.vectors_path.exists() else 0,
            "database_bytes": self.database.path.stat().st_size,
            "model": self.embedder.model_name,
            "embedding_backend": self.settings.embedding.backend,
            "schema_version": self.database.schema_version(),
            "data_dir": str(self.data_dir),
        }
