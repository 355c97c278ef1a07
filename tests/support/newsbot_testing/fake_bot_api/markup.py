"""Inline keyboards: validated as Telegram validates them."""

from __future__ import annotations

from typing import Any

from newsbot_testing.fake_bot_api.html import normalize_link
from newsbot_testing.fake_bot_api.protocol import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_INLINE_BUTTONS,
    bad_request,
)

# --------------------------------------------------------------------------- reply markup

_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)  # fmt: skip


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            _validate_inline_button(button)


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not any(key in button for key in _BUTTON_ACTIONS):
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and normalize_link(str(button["url"])) is None:
        raise bad_request(
            f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL"
        )


def inline_markup(markup: Any, *, inline_only: bool = False) -> dict | None:
    """Validate ``reply_markup``; return it when it is echoed in the Message (inline only)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
        raise bad_request("can't parse reply keyboard markup JSON object")
    return None
