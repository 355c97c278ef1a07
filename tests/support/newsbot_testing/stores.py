"""The storage of one backend opened bare, as NewsArchive opens it: for the contract tests that
run every method of the storage Protocols on both backends."""

from __future__ import annotations

from config import Settings
from index.storage import ArticleStore, Database, FaissFileHome, PassageStore, VectorHome
from index.storage.postgres import open_postgres

DIM = 8
MODEL = "test/model"


def open_stores(
    settings: Settings, dimension: int = DIM, model: str = MODEL
) -> tuple[PassageStore, VectorHome]:
    """The passage store and vector home of `settings`' backend, as NewsArchive opens them."""
    if settings.storage.url:
        backend = open_postgres(settings, dimension, model, on_acquire=lambda: None)
        return backend.store, backend.home
    data = settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    return (
        ArticleStore(Database(data / "newsbot.db")),
        FaissFileHome(data / "vectors.faiss", dimension, model, settings.vectors),
    )
