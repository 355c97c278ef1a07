"""The storage of one backend opened bare, as NewsArchive opens it: for the contract tests that
run every method of the storage Protocols on both backends."""

from __future__ import annotations

from config import Settings
from index.backends import open_backend
from index.storage import PassageStore, VectorHome

DIM = 8
MODEL = "test/model"


def open_stores(
    settings: Settings, dimension: int = DIM, model: str = MODEL
) -> tuple[PassageStore, VectorHome]:
    """The passage store and vector home of `settings`' backend, as NewsArchive opens them."""
    backend = open_backend(settings, dimension, model)
    return backend.store, backend.home
