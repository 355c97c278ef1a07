"""Settings: declared once (settings.py), read from a user TOML file and the environment (loading.py)."""

from config.errors import SettingsError
from config.loading import load_settings
from config.settings import (
    AlertSettings,
    EmbeddingSettings,
    FetchSettings,
    PassageSettings,
    RetrievalSettings,
    Settings,
    SourceSettings,
    StorageSettings,
    TelegramSettings,
    VectorSettings,
)

__all__ = [
    "AlertSettings",
    "EmbeddingSettings",
    "FetchSettings",
    "PassageSettings",
    "RetrievalSettings",
    "Settings",
    "SettingsError",
    "SourceSettings",
    "StorageSettings",
    "TelegramSettings",
    "VectorSettings",
    "load_settings",
]
