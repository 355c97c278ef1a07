"""What the fake server records (sends, requests, chat actions, callback answers) and the
signal its waits are built on (`Pulse`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from newsbot_testing.fake_bot_api.html import entity_text

# --------------------------------------------------------------------------- records


@dataclass
class SentRecord:
    """A successful send or edit, as the bot's user would see it."""

    method: str
    chat_id: int | str | None
    message_id: int | None
    text: str | None
    raw_text: str | None
    parse_mode: str | None
    entities: list[dict]
    reply_markup: dict | None
    message_thread_id: int | None = None

    def entity_texts(self) -> list[tuple[str, str]]:
        """``[(entity type, covered text), ...]`` -- handy in assertions."""
        return [(e["type"], entity_text(self.text or "", e)) for e in self.entities]

    @property
    def buttons(self) -> list[dict]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


@dataclass
class RequestRecord:
    """Any request the server received; ``status`` is None while pending or if dropped."""

    method: str
    params: dict[str, Any]
    http_method: str = "POST"
    status: int | None = None
    description: str | None = None
    result: Any = None
    fault: str | None = None


@dataclass
class ChatActionRecord:
    chat_id: int | str
    action: str
    message_thread_id: int | None = None


@dataclass
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None


class Pulse:
    """A broadcast signal: waiters grab ``current`` before checking their condition."""

    def __init__(self) -> None:
        self.current = asyncio.Event()

    def fire(self) -> None:
        fired, self.current = self.current, asyncio.Event()
        fired.set()
