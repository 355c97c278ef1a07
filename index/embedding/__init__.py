"""Sentence embeddings: the interface every embedder meets (embedder), the model through
torch (torch_model) or its int8 ONNX export (onnx_int8), a cache in front of either (cache),
sentence vectors pooled from a passage's pass (sentence_vectors), and the one function that
picks them from the settings (factory).

Importing the package loads no model library: torch and onnxruntime are imported by the
embedder that needs them, when it first loads its weights.
"""

from index.embedding.cache import CachedEmbedder
from index.embedding.embedder import (
    DIMENSION,
    MODEL_NAME,
    Embedder,
    PassageEmbedder,
    encode_passages,
    packaged_model_path,
)
from index.embedding.factory import make_embedder
from index.embedding.onnx_int8 import OnnxInt8Embedder
from index.embedding.sentence_vectors import SentenceVectors
from index.embedding.torch_model import TorchEmbedder

__all__ = [
    "DIMENSION",
    "MODEL_NAME",
    "CachedEmbedder",
    "Embedder",
    "OnnxInt8Embedder",
    "PassageEmbedder",
    "SentenceVectors",
    "TorchEmbedder",
    "encode_passages",
    "make_embedder",
    "packaged_model_path",
]
