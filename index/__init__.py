"""The write side: sources -> articles -> passages -> embeddings -> FAISS + SQLite.

The names other packages use: the archive, the ingestor and its report, and the errors. The
subpackages name their own: `index.sources`, `index.text`, `index.embedding`, `index.storage`
and `index.state`.
"""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.archive": ["NewsArchive"],
        "index.ingest": ["IngestReport", "Ingestor"],
        "index.errors": [
            "FetchError",
            "ForeignIndexError",
            "IndexError_",
            "SourceError",
            "StoreError",
        ],
    },
)
