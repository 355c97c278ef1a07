"""load_settings: the model's defaults < a user TOML file < the environment < overrides.

Every field can be set from the environment as NEWSBOT_<SECTION>_<FIELD> (for example
NEWSBOT_RETRIEVAL_ABSTAIN_BELOW=0.4); top-level fields as NEWSBOT_<FIELD> (NEWSBOT_DATA_DIR).
Deployment tools rely on two more names: TELEGRAM_BOT_TOKEN and NEWSBOT_ADMINS; NEWSBOT_CONFIG
names the user file. Each source is kept apart until the end, so an invalid value is reported
with the variable or file it came from.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError, create_model
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings.sources.utils import parse_env_vars

from config.errors import Origin, SettingsError, one_line
from config.moved import MOVED
from config.settings import Settings

DEFAULT_TOML = Path(__file__).with_name("default.toml")

# Read even when empty (an empty token means "none" and says so); other empty variables are unset.
ENV_ALIASES = {
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "NEWSBOT_ADMINS": ("telegram", "admins"),
}


class _Names(BaseSettings):
    """How environment variables map onto Settings; the values are checked by Settings itself."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_",
        env_nested_delimiter="_",
        env_nested_max_split=1,  # NEWSBOT_FETCH_MAX_BYTES is fetch.max_bytes
        env_ignore_empty=True,
        enable_decoding=False,  # lists are comma-separated, not JSON
    )


_SettingsNames = create_model(
    "SettingsNames",
    __base__=_Names,
    **{name: (field.annotation, None) for name, field in Settings.__pydantic_fields__.items()},
)


_SECTIONS = {
    name: field.annotation.__pydantic_fields__
    for name, field in Settings.__pydantic_fields__.items()
    if hasattr(field.annotation, "__pydantic_fields__")
}
_SECTION_VARIABLES = {f"newsbot_{name}" for name in _SECTIONS}


class _Environment(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(_SettingsNames)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        found = parse_env_vars(self._environ, self.case_sensitive, self.env_ignore_empty)
        # NEWSBOT_<SECTION> alone names no setting; read as a whole section it would hide the
        # section's own variables.
        return {name: value for name, value in found.items() if name not in _SECTION_VARIABLES}


@dataclass(frozen=True)
class _Layer:
    values: dict[str, Any]
    source: Callable[[tuple[str, ...]], str] | None  # None: set by code, named by nobody


def load_settings(
    config_file: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """The model's defaults, then the user file, then the environment, then explicit overrides.

    `overrides` takes dotted keys ("data_dir", "retrieval.quotes") for command-line flags.
    Raises SettingsError with one readable line for anything invalid.
    """
    env = os.environ if env is None else env
    layers = []
    config_file = config_file or env.get("NEWSBOT_CONFIG") or None
    if config_file:
        layers.append(_file_layer(Path(config_file)))
    layers.append(_environment_layer(env))
    layers.append(_Layer(_nested(overrides or {}), None))
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.values.items():
            below = merged.get(key)
            both_tables = isinstance(value, dict) and isinstance(below, dict)
            merged[key] = {**below, **value} if both_tables else value
    try:
        return Settings(**merged)
    except ValidationError as error:
        raise one_line(error, Settings, lambda path: _origin(layers, path)) from None


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables, or SettingsError saying why it cannot be read."""
    if not path.exists():
        raise SettingsError(f"config file {path} does not exist")
    if not path.is_file():  # the TOML source would read it as empty
        raise SettingsError(f"config file {path} is not a file")
    try:
        return TomlConfigSettingsSource(_SettingsNames, toml_file=path).toml_data
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"config file {path} is not valid TOML: {error}") from None
    except OSError as error:
        raise SettingsError(f"config file {path} cannot be read: {error.strerror}") from None


def _file_layer(path: Path) -> _Layer:
    return _Layer(read_toml(path), lambda _: str(path))


def _environment_layer(env: Mapping[str, str]) -> _Layer:
    values = _Environment(env)()
    for section, fields in values.items():
        if section in _SECTIONS:
            # Unknown NEWSBOT_<SECTION>_* variables are not ours to judge: ignore them. One that
            # named a setting that moved (config/moved.py) is ours, and is refused.
            values[section] = {
                name: value
                for name, value in fields.items()
                if name in _SECTIONS[section] or (section, name) in MOVED
            }
    aliased = {}
    for name, path in ENV_ALIASES.items():
        value = env.get(name)
        if value is not None and (value or name == "TELEGRAM_BOT_TOKEN"):
            values.setdefault(path[0], {})[path[1]] = value
            aliased[path] = name

    def variable(path: tuple[str, ...]) -> str:
        return aliased.get(path) or "NEWSBOT_" + "_".join(path).upper()

    return _Layer(values, variable)


def _nested(dotted: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in dotted.items():
        *sections, name = key.split(".")
        target = nested
        for section in sections:
            target = target.setdefault(section, {})
        target[name] = value
    return nested


def _origin(layers: list[_Layer], path: tuple[str, ...]) -> Origin:
    """The source that set `path` last, and the value as it was written there."""
    for layer in reversed(layers):
        value: Any = layer.values
        for part in path:
            if not isinstance(value, dict) or part not in value:
                break
            value = value[part]
        else:
            return (layer.source(path), value) if layer.source else None
    return None
