"""Inline mode: answerInlineQuery checked as Telegram checks it (at most 50 results, ids of
1-64 bytes and unique, an article's title and message text present, the message text valid
in its parse mode and at most 4,096 characters after parsing, a valid button)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from newsbot_testing.fake_bot_api.markup import inline_markup
from newsbot_testing.fake_bot_api.protocol import bad_request

MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RESULT_TYPES = frozenset({"article"})  # the only kind the bot sends; others are refused


@dataclass
class InlineAnswer:
    """An accepted answerInlineQuery: the results as sent, each message parsed."""

    inline_query_id: str
    results: list[dict]
    messages: list[tuple[str, list[dict]]]  # (text as shown, entities) per result
    cache_time: int
    is_personal: bool
    button: dict | None = None
    ids: list[str] = field(default_factory=list)


def check_answer(
    params: dict, format_text: Callable[[dict], tuple[str, list[dict]]]
) -> InlineAnswer:
    """The answer, or ApiError(400) as Telegram words it. `format_text` parses message
    text as sendMessage does (`text`, `parse_mode`, `entities` keys)."""
    results = params.get("results")
    if not isinstance(results, list):
        raise bad_request("can't parse results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    ids: list[str] = []
    messages = []
    for result in results:
        if not isinstance(result, dict) or result.get("type") not in _RESULT_TYPES:
            raise bad_request("RESULT_TYPE_INVALID")
        result_id = result.get("id")
        if (
            not isinstance(result_id, str)
            or not 1 <= len(result_id.encode()) <= MAX_RESULT_ID_BYTES
        ):
            raise bad_request("RESULT_ID_INVALID")
        if result_id in ids:
            raise bad_request("RESULT_ID_DUPLICATE")
        ids.append(result_id)
        if not str(result.get("title") or "").strip():
            raise bad_request("RESULT_TITLE_EMPTY")
        content = result.get("input_message_content")
        if not isinstance(content, dict) or "message_text" not in content:
            raise bad_request("can't parse input message content")
        messages.append(
            format_text(
                {
                    "text": content["message_text"],
                    "parse_mode": content.get("parse_mode"),
                    "entities": content.get("entities"),
                }
            )
        )
        inline_markup(result.get("reply_markup"), inline_only=True)
    button = params.get("button")
    if button is not None:
        if not isinstance(button, dict) or not str(button.get("text") or "").strip():
            raise bad_request("BUTTON_TEXT_INVALID")
        start = button.get("start_parameter")
        if start is not None and not _START_PARAMETER.fullmatch(str(start)):
            raise bad_request("START_PARAM_INVALID")
    cache_time = params.get("cache_time", 300)
    if not isinstance(cache_time, int) or cache_time < 0:
        raise bad_request("wrong parameter cache_time")
    return InlineAnswer(
        str(params.get("inline_query_id")),
        results,
        messages,
        cache_time,
        bool(params.get("is_personal")),
        button,
        ids,
    )


def inline_query_update(query_id: str, user: dict, text: str, chat_type: str) -> dict[str, Any]:
    """The inline_query update a user typing "@bot text" in a `chat_type` chat makes."""
    return {
        "inline_query": {
            "id": query_id,
            "from": user,
            "query": text,
            "offset": "",
            "chat_type": chat_type,
        }
    }
