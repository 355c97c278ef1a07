"""The one reader of `storage.url`: its scheme names the backend, opened from its folder."""

from __future__ import annotations

import importlib

from config import Settings
from index.backends.backend import Backend, OnAcquire
from index.errors import StoreError

# scheme of storage.url -> (the backend's module, the pip extra that installs its drivers).
# Each module has `open_backend(settings, dimension, model_name, on_acquire) -> Backend`, and
# is imported only when chosen: the default never needs another backend's drivers.
BACKENDS: dict[str, tuple[str, str]] = {
    "": ("index.backends.sqlite", ""),
    "postgresql": ("index.backends.postgres", "postgres"),
    "postgres": ("index.backends.postgres", "postgres"),
}


def open_backend(
    settings: Settings, dimension: int, model_name: str, on_acquire: OnAcquire = lambda: None
) -> Backend:
    """The backend `settings.storage.url` names, opened and migrated; a StoreError naming
    what to install when its driver is missing."""
    scheme = settings.storage.url.partition("://")[0] if settings.storage.url else ""
    if scheme not in BACKENDS:
        raise StoreError(f"storage.url: no backend for {scheme}:// (known: {_known()})")
    module_name, extra = BACKENDS[scheme]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        driver = (error.name or "").split(".")[0]
        if not extra or driver in ("index", "config", ""):
            raise
        raise StoreError(
            f"storage.url names {scheme}, but {driver} is not installed: "
            f"pip install 'newsbot[{extra}]'"
        ) from None
    return module.open_backend(settings, dimension, model_name, on_acquire)


def _known() -> str:
    return ", ".join(f"{scheme}://" for scheme in BACKENDS if scheme) + ", or empty for SQLite"
