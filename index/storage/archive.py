"""The news archive on disk: the SQLite database, the FAISS index beside it, and the embedder.

SQLite is the source of truth. On opening, the vector index is checked against it and any
passage it lacks (a crash between the two writes) is embedded and added, so the two agree.
Re-indexing builds a new index beside the old one and swaps it in; searches in flight keep
the old one until then.

Several processes may share a data directory (the bot, `newsbot ingest`, `newsbot reindex`).
Writes go under `write_lock`, which is also a lock on the directory (index/storage/lock.py).
Whoever takes it first looks at the index file: if another process saved it since this one
last loaded or saved it, this one loads it again (keeping its own unsaved vectors) before
writing, so no process ever saves over another's vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from config import Settings
from index.embedding.embedder import Embedder, encode_passages, make_embedder
from index.embedding.sentence_vectors import SentenceVectors
from index.errors import ForeignIndexError, StoreError
from index.storage.article_store import ArticleStore
from index.storage.database import Database
from index.storage.interfaces import PassageStore, VectorStore
from index.storage.lock import ArchiveLock
from index.storage.vectors import VectorIndex, file_signature
from index.text.passages import passage_sentences

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
        self.store: PassageStore = ArticleStore(self.database)
        self.embedder = embedder or make_embedder(settings.embedding, self.data_dir)
        self.vectors_path = self.data_dir / "vectors.faiss"
        # Held while passages are written to SQLite and FAISS together, and while a rebuilt
        # index catches up and is swapped in, so no passage lands in only one of them.
        # Re-entrant; across processes, one writer at a time.
        self.write_lock = ArchiveLock(
            self.data_dir / "write.lock",
            settings.storage.lock_timeout_seconds,
            on_acquire=self._catch_up,
        )
        self._vectors = self._new_vectors()
        self._disk_signature: tuple | None = None  # of the index file last loaded or saved
        self._replacing = False  # a re-index is swapping its index in: no catching up
        self._opening = True
        with self.write_lock:  # never read a pair of files another process is replacing
            pass
        self._opening = False

    @property
    def vectors(self) -> VectorStore:
        return self._vectors

    def _new_vectors(self) -> VectorIndex:
        return VectorIndex(self.embedder.dimension, self.embedder.model_name, self.settings.vectors)

    def _catch_up(self) -> None:
        """Under the lock, just taken: load the index again if another process saved it."""
        signature = file_signature(self.vectors_path)
        if self._replacing or signature is None or signature == self._disk_signature:
            return
        own = self._vectors
        loaded = self._load_vectors()
        self._disk_signature = signature
        self._vectors = loaded
        if self._opening:
            return
        log.info("the vector index was saved by another process: loaded it again")
        # Vectors this process added but had not saved are kept rather than embedded again;
        # whatever else is missing (a writer killed before saving) is embedded by reconcile.
        count, _ = self.store.passage_summary()
        if loaded.count < count and own.count:
            stored = np.asarray(self.store.passage_ids(), dtype=np.int64)
            missing = np.setdiff1d(stored, loaded.ids())
            ours = np.intersect1d(missing, own.ids())
            if len(ours):
                loaded.add(ours, own.vectors_for(ours.tolist()))
        self.reconcile()

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

    def embed(self, titles: list[str], texts: list[str]) -> tuple[np.ndarray, list | None]:
        """Passage vectors and, when the embedder can pool them, each passage's sentence
        vectors (SentenceVectors, offsets into the passage text) from the same forward pass."""
        embedded = [self.embedding_text(t, x) for t, x in zip(titles, texts, strict=True)]
        units = [passage_sentences(text) for text in texts]
        # The title (when embedded) comes first: shift each sentence to where it sits.
        shifts = [len(e) - len(x) for e, x in zip(embedded, texts, strict=True)]
        shifted = [
            [(a + shift, b + shift) for a, b in spans]
            for spans, shift in zip(units, shifts, strict=True)
        ]
        vectors, pooled = encode_passages(self.embedder, embedded, shifted)
        if pooled is None:
            return vectors, None
        return vectors, [
            SentenceVectors(tuple(spans), matrix)
            for spans, matrix in zip(units, pooled, strict=True)
        ]

    def embed_passages(self, rows: list[tuple[int, str, str]]) -> np.ndarray:
        """Vectors of stored (id, title, text) rows; their sentence vectors are stored."""
        vectors, sentences = self.embed([r[1] for r in rows], [r[2] for r in rows])
        if sentences is not None:
            self.store.put_sentence_vectors(
                [(r[0], s) for r, s in zip(rows, sentences, strict=True)]
            )
        return vectors

    def save_vectors(self) -> None:
        with self.write_lock:
            self._save(self._vectors)

    def _save(self, vectors: VectorIndex) -> None:
        """Save under the lock (held by the caller) and remember which file is ours."""
        try:
            vectors.save(self.vectors_path)
        except OSError as error:
            raise StoreError(f"cannot write {self.vectors_path}: {error.strerror}") from None
        self._disk_signature = file_signature(self.vectors_path)

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
        self._replacing = True  # the old index is being replaced: no use loading it again
        try:
            with self.write_lock:
                # Passages ingested while we were building (by any process) go in before
                # the swap.
                for batch in self.store.iter_passages_for_embedding(last_id):
                    fresh.add(np.array([r[0] for r in batch]), self.embed_passages(batch))
                self._save(fresh)
                self._vectors = fresh
        finally:
            self._replacing = False
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
