"""The PostgreSQL + pgvector backend: the same PassageStore and VectorStore as SQLite + FAISS,
chosen by `storage.url`. Importing it needs psycopg (`pip install 'newsbot[postgres]'`)."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.storage.postgres.backend": ["PostgresBackend", "open_postgres"],
        "index.storage.postgres.database": ["PostgresDatabase"],
        "index.storage.postgres.lock": ["AdvisoryLock"],
        "index.storage.postgres.passages": ["PostgresPassageStore"],
        "index.storage.postgres.schema": ["MIGRATIONS"],
        "index.storage.postgres.vectors": ["PostgresVectorHome", "PostgresVectorStore"],
    },
)
