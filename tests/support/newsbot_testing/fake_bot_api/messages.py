"""The messages of every chat, as Telegram keeps them (ids counted per chat, edits in place),
and message text as sendMessage reads it: HTML parsed strictly, explicit entities checked,
whitespace stripped, at most 4,096 UTF-16 code units."""

from __future__ import annotations

import copy
import itertools
import time
from typing import Any

from newsbot_testing.fake_bot_api.html import parse_html, strip_text, utf16_len
from newsbot_testing.fake_bot_api.protocol import MAX_TEXT_LENGTH, bad_request


def formatted_text(params: dict) -> tuple[str, list[dict]]:
    """The text as shown and its entities, from `text`, `parse_mode` and `entities`; or
    ApiError(400) as Telegram words it."""
    raw = params.get("text")
    if not isinstance(raw, str) or not raw:
        raise bad_request("message text is empty")
    mode = str(params.get("parse_mode") or "")
    if params.get("entities"):
        text, entities = raw, explicit_entities(params["entities"], raw)
    elif mode.lower() == "html":
        text, entities = parse_html(raw)
    elif mode.lower() in ("markdown", "markdownv2"):
        raise bad_request(f"FakeBotApi does not implement parse_mode {mode}")
    elif mode:
        raise bad_request("unsupported parse_mode")
    else:
        text, entities = raw, []
    text, entities = strip_text(text, entities)
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return text, entities


def explicit_entities(entities: Any, text: str) -> list[dict]:
    size = utf16_len(text)
    if not isinstance(entities, list):
        raise bad_request("can't parse entities JSON object")
    for entity in entities:
        if not isinstance(entity, dict) or not {"type", "offset", "length"} <= entity.keys():
            raise bad_request("can't parse MessageEntity JSON object")
        if entity["offset"] < 0 or entity["offset"] + entity["length"] > size:
            raise bad_request("can't parse entities: entity is out of the text")
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


class Messages:
    def __init__(self) -> None:
        self.stored: dict[tuple[int, int], dict] = {}
        self._ids: dict[int, itertools.count] = {}

    def next_id(self, chat_id: int) -> int:
        return next(self._ids.setdefault(chat_id, itertools.count(1)))

    def new(
        self,
        chat: dict,
        text: str,
        *,
        sender: dict | None,
        entities: list[dict] | None = None,
        thread_id: int | None = None,
        markup: dict | None = None,
        reply_to: dict | None = None,
        sender_chat: dict | None = None,
    ) -> dict:
        """Store a new message in `chat`; returns a copy of it."""
        message: dict[str, Any] = {"message_id": self.next_id(chat["id"])}
        if sender is not None:
            message["from"] = dict(sender)
        if sender_chat is not None:
            message["sender_chat"] = dict(sender_chat)
        message.update(date=int(time.time()), chat=dict(chat), text=text)
        if entities:
            message["entities"] = copy.deepcopy(entities)
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if reply_to is not None:
            message["reply_to_message"] = {
                k: v for k, v in reply_to.items() if k != "reply_to_message"
            }
        if markup is not None:
            message["reply_markup"] = copy.deepcopy(markup)
        self.stored[(chat["id"], message["message_id"])] = message
        return copy.deepcopy(message)

    def get(self, chat_id: int, message_id: Any, missing: str) -> dict:
        """The stored message itself (edits change it), or ApiError(400) `missing`."""
        message = self.stored.get((chat_id, message_id))
        if message is None:
            raise bad_request(missing)
        return message

    def reply_target(self, chat: dict, params: dict) -> dict | None:
        """The message a send replies to (reply_parameters or reply_to_message_id), if any."""
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        allow_missing = reply.get(
            "allow_sending_without_reply", params.get("allow_sending_without_reply", False)
        )
        target = self.stored.get((chat["id"], message_id))
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    def last_from(self, chat_id: int, user_id: int) -> dict:
        for (chat, _), message in reversed(self.stored.items()):
            if chat == chat_id and message.get("from", {}).get("id") == user_id:
                return message
        raise ValueError(f"the bot has sent nothing to chat {chat_id} yet")
