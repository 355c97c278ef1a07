"""The archive behind two interfaces: `PassageStore` (articles, passages, full-text search)
and `VectorStore` (ids and vectors), with `VectorHome` (where vectors are kept between
processes). Implemented by `SqlitePassageStore` (SQLite) and `VectorIndex` (FAISS, kept by
`FaissFileHome`) in the data directory, and by the PostgreSQL + pgvector classes of
`index.storage.postgres`; `index.backends` opens the ones `storage.url` names. The SQL both
backends run alike is written once, with the database's `Dialect`."""

from index.storage.database import Database, Transaction
from index.storage.dialect import POSTGRESQL, SQLITE, Dialect
from index.storage.interfaces import (
    PassageRecord,
    PassageStore,
    StoredArticle,
    StoryRecord,
    VectorHome,
    VectorStore,
)
from index.storage.lock import ArchiveBusyError, ArchiveLock, BotRunLock
from index.storage.passages import SqlitePassageStore
from index.storage.vectors import FaissFileHome, VectorIndex, metadata_path

__all__ = [
    "POSTGRESQL",
    "SQLITE",
    "ArchiveBusyError",
    "ArchiveLock",
    "BotRunLock",
    "Database",
    "Dialect",
    "FaissFileHome",
    "PassageRecord",
    "PassageStore",
    "SqlitePassageStore",
    "StoredArticle",
    "StoryRecord",
    "Transaction",
    "VectorHome",
    "VectorIndex",
    "VectorStore",
    "metadata_path",
]
