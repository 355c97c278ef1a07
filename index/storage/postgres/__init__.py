"""The PostgreSQL + pgvector backend's storage: the same PassageStore and VectorStore as
SQLite + FAISS, opened by index/backends/postgres. Importing it needs psycopg
(`pip install 'newsbot[postgres]'`)."""

from index.storage.postgres.database import PostgresDatabase, describe
from index.storage.postgres.lock import AdvisoryLock
from index.storage.postgres.passages import PostgresPassageStore
from index.storage.postgres.schema import MIGRATIONS
from index.storage.postgres.vectors import PostgresVectorHome, PostgresVectorStore

__all__ = [
    "MIGRATIONS",
    "AdvisoryLock",
    "PostgresDatabase",
    "PostgresPassageStore",
    "PostgresVectorHome",
    "PostgresVectorStore",
    "describe",
]
