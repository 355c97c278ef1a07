"""Settings: declared once (settings.py), read from a user TOML file and the environment (loading.py)."""

from config.errors import SettingsError
from config.loading import load_settings
from config.settings import (
    AlertSettings,
    ConversationSettings,
    EmbeddingSettings,
    FetchSettings,
    PassageSettings,
    RetrievalSettings,
    Settings,
    SourceSettings,
    StorageSettings,
    StorySettings,
    TelegramSettings,
    VectorSettings,
)

__all__ = [
    "AlertSettings",
    "ConversationSettings",
    "EmbeddingSettings",
    "FetchSettings",
    "PassageSettings",
    "RetrievalSettings",
    "Settings",
    "SettingsError",
    "SourceSettings",
    "StorageSettings",
    "StorySettings",
    "TelegramSettings",
    "VectorSettings",
    "load_settings",
]
