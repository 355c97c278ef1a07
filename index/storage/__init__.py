"""The archive behind two interfaces: `PassageStore` (articles, passages, full-text search)
and `VectorStore` (ids and vectors), with `VectorHome` (where vectors are kept between
processes). `NewsArchive` opens them from the settings: `SqlitePassageStore` (SQLite) and
`VectorIndex` (FAISS, kept by `FaissFileHome`) in the data directory, or the PostgreSQL +
pgvector classes of `index.storage.postgres` when `storage.url` is set."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.storage.interfaces": [
            "PassageRecord",
            "PassageStore",
            "StoredArticle",
            "StoryRecord",
            "VectorHome",
            "VectorStore",
        ],
        "index.storage.passages": ["SqlitePassageStore"],
        "index.storage.database": ["Database", "Transaction"],
        "index.storage.vectors": ["FaissFileHome", "VectorIndex", "metadata_path"],
        "index.storage.lock": ["ArchiveBusyError", "ArchiveLock", "BotRunLock"],
    },
)
