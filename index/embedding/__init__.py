"""Sentence embeddings: the model (torch, or the int8 ONNX export) and a cache in front of it."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.embedding.embedder": [
            "DIMENSION",
            "Embedder",
            "TorchEmbedder",
            "make_embedder",
            "packaged_model_path",
        ],
        "index.embedding.cache": ["CachedEmbedder"],
    },
)
