"""The archive on disk behind two interfaces: `PassageStore` (articles, passages, full-text
search) and `VectorStore` (ids and vectors). `NewsArchive` opens both under one data
directory; `ArticleStore` (SQLite) and `VectorIndex` (FAISS) are their implementation."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.storage.interfaces": [
            "PassageRecord",
            "PassageStore",
            "StoredArticle",
            "VectorStore",
        ],
        "index.storage.archive": ["NewsArchive"],
        "index.storage.article_store": ["ArticleStore"],
        "index.storage.database": ["Database", "Transaction"],
        "index.storage.vectors": ["VectorIndex", "metadata_path"],
        "index.storage.lock": ["ArchiveBusyError", "ArchiveLock"],
    },
)
