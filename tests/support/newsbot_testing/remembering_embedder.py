"""The session's real model, remembering every vector it has computed.

Many tests ingest the same texts (the seed story, the BBC articles) into fresh archives and
ask the same questions; the model is a pure function of its input, so each text goes through
it once per run and every later call gets a copy of the same vectors. Nothing else changes:
the vectors are the model's own, and an archive cannot tell the difference.
"""

from __future__ import annotations

import threading

import numpy as np

from index.embedding import TorchEmbedder
from index.embedding.sentence_vectors import Span


class RememberingEmbedder:
    """A TorchEmbedder (encode and encode_passages) with a memory keyed by its input."""

    def __init__(self, inner: TorchEmbedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self._texts: dict[str, np.ndarray] = {}
        self._passages: dict[tuple[str, tuple[Span, ...]], tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        self.inner.load()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.inner.encode(texts)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._texts))
        if missing:
            vectors = self.inner.encode(missing)
            with self._lock:
                self._texts.update(zip(missing, vectors, strict=True))
        with self._lock:
            return np.stack([self._texts[t] for t in texts])

    def encode_passages(
        self, texts: list[str], sentence_spans: list[list[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        if not texts:
            return self.inner.encode_passages(texts, sentence_spans)
        keys = [
            (text, tuple(map(tuple, spans)))
            for text, spans in zip(texts, sentence_spans, strict=True)
        ]
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in self._passages))
        if missing:
            vectors, sentences = self.inner.encode_passages(
                [text for text, _ in missing], [list(spans) for _, spans in missing]
            )
            with self._lock:
                self._passages.update(
                    zip(missing, zip(vectors, sentences, strict=True), strict=True)
                )
        with self._lock:
            found = [self._passages[k] for k in keys]
        return np.stack([v for v, _ in found]), [s.copy() for _, s in found]
