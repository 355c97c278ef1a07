"""The news archive: the passages, the vector index beside them, and the embedder.

The backend is opened by `open_backend` (index/backends/), which reads `storage.url`: SQLite +
FAISS in the data directory (the default), or PostgreSQL + pgvector. Either way the passage store is the source
of truth. On opening, the vector index is checked against it and any passage it lacks (a
crash between the two writes) is embedded and added, so the two agree. Re-indexing builds a
new index beside the old one and swaps it in; searches in flight keep the old one until then.

Several processes may share an archive (the bot, `newsbot ingest`, `newsbot reindex`).
Writes go under `write_lock`: a lock on the data directory (index/storage/lock.py), or with
PostgreSQL an advisory lock in the database, which covers every machine. With FAISS, whoever
takes it first looks at the index file: if another process saved it since this one last
loaded or saved it, this one loads it again (keeping its own unsaved vectors) before writing,
so no process ever saves over another's vectors. With PostgreSQL every process reads the one
table, so there is nothing to load again and nothing to save.

Subscriptions, the outbox, feeds and feedback (index/state) live beside the articles, in the
backend's database: `open_state()` hands them out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from config import Settings
from index.backends import Backend, open_backend
from index.clock import Clock
from index.embedding import Embedder, SentenceVectors, encode_passages, make_embedder
from index.state import BotState
from index.storage.interfaces import VectorStore
from index.text.passages import passage_sentences

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)
REINDEX_BATCH = 128


class NewsArchive:
    """Everything stored for one archive, opened once and shared."""

    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, *, rebuilding: bool = False
    ) -> None:
        """`rebuilding`: opened to re-index, so a vector index of another model (the backend
        was changed) is set aside instead of refused; `reindex` then replaces it."""
        self.settings = settings
        self._rebuilding = rebuilding
        self.data_dir = Path(settings.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder or make_embedder(settings.embedding, self.data_dir)
        self.vectors_path = self.data_dir / "vectors.faiss"
        self.backend: Backend = open_backend(
            settings, self.embedder.dimension, self.embedder.model_name, self._catch_up
        )
        self.database = self.backend.database  # the backend's own handle, for tools and tests
        self.store = self.backend.store
        self.home = self.backend.home
        # Held while passages are written with their vectors, and while a rebuilt index
        # catches up and is swapped in, so no passage lands in only one of them.
        self.write_lock = self.backend.write_lock
        self._vectors: VectorStore | None = None
        self._replacing = False  # a re-index is swapping its index in: no catching up
        with self.write_lock:  # never read a pair of files another process is replacing
            self._vectors = self.home.open(rebuilding)

    def open_state(self, clock: Clock | None = None) -> BotState:
        """The state stores kept beside the articles (subscriptions, the outbox, feeds...)."""
        return self.backend.open_state(clock)

    @property
    def vectors(self) -> VectorStore:
        assert self._vectors is not None
        return self._vectors

    def _catch_up(self) -> None:
        """Under the lock, just taken: load the index again if another process saved it."""
        if self._replacing or self._vectors is None or not self.home.stale():
            return
        own = self._vectors
        loaded = self.home.open(self._rebuilding)
        self._vectors = loaded
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
        """Make this process's vectors what every process reads (with FAISS, write the file;
        with PostgreSQL they already are)."""
        with self.write_lock:
            self._vectors = self.home.publish(self.vectors)

    def reconcile(self, progress: Progress | None = None) -> int:
        """Make the vector index hold exactly the stored passages; returns how many changed."""
        with self.write_lock:
            vectors = self.vectors
            if vectors.summary() == self.store.passage_summary():
                return 0
            known = vectors.ids()
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

    def reindex(self, progress: Progress | None = None) -> VectorStore:
        """Re-embed every stored passage into a new index, save it, and swap it in atomically."""
        total = self.store.passage_summary()[0]
        fresh = self.home.fresh()
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
                self._vectors = self.home.publish(fresh)
        finally:
            self._replacing = False
        if progress:
            progress(total, total)
        return self.vectors

    def stats(self) -> dict[str, object]:
        counts = self.store.counts()
        return {
            **counts,
            "vectors": self.vectors.count,
            "index_type": self.vectors.kind,
            "index_bytes": self.home.size_bytes(),
            "database_bytes": self.backend.size_bytes(),
            "model": self.embedder.model_name,
            "embedding_backend": self.settings.embedding.backend,
            "schema_version": self.backend.schema_version(),
            "data_dir": str(self.data_dir),
            "storage": self.backend.label,
        }
