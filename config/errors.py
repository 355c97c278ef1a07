"""SettingsError, and pydantic's validation errors told as one line a user can act on."""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from config.moved import moved_message
from config.redaction import redacted_url


class SettingsError(ValueError):
    """An invalid setting; the message is one line naming the setting and what is wrong."""


# Where a value came from: (how to name its source, the value as written there), or None when
# it was passed in by code (overrides, replace()).
Origin = tuple[str, Any] | None
OriginOf = Callable[[tuple[str, ...]], Origin]

# Errors about the kind of value (text where a number belongs); every other error is a rule the
# value broke (a bound, a choice, a check).
_RULE_ERRORS = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "literal_error",
    "value_error",
}
_UNKNOWN_ERRORS = {"unexpected_keyword_argument", "extra_forbidden"}
_KINDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def one_line(
    error: ValidationError, model: type, origin_of: OriginOf | None = None
) -> SettingsError:
    """The first of `error`'s problems as a SettingsError naming the setting and its source."""
    details = error.errors()[0]
    path = tuple(str(part) for part in details["loc"] if isinstance(part, str))
    name = ".".join(path)
    origin = origin_of(path) if origin_of else None
    source, written = origin if origin else ("", details["input"])
    if details["type"] in _UNKNOWN_ERRORS:
        moved = moved_message(path, source)
        if moved:
            return SettingsError(moved)
        shown = name if len(path) > 1 else repr(name)
        return SettingsError(f"unknown setting {shown} in {source or 'the settings'}")
    field = _field(model, path)
    where = f" (from {source})" if source else ""
    if details["type"] in _RULE_ERRORS:
        # "setting X must be ..., got V (from S)": the shape these messages have always had,
        # with the source added at the end.
        return SettingsError(f"setting {name} {_rule(details, field)}{where}")
    kind = _kind(field.annotation) if field else "a valid value"
    return SettingsError(f"setting {name}{where} must be {kind}, got {_shown(written)!r}")


def _shown(value: Any) -> Any:
    """A value as a message repeats it: a URL's password hidden."""
    return redacted_url(value) if isinstance(value, str) else value


def _field(model: type, path: Sequence[str]) -> FieldInfo | None:
    field = None
    for part in path:
        fields = getattr(model, "__pydantic_fields__", {})
        if part not in fields:
            return None
        field = fields[part]
        model = field.annotation
    return field


def _kind(annotation: Any) -> str:
    if typing.get_origin(annotation) is tuple:
        (item, *_) = typing.get_args(annotation)
        if typing.get_origin(item) is typing.Annotated:
            item = typing.get_args(item)[0]
        if item is int:
            return "a list of whole numbers (comma-separated in the environment)"
        return "a list"
    if hasattr(annotation, "__pydantic_fields__"):
        return "a table"
    if annotation is Path:
        return "a path"
    return _KINDS.get(annotation, "a valid value")


def _rule(details: ErrorDetails, field: FieldInfo | None) -> str:
    """What the value must be, said the way a person would: bounds together, choices listed."""
    if details["type"] == "value_error":
        return str(details["ctx"]["error"])  # our checks say what they need, value included
    got = f", got {_shown(details['input'])!r}"
    if details["type"] == "literal_error" and field is not None:
        return f"must be one of {', '.join(typing.get_args(field.annotation))}; got {_shown(details['input'])!r}"
    bounds = {
        key: getattr(item, key)
        for item in (field.metadata if field else [])
        for key in ("gt", "ge", "lt", "le")
        if getattr(item, key, None) is not None
    }
    if "ge" in bounds and "le" in bounds:
        return f"must be between {bounds['ge']} and {bounds['le']}{got}"
    if bounds == {"ge": 0}:
        return f"must not be negative{got}"
    words = {"gt": "greater than", "ge": "at least", "lt": "less than", "le": "at most"}
    return "must be " + " and ".join(f"{words[k]} {v}" for k, v in bounds.items()) + got
