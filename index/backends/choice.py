"""The one reader of `storage.url`: its scheme names the backend, opened from its folder."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from config import Settings
from index.backends.backend import Backend, OnAcquire
from index.errors import StoreError


@dataclass(frozen=True)
class Choice:
    # The backend's folder: `open_backend(settings, dimension, model_name, on_acquire) ->
    # Backend`, imported only when chosen (the default never needs another's drivers).
    module: str
    extra: str  # the pip extra that installs its drivers ("" when none are needed)
    in_data_dir: bool  # the archive is files in the data directory, for one process


# scheme of storage.url -> the backend it names.
BACKENDS: dict[str, Choice] = {
    "": Choice("index.backends.sqlite", "", in_data_dir=True),
    "postgresql": Choice("index.backends.postgres", "postgres", in_data_dir=False),
    "postgres": Choice("index.backends.postgres", "postgres", in_data_dir=False),
}


def chosen(settings: Settings) -> Choice:
    """The backend `settings.storage.url` names; a StoreError for a scheme none serves."""
    url = settings.storage.url
    scheme = url.partition("://")[0] if url else ""
    if scheme not in BACKENDS:
        known = ", ".join(f"{s}://" for s in BACKENDS if s)
        raise StoreError(f"storage.url: no backend for {scheme}:// (known: {known}, or none)")
    return BACKENDS[scheme]


def keeps_data_dir(settings: Settings) -> bool:
    """Whether the archive is files in the data directory (SQLite + FAISS): one process at a
    time runs the bot on it, and `newsbot migrate` may copy it."""
    return chosen(settings).in_data_dir


def open_backend(
    settings: Settings, dimension: int, model_name: str, on_acquire: OnAcquire = lambda: None
) -> Backend:
    """The backend `settings.storage.url` names, opened and migrated; a StoreError naming
    what to install when its driver is missing."""
    choice = chosen(settings)
    try:
        module = importlib.import_module(choice.module)
    except ImportError as error:
        driver = (error.name or "").split(".")[0]
        if not choice.extra or driver in ("index", "config", ""):
            raise
        raise StoreError(
            f"storage.url names {settings.storage.url.partition('://')[0]}, but {driver} is "
            f"not installed: pip install 'newsbot[{choice.extra}]'"
        ) from None
    return module.open_backend(settings, dimension, model_name, on_acquire)
