"""The layers above index/storage and index/state know the stores only by their interfaces:
no module of retrieval/ or bot/ imports a storage engine, and the SQLite and FAISS classes
provide every method their Protocol promises."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from config import VectorSettings
from index.backends.sqlite import open_database
from index.state import (
    DeliveryOutbox,
    Feedback,
    FeedbackStore,
    FeedRegistry,
    Feeds,
    Outbox,
    Subscriptions,
    SubscriptionStore,
)
from index.storage import PassageStore, SqlitePassageStore, VectorIndex, VectorStore
from newsbot_testing.paths import REPO

ENGINES = {"sqlite3", "sqlite_utils", "faiss", "psycopg", "pgvector"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ["retrieval", "bot"])
def test_no_storage_engine_imported_above_storage(package: str) -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(_imported_modules(path) & ENGINES)
        for path in sorted((REPO / package).rglob("*.py"))
        if _imported_modules(path) & ENGINES
    }
    assert offenders == {}


def test_sqlite_and_faiss_classes_provide_their_protocols(tmp_path: Path) -> None:
    database = open_database(tmp_path / "news.db")
    assert isinstance(SqlitePassageStore(database), PassageStore)
    assert isinstance(SubscriptionStore(database), Subscriptions)
    assert isinstance(DeliveryOutbox(database), Outbox)
    assert isinstance(FeedRegistry(database), Feeds)
    assert isinstance(FeedbackStore(database), Feedback)
    vectors = VectorIndex(4, "random", VectorSettings())
    vectors.add(np.array([7]), np.ones((1, 4), dtype=np.float32))
    assert isinstance(vectors, VectorStore)
