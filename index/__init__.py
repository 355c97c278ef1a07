"""The write side: sources -> articles -> passages -> embeddings -> FAISS + SQLite.

The names other packages use: the archive, the ingestor and its report, and the errors. The
subpackages name their own: `index.sources`, `index.text`, `index.embedding`, `index.storage`
and `index.state`.
"""

from index.archive import NewsArchive
from index.errors import FetchError, ForeignIndexError, IndexError_, SourceError, StoreError
from index.ingest import Ingestor, IngestReport

__all__ = [
    "FetchError",
    "ForeignIndexError",
    "IndexError_",
    "IngestReport",
    "Ingestor",
    "NewsArchive",
    "SourceError",
    "StoreError",
]
