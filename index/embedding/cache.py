"""An embedder that remembers: vectors kept in a SQLite file, keyed by model and text.

Re-chunking or re-indexing an archive mostly re-embeds texts it has embedded before; the
model is by far the slowest step, so a lookup that skips it turns a half-hour re-index into
minutes. Only the texts the file lacks reach the wrapped model. The key covers the model name
and a backend tag, so vectors of another model (or an int8 copy of it) never mix.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from pathlib import Path

import numpy as np

from index.embedding.embedder import Embedder, PassageEmbedder
from index.embedding.sentence_vectors import Span
from index.errors import StoreError

log = logging.getLogger(__name__)

# SQLite allows 999 bound parameters in older builds; stay well under it.
_LOOKUP_CHUNK = 500


class CachedEmbedder:
    """Wraps an Embedder; same protocol (model_name, dimension, encode)."""

    def __init__(self, inner: Embedder, path: Path, backend: str | None = None) -> None:
        self.inner = inner
        self.path = Path(path)
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self.backend = backend or type(inner).__name__
        self._prefix = f"{self.model_name}\x00{self.backend}\x00".encode()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One connection guarded by a lock: callers on several threads (bot workers,
            # ingest) take turns; the lookups are short next to the model.
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
                " WITHOUT ROWID"
            )
            self._db.commit()
        except sqlite3.Error as error:
            raise StoreError(f"embedding cache {self.path} cannot be opened: {error}") from None

    def _key(self, text: str) -> bytes:
        return hashlib.sha1(self._prefix + text.encode("utf-8")).digest()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text, from the file where it has them."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        keys = [self._key(t) for t in texts]
        with self._lock:
            found = self._lookup(list(dict.fromkeys(keys)))
        missing: dict[bytes, str] = {}
        for row, (key, text) in enumerate(zip(keys, texts, strict=True)):
            vector = found.get(key)
            if vector is None:
                missing.setdefault(key, text)
            else:
                out[row] = vector
        self.hits += len(texts) - sum(1 for k in keys if k in missing)
        if missing:
            # The model runs outside the lock so lookups of other threads are not held up.
            vectors = np.ascontiguousarray(
                self.inner.encode(list(missing.values())), dtype=np.float32
            )
            self.misses += len(missing)
            fresh = dict(zip(missing, vectors, strict=True))
            with self._lock:
                self._store(fresh)
            for row, key in enumerate(keys):
                if key in fresh:
                    out[row] = fresh[key]
        return out

    def encode_passages(
        self, texts: list[str], sentence_spans: list[list[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """Sentence vectors depend on the whole passage, so a passage with its sentences goes
        to the model (and its vector into the file); without them, the cached vectors."""
        if not isinstance(self.inner, PassageEmbedder):
            return self.encode(texts), None
        vectors, sentences = self.inner.encode_passages(texts, sentence_spans)
        with self._lock:
            self._store({self._key(t): v for t, v in zip(texts, vectors, strict=True)})
        return vectors, sentences

    def _lookup(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[i : i + _LOOKUP_CHUNK]
            rows = self._db.execute(
                f"SELECT key, vector FROM embeddings WHERE key IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self.dimension,):
                    found[key] = vector
        return found

    def _store(self, vectors: dict[bytes, np.ndarray]) -> None:
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO embeddings (key, vector) VALUES (?, ?)",
                    [(key, vector.tobytes()) for key, vector in vectors.items()],
                )
        except sqlite3.Error as error:
            # A cache that cannot be written only costs speed; the vectors are still returned.
            log.warning("embedding cache %s cannot be written: %s", self.path, error)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
