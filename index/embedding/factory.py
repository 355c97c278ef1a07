"""make_embedder: the one place the `[embedding]` settings choose an embedder."""

from __future__ import annotations

from pathlib import Path

from config import EmbeddingSettings
from index.embedding.cache import CachedEmbedder
from index.embedding.embedder import Embedder, packaged_model_path
from index.embedding.onnx_int8 import OnnxInt8Embedder
from index.embedding.torch_model import TorchEmbedder


def make_embedder(settings: EmbeddingSettings, data_dir: Path) -> Embedder:
    """The embedder the settings ask for, behind the embedding cache when one is set. No
    weights load here (each embedder loads its own on first use)."""
    model_path = Path(settings.model_path) if settings.model_path else None
    embedder: Embedder
    if settings.backend == "onnx-int8":
        embedder = OnnxInt8Embedder(
            model_path or packaged_model_path(), data_dir, settings.batch_size
        )
    else:
        embedder = TorchEmbedder(model_path, settings.batch_size)
    if settings.cache_path:
        # The tag keeps vectors of another backend or model file apart in a shared cache.
        tag = settings.backend + (f":{model_path}" if model_path else "")
        return CachedEmbedder(embedder, Path(settings.cache_path).expanduser(), backend=tag)
    return embedder
