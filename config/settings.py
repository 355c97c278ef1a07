"""One frozen, validated Settings object built from default.toml < user TOML < environment.

Every field can be set from the environment as NEWSBOT_<SECTION>_<FIELD> (for example
NEWSBOT_RETRIEVAL_ABSTAIN_BELOW=0.4); top-level fields as NEWSBOT_<FIELD>. A few names that
deployment tools rely on are aliases: TELEGRAM_BOT_TOKEN, NEWSBOT_ADMINS, NEWSBOT_DATA_DIR,
NEWSBOT_TELEGRAM_API_URL, and NEWSBOT_CONFIG for the user file.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TOML = Path(__file__).with_name("default.toml")

ENV_ALIASES = {
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "NEWSBOT_ADMINS": ("telegram", "admins"),
}


class SettingsError(ValueError):
    """An invalid setting; the message is one line naming the setting and what is wrong."""


@dataclass(frozen=True)
class EmbeddingSettings:
    model_path: str = ""
    backend: str = "onnx-int8"
    batch_size: int = 64
    cache_path: str = ""  # "" = no embedding cache

    def validate(self) -> None:
        _choice("embedding.backend", self.backend, ("torch", "onnx-int8"))
        _positive("embedding.batch_size", self.batch_size)
        if self.cache_path and self.cache_path.endswith(("/", "\\")):
            raise SettingsError("embedding.cache_path must name a file, not a directory")


@dataclass(frozen=True)
class PassageSettings:
    target_words: int = 120
    max_words: int = 200
    overlap_sentences: int = 1
    embed_title: bool = True
    max_chars: int = 2_000

    def validate(self) -> None:
        _positive("passages.target_words", self.target_words)
        _positive("passages.max_chars", self.max_chars)
        if self.max_words < self.target_words:
            raise SettingsError("passages.max_words must be at least passages.target_words")
        if not 0 <= self.overlap_sentences <= 5:
            raise SettingsError("passages.overlap_sentences must be between 0 and 5")


@dataclass(frozen=True)
class VectorSettings:
    approximate_after: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    hnsw_ef_construction: int = 80

    def validate(self) -> None:
        _positive("vectors.approximate_after", self.approximate_after)
        _positive("vectors.hnsw_m", self.hnsw_m)
        _positive("vectors.hnsw_ef_search", self.hnsw_ef_search)
        _positive("vectors.hnsw_ef_construction", self.hnsw_ef_construction)


@dataclass(frozen=True)
class RetrievalSettings:
    dense_k: int = 60
    lexical_k: int = 60
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    max_per_article: int = 2
    quotes: int = 3
    abstain_below: float = 0.28
    recency_half_life_days: float = 7.0
    recency_floor: float = 0.5
    lexical_max_df: float = 0.03
    embedded_marking_quotes: int = 3
    lexical_window: int = 200_000

    def validate(self) -> None:
        for name in (
            "dense_k",
            "lexical_k",
            "rrf_k",
            "max_per_article",
            "quotes",
            "lexical_window",
        ):
            _positive(f"retrieval.{name}", getattr(self, name))
        for name in ("dense_weight", "lexical_weight"):
            if getattr(self, name) < 0:
                raise SettingsError(f"retrieval.{name} must not be negative")
        if not 0.0 <= self.abstain_below <= 1.0:
            raise SettingsError("retrieval.abstain_below must be between 0 and 1")
        _positive("retrieval.recency_half_life_days", self.recency_half_life_days)
        if not 0.0 <= self.recency_floor <= 1.0:
            raise SettingsError("retrieval.recency_floor must be between 0 and 1")
        if self.embedded_marking_quotes < 0:
            raise SettingsError("retrieval.embedded_marking_quotes must not be negative")
        if not 0.0 < self.lexical_max_df <= 1.0:
            raise SettingsError("retrieval.lexical_max_df must be above 0 and at most 1")


@dataclass(frozen=True)
class FetchSettings:
    timeout_seconds: float = 15.0
    deadline_seconds: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    concurrency: int = 4
    user_agent: str = "newsbot/0.1"
    allow_private_networks: tuple[str, ...] = ()
    feed_deadline_seconds: float = 120.0

    def validate(self) -> None:
        _positive("fetch.timeout_seconds", self.timeout_seconds)
        _positive("fetch.feed_deadline_seconds", self.feed_deadline_seconds)
        if self.deadline_seconds < self.timeout_seconds:
            raise SettingsError(
                "setting fetch.deadline_seconds must be at least fetch.timeout_seconds"
                f" ({self.timeout_seconds:g}), got {self.deadline_seconds!r}"
            )
        _positive("fetch.max_bytes", self.max_bytes)
        _positive("fetch.concurrency", self.concurrency)
        if self.max_redirects < 0:
            raise SettingsError("fetch.max_redirects must not be negative")
        for network in self.allow_private_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise SettingsError(
                    f"fetch.allow_private_networks: {network!r} is not a network like 127.0.0.1/32"
                ) from None


@dataclass(frozen=True)
class SourceSettings:
    max_items_per_feed: int = 200
    max_article_chars: int = 200_000
    max_title_chars: int = 1_000
    max_source_chars: int = 300
    max_url_chars: int = 4_096
    min_article_words: int = 10

    def validate(self) -> None:
        for name in (
            "max_items_per_feed",
            "max_article_chars",
            "max_title_chars",
            "max_source_chars",
            "max_url_chars",
        ):
            _positive(f"sources.{name}", getattr(self, name))
        if self.min_article_words < 0:
            raise SettingsError("sources.min_article_words must not be negative")


@dataclass(frozen=True)
class TelegramSettings:
    token: str = field(default="", repr=False)
    api_url: str = "https://api.telegram.org/bot"
    admins: tuple[int, ...] = ()
    webhook_url: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str = field(default="", repr=False)
    questions_per_minute: float = 10.0
    question_burst: int = 3
    group_members_manage_alerts: bool = False

    def validate(self) -> None:
        _positive("telegram.questions_per_minute", self.questions_per_minute)
        _positive("telegram.question_burst", self.question_burst)
        if not self.api_url.startswith(("http://", "https://")):
            raise SettingsError("telegram.api_url must start with http:// or https://")
        if self.webhook_url and not self.webhook_url.startswith("https://"):
            raise SettingsError("telegram.webhook_url must be an https:// URL")
        if not 0 < self.webhook_port < 65536:
            raise SettingsError("telegram.webhook_port must be a TCP port (1-65535)")


@dataclass(frozen=True)
class AlertSettings:
    feed_poll_minutes: float = 15.0
    threshold: float = 0.45
    profile_threshold: float = 0.387
    profile_articles: int = 5000
    profile_min_articles: int = 300
    feedback_articles: int = 200
    feedback_rounds: int = 3
    feedback_relative_cosine: float = 0.5
    feedback_topic_weight: float = 0.0
    profile_min_overlap: float = 0.45
    profile_max_expansion: float = 2.0
    profile_refresh_minutes: float = 360.0
    digest_minutes: float = 360.0
    send_interval_seconds: float = 1.0
    retry_seconds: float = 30.0
    retry_max_seconds: float = 900.0
    retry_for_hours: float = 24.0
    claim_lease_seconds: float = 120.0
    max_subscriptions_per_chat: int = 25

    def validate(self) -> None:
        _positive("alerts.feed_poll_minutes", self.feed_poll_minutes)
        _positive("alerts.max_subscriptions_per_chat", self.max_subscriptions_per_chat)
        _positive("alerts.digest_minutes", self.digest_minutes)
        if not -1.0 <= self.threshold <= 1.0:
            raise SettingsError("alerts.threshold must be between -1 and 1")
        if self.profile_articles < 0:
            raise SettingsError("alerts.profile_articles must not be negative (0 = off)")
        _positive("alerts.profile_min_articles", self.profile_min_articles)
        _positive("alerts.feedback_articles", self.feedback_articles)
        _positive("alerts.feedback_rounds", self.feedback_rounds)
        _positive("alerts.profile_refresh_minutes", self.profile_refresh_minutes)
        if not 0.0 < self.feedback_relative_cosine <= 1.0:
            raise SettingsError("alerts.feedback_relative_cosine must be in (0, 1]")
        if not 0.0 <= self.feedback_topic_weight <= 1.0:
            raise SettingsError("alerts.feedback_topic_weight must be between 0 and 1")
        if not 0.0 <= self.profile_min_overlap <= 1.0:
            raise SettingsError("alerts.profile_min_overlap must be between 0 and 1")
        _positive("alerts.profile_max_expansion", self.profile_max_expansion)
        if self.send_interval_seconds < 0:
            raise SettingsError("alerts.send_interval_seconds must not be negative")
        _positive("alerts.retry_seconds", self.retry_seconds)
        if self.retry_max_seconds < self.retry_seconds:
            raise SettingsError("alerts.retry_max_seconds must be at least alerts.retry_seconds")
        _positive("alerts.retry_for_hours", self.retry_for_hours)
        _positive("alerts.claim_lease_seconds", self.claim_lease_seconds)


@dataclass(frozen=True)
class StorageSettings:
    lock_timeout_seconds: float = 600.0
    save_every_seconds: float = 30.0

    def validate(self) -> None:
        if self.save_every_seconds < 0:
            raise SettingsError("storage.save_every_seconds must not be negative")
        if self.lock_timeout_seconds < 0:
            raise SettingsError("storage.lock_timeout_seconds must not be negative")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("newsbot-data")
    log_level: str = "INFO"
    embedding: EmbeddingSettings = EmbeddingSettings()
    passages: PassageSettings = PassageSettings()
    vectors: VectorSettings = VectorSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    fetch: FetchSettings = FetchSettings()
    sources: SourceSettings = SourceSettings()
    telegram: TelegramSettings = TelegramSettings()
    alerts: AlertSettings = AlertSettings()
    storage: StorageSettings = StorageSettings()

    def validate(self) -> None:
        _choice("log_level", self.log_level, ("DEBUG", "INFO", "WARNING", "ERROR"))
        for section in _SECTIONS:
            getattr(self, section).validate()

    def replace(self, **changes: Any) -> Settings:
        """A copy with top-level fields or whole sections changed, validated again."""
        updated = dataclasses.replace(self, **changes)
        updated.validate()
        return updated


_SECTIONS = (
    "embedding",
    "passages",
    "vectors",
    "retrieval",
    "fetch",
    "sources",
    "telegram",
    "alerts",
    "storage",
)


def load_settings(
    config_file: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read default.toml, then the user file, then the environment, then explicit overrides.

    `overrides` takes dotted keys ("data_dir", "retrieval.quotes") for command-line flags.
    Raises SettingsError with one readable line for anything invalid.
    """
    env = os.environ if env is None else env
    raw = _read_toml(DEFAULT_TOML)
    config_file = config_file or env.get("NEWSBOT_CONFIG") or None
    if config_file:
        _merge(raw, _read_toml(Path(config_file)), str(config_file))
    _merge(raw, _from_env(env), "the environment")
    for dotted, value in (overrides or {}).items():
        *sections, key = dotted.split(".")
        target = raw
        for section in sections:
            target = target.setdefault(section, {})
        target[key] = value
    settings = _build(Settings, raw, "")
    settings.validate()
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path} is not valid TOML: {error}") from None
    except OSError as error:
        raise SettingsError(f"config file {path} cannot be read: {error.strerror}") from None


def _merge(base: dict[str, Any], extra: Mapping[str, Any], origin: str) -> None:
    for key, value in extra.items():
        if key not in base:
            raise SettingsError(f"unknown setting {key!r} in {origin}")
        if isinstance(base[key], dict):
            if not isinstance(value, Mapping):
                raise SettingsError(f"setting {key!r} in {origin} must be a table")
            for sub_key in value:
                if sub_key not in base[key]:
                    raise SettingsError(f"unknown setting {key}.{sub_key} in {origin}")
            base[key].update(value)
        else:
            base[key] = value


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    names: dict[str, tuple[str, ...]] = {
        f"NEWSBOT_{f.name.upper()}": (f.name,)
        for f in dataclasses.fields(Settings)
        if f.name not in _SECTIONS
    }
    hints = typing.get_type_hints(Settings)
    for section in _SECTIONS:
        for f in dataclasses.fields(hints[section]):
            names[f"NEWSBOT_{section.upper()}_{f.name.upper()}"] = (section, f.name)
    names.update(ENV_ALIASES)
    for name, path in names.items():
        value = env.get(name)
        if value is None or (value == "" and name != "TELEGRAM_BOT_TOKEN"):
            continue
        target = found
        for section in path[:-1]:
            target = target.setdefault(section, {})
        target[path[-1]] = _EnvText(value, name)
    return found


class _EnvText(str):
    """A string from the environment; converted to the field's type when settings are built."""

    origin: str

    def __new__(cls, value: str, origin: str) -> _EnvText:
        text = super().__new__(cls, value)
        text.origin = origin
        return text


def _build(cls: type, raw: Mapping[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue
        name = f"{prefix}{f.name}"
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            values[f.name] = _build(hint, raw[f.name], f"{name}.")
        else:
            values[f.name] = _convert(name, raw[f.name], hint)
    return cls(**values)


def _convert(name: str, value: Any, hint: Any) -> Any:
    where = f" (from {value.origin})" if isinstance(value, _EnvText) else ""
    try:
        if hint is Path:
            return Path(str(value)).expanduser()
        if hint is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
                return True
            if isinstance(value, str) and value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if hint is int:
            if isinstance(value, (bool, float)):
                raise ValueError
            return int(str(value).strip())
        if hint is float:
            if isinstance(value, bool):
                raise ValueError
            return float(str(value).strip())
        if hint is str:
            if not isinstance(value, str):
                raise ValueError
            return str(value)
        if typing.get_origin(hint) is tuple:
            item_type = typing.get_args(hint)[0]
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple):
                raise ValueError
            return tuple(
                _convert(name, item.strip() if isinstance(item, str) else item, item_type)
                for item in items
                if not (isinstance(item, str) and not item.strip())
            )
    except (TypeError, ValueError):
        expected = {int: "a whole number", float: "a number", bool: "true or false"}.get(
            hint, "a list" if typing.get_origin(hint) is tuple else "text"
        )
        if typing.get_origin(hint) is tuple and typing.get_args(hint)[0] is int:
            expected = "a list of whole numbers (comma-separated in the environment)"
        raise SettingsError(f"setting {name}{where} must be {expected}, got {value!r}") from None
    raise SettingsError(f"setting {name} has an unsupported type")


def _positive(name: str, value: float) -> None:
    if value <= 0:
        raise SettingsError(f"setting {name} must be greater than 0, got {value!r}")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SettingsError(f"setting {name} must be one of {', '.join(allowed)}; got {value!r}")
