"""Sentence embeddings from the packaged all-MiniLM-L6-v2 through sentence-transformers (torch),
normalised so inner product = cosine.

The model loads lazily, once, on first use (torch is imported then, not with this module);
nothing is ever downloaded (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

from index.embedding.embedder import DIMENSION, MODEL_NAME, packaged_model_path
from index.embedding.sentence_vectors import Span, pool_sentences
from index.errors import StoreError

log = logging.getLogger(__name__)


class TorchEmbedder:
    """sentence-transformers on the CPU. Thread-safe: one encode runs at a time."""

    model_name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, model_path: Path | None = None, batch_size: int = 64) -> None:
        self.model_path = model_path or packaged_model_path()
        if not (self.model_path / "config.json").exists():
            raise StoreError(f"no embedding model at {self.model_path}")
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the weights now rather than on the first encode."""
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._model is not None:
            return
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        from sentence_transformers import SentenceTransformer

        log.info("loading embedding model from %s", self.model_path)
        self._model = SentenceTransformer(str(self.model_path), device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            self._load_locked()
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_passages(
        self, texts: list[str], sentence_spans: list[list[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As OnnxInt8Embedder.encode_passages: text vectors and late-chunked sentence vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        with self._lock:
            self._load_locked()
            outputs = self._model.encode(
                texts, batch_size=self.batch_size, output_value=None, show_progress_bar=False
            )
            tokenizer = self._model.tokenizer
            limit = self._model.max_seq_length
            offsets = [
                tokenizer(t, truncation=True, max_length=limit, return_offsets_mapping=True)[
                    "offset_mapping"
                ]
                for t in texts
            ]
        vectors = np.stack([o["sentence_embedding"].float().numpy() for o in outputs])
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        sentences = []
        for text, output, text_offsets, spans in zip(
            texts, outputs, offsets, sentence_spans, strict=True
        ):
            tokens = output["token_embeddings"].float().numpy()[: len(text_offsets)]
            pooled, missing = pool_sentences(tokens, text_offsets, spans)
            if missing:
                pooled[missing] = self.encode([text[a:b] for a, b in (spans[i] for i in missing)])
            sentences.append(pooled)
        return np.ascontiguousarray(vectors, dtype=np.float32), sentences
