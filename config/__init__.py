"""Settings: read once from default.toml, a user TOML file and the environment, then handed down."""

from config.settings import (
    AlertSettings,
    EmbeddingSettings,
    FetchSettings,
    PassageSettings,
    RetrievalSettings,
    Settings,
    SettingsError,
    SourceSettings,
    StorageSettings,
    TelegramSettings,
    VectorSettings,
    load_settings,
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
