"""Every setting's name, type, default and rule, declared once.

Sections are frozen pydantic dataclasses: built and checked in one step, hashable, and usable
with dataclasses.replace/asdict. config/default.toml documents the same settings and a test
holds it equal to these defaults; config/loading.py reads files and the environment into them.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic import ValidationInfo as Info
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

from config.errors import one_line
from config.redaction import redacted_url

_STRICT_KEYS = ConfigDict(extra="forbid")
T = TypeVar("T")


def _section(cls: type[T]) -> type[T]:
    # Frozen: one Settings object is shared by every part of the program. Unknown keys are
    # refused, so a misspelt setting in a file is named rather than silently ignored.
    return dataclass(frozen=True, config=_STRICT_KEYS)(cls)


def _not_bool(value: Any) -> Any:
    # pydantic would read true as 1; a number written as true is a mistake worth naming.
    if isinstance(value, bool):
        raise PydanticCustomError("bool_is_not_a_number", "a number, not true/false")
    return value


def _items(value: Any) -> Any:
    """Lists come from the environment as comma-separated text; blanks are dropped."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


def _rule(check: Callable[[Any], bool], must: str) -> AfterValidator:
    def validate(value: Any) -> Any:
        if not check(value):
            # A URL's password is never repeated back (config/redaction.py).
            shown = redacted_url(value) if isinstance(value, str) else value
            raise ValueError(f"{must}, got {shown!r}")
        return value

    return AfterValidator(validate)


def _at_least(other: str) -> AfterValidator:
    """At least the (earlier declared) setting `other`, given as section.name."""

    def validate(value: float, info: Info) -> float:
        floor = info.data.get(other.rsplit(".", 1)[-1])
        if floor is not None and value < floor:
            raise ValueError(f"must be at least {other} ({floor:g}), got {value!r}")
        return value

    return AfterValidator(validate)


def _network(text: str) -> str:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(
            f"must list networks like 127.0.0.1/32; {text!r} is not a network"
        ) from None
    return text


Int = Annotated[int, BeforeValidator(_not_bool)]
Float = Annotated[float, BeforeValidator(_not_bool)]
PositiveInt = Annotated[Int, Field(gt=0)]
PositiveFloat = Annotated[Float, Field(gt=0)]
NonNegativeInt = Annotated[Int, Field(ge=0)]
NonNegativeFloat = Annotated[Float, Field(ge=0)]
Share = Annotated[Float, Field(ge=0, le=1)]
Network = Annotated[str, AfterValidator(_network)]


@_section
class EmbeddingSettings:
    model_path: str = ""
    backend: Literal["torch", "onnx-int8"] = "onnx-int8"
    batch_size: PositiveInt = 64
    cache_path: Annotated[  # "" = no embedding cache
        str, _rule(lambda path: not path.endswith(("/", "\\")), "must name a file, not a directory")
    ] = ""


@_section
class PassageSettings:
    target_words: PositiveInt = 120
    max_words: Annotated[Int, _at_least("passages.target_words")] = 200
    overlap_sentences: Annotated[Int, Field(ge=0, le=5)] = 1
    embed_title: bool = True
    max_chars: PositiveInt = 2_000


@_section
class VectorSettings:
    approximate_after: PositiveInt = 50_000
    hnsw_m: PositiveInt = 32
    hnsw_ef_search: PositiveInt = 128
    hnsw_ef_construction: PositiveInt = 80


@_section
class RetrievalSettings:
    dense_k: PositiveInt = 60
    lexical_k: PositiveInt = 60
    rrf_k: PositiveInt = 60
    dense_weight: NonNegativeFloat = 1.0
    lexical_weight: NonNegativeFloat = 1.0
    max_per_article: PositiveInt = 2
    quote_context_chars: NonNegativeInt = 300
    quotes: PositiveInt = 3
    abstain_below: Share = 0.28
    quote_below: Share = 0.27
    recency_half_life_days: PositiveFloat = 7.0
    recency_floor: Share = 0.5
    lexical_max_df: Annotated[Float, Field(gt=0, le=1)] = 0.03
    lexical_window: PositiveInt = 200_000
    reader: bool = False
    reader_candidates: PositiveInt = 6
    reader_sentences: NonNegativeInt = 2
    reader_rerank: bool = True
    reader_mark: bool = True
    reader_abstain_below: Share = 0.25
    reader_quote_below: Share = 0.25


@_section
class FetchSettings:
    timeout_seconds: PositiveFloat = 15.0
    deadline_seconds: Annotated[Float, _at_least("fetch.timeout_seconds")] = 30.0
    max_bytes: PositiveInt = 5_000_000
    max_redirects: NonNegativeInt = 5
    concurrency: PositiveInt = 4
    user_agent: str = "newsbot/0.1 (+https://github.com/newsbot)"
    allow_private_networks: Annotated[tuple[Network, ...], BeforeValidator(_items)] = ()
    feed_deadline_seconds: PositiveFloat = 120.0
    feed_lease_seconds: Annotated[Float, _at_least("fetch.feed_deadline_seconds")] = 900.0


@_section
class SourceSettings:
    max_items_per_feed: PositiveInt = 200
    max_article_chars: PositiveInt = 200_000
    max_title_chars: PositiveInt = 1_000
    max_source_chars: PositiveInt = 300
    max_url_chars: PositiveInt = 4_096
    min_article_words: NonNegativeInt = 10
    max_folder_files: PositiveInt = 10_000


@_section
class TelegramSettings:
    token: str = Field(default="", repr=False)
    api_url: Annotated[
        str,
        _rule(
            lambda url: url.startswith(("http://", "https://")),
            "must start with http:// or https://",
        ),
    ] = "https://api.telegram.org/bot"
    admins: Annotated[tuple[Int, ...], BeforeValidator(_items)] = ()
    webhook_url: Annotated[
        str, _rule(lambda url: not url or url.startswith("https://"), "must be an https:// URL")
    ] = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: Annotated[Int, Field(ge=1, le=65535)] = 8443
    webhook_secret: str = Field(default="", repr=False)
    questions_per_minute: PositiveFloat = 10.0
    question_burst: PositiveInt = 3
    group_members_manage_alerts: bool = False
    admin_rights_seconds: NonNegativeFloat = 60.0
    buttons_per_minute: PositiveFloat = 30.0
    button_burst: PositiveInt = 10


@_section
class AlertSettings:
    feed_poll_minutes: PositiveFloat = 15.0
    profile_articles: NonNegativeInt = 5000  # 0 = off
    profile_min_articles: PositiveInt = 300
    profile_refresh_minutes: PositiveFloat = 360.0
    digest_minutes: PositiveFloat = 360.0
    send_interval_seconds: NonNegativeFloat = 1.0
    retry_seconds: PositiveFloat = 30.0
    retry_max_seconds: Annotated[Float, _at_least("alerts.retry_seconds")] = 900.0
    retry_for_hours: PositiveFloat = 24.0
    claim_lease_seconds: PositiveFloat = 120.0
    sweep_seconds: PositiveFloat = 30.0
    max_subscriptions_per_chat: PositiveInt = 25
    max_subscriptions_per_user: PositiveInt = 100
    max_feeds: PositiveInt = 500
    preview_days: PositiveFloat = 7.0
    preview_max_articles: PositiveInt = 2000
    preview_headlines: NonNegativeInt = 3
    preview_flood_share: Share = 0.34
    vote_memory: PositiveInt = 50


# SQLAlchemy's spelling of the same URL, as an operator may copy it from another program.
_DRIVER_SCHEMES = ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres+psycopg://")


def storage_url(value: Any) -> Any:
    """A PostgreSQL URL as libpq takes it: surrounding spaces (a pasted value) dropped and a
    driver-qualified scheme (postgresql+psycopg://) made plain postgresql://."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    for scheme in _DRIVER_SCHEMES:
        if value.startswith(scheme):
            return "postgresql://" + value[len(scheme) :]
    return value


@_section
class StorySettings:
    per_page: Annotated[Int, Field(ge=1, le=20)] = 8
    max_pages: PositiveInt = 10
    max_listed: PositiveInt = 80
    digest_stories: Annotated[Int, Field(ge=1, le=30)] = 10
    digest_articles: PositiveInt = 600
    same_story_cosine: Annotated[Float, Field(gt=0, le=1)] = 0.7
    topic_min_cosine: Annotated[Float, Field(ge=-1, le=1)] = 0.3


@_section
class ConversationSettings:
    follow_up_minutes: NonNegativeFloat = 5.0
    inline_results: Annotated[Int, Field(ge=1, le=50)] = 5
    inline_cache_seconds: NonNegativeInt = 300
    inline_cache_entries: PositiveInt = 1000


@_section
class StorageSettings:
    lock_timeout_seconds: NonNegativeFloat = 600.0
    save_every_seconds: NonNegativeFloat = 30.0
    migrate_memory_mb: PositiveInt = 2048
    url: Annotated[
        str,
        BeforeValidator(storage_url),
        _rule(
            lambda url: url == "" or url.startswith(("postgresql://", "postgres://")),
            "must be empty or a postgresql:// URL",
        ),
    ] = ""


@_section
class Settings:
    data_dir: Annotated[Path, AfterValidator(Path.expanduser)] = Path("newsbot-data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    passages: PassageSettings = Field(default_factory=PassageSettings)
    vectors: VectorSettings = Field(default_factory=VectorSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    sources: SourceSettings = Field(default_factory=SourceSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    stories: StorySettings = Field(default_factory=StorySettings)
    conversation: ConversationSettings = Field(default_factory=ConversationSettings)

    def replace(self, **changes: Any) -> Settings:
        """A copy with top-level fields or whole sections changed, validated again."""
        try:
            return dataclasses.replace(self, **changes)
        except ValidationError as error:
            raise one_line(error, Settings) from None
