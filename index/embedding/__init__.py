"""Sentence embeddings: the model (torch, or the int8 ONNX export) and a cache in front of it."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.embedding.embedder": [
            "DIMENSION",
            "Embedder",
            "PassageEmbedder",
            "TorchEmbedder",
            "encode_passages",
            "make_embedder",
            "packaged_model_path",
        ],
        "index.embedding.cache": ["CachedEmbedder"],
        "index.embedding.sentence_vectors": ["SentenceVectors"],
    },
)
