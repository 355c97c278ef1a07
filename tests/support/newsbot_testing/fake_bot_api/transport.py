"""Request parameters as the Bot API reads them: form, query or JSON, coerced to their types."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from newsbot_testing.fake_bot_api.protocol import bad_request

# --------------------------------------------------------------------------- parameters

_INT_PARAMS = frozenset(
    {
        "chat_id", "message_id", "offset", "limit", "timeout", "message_thread_id",
        "reply_to_message_id", "user_id", "cache_time", "max_connections", "from_chat_id",
    }
)  # fmt: skip
_BOOL_PARAMS = frozenset(
    {
        "disable_notification", "protect_content", "drop_pending_updates", "show_alert",
        "disable_web_page_preview", "allow_sending_without_reply", "revoke_messages",
        "is_personal",
    }
)  # fmt: skip
_JSON_PARAMS = frozenset(
    {
        "reply_markup", "entities", "allowed_updates", "commands", "scope",
        "reply_parameters", "link_preview_options", "caption_entities", "results", "button",
    }
)  # fmt: skip


def _coerce(name: str, value: Any) -> Any:
    """Form values are strings; PTB JSON-encodes non-string parameters."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in _INT_PARAMS and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if name in _BOOL_PARAMS:
        return value.strip().lower() in ("true", "1")
    return value


async def read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request body") from None
            if not isinstance(body, dict):
                raise bad_request("request body must be a JSON object")
            params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                params[key] = value.file.read() if isinstance(value, web.FileField) else value
    return {key: _coerce(key, value) for key, value in params.items()}


def number(params: dict, name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise bad_request(f"wrong parameter {name} in request") from None


def require(params: dict, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise bad_request(f"{name} is empty")
    return value
