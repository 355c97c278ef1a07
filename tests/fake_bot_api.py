"""A strict, in-process fake of the Telegram Bot API HTTP server, for end-to-end tests.

Why it exists: mocking python-telegram-bot hides exactly the bugs that bite in production
(unescaped HTML, over-long messages, bad callback data, "message is not modified", flood
limits, dropped connections).  Instead, the *real* PTB stack -- ``Bot``, ``Application``,
``Updater``, ``HTTPXRequest``, its (de)serialisation and its error mapping -- talks HTTP to
this aiohttp server on 127.0.0.1, which answers with realistic Telegram objects and errors::

    async with FakeBotApi(token="123:ABC") as api:
        app = (ApplicationBuilder().token(api.token)
               .base_url(api.base_url).base_file_url(api.base_file_url).build())
        ...
        api.user_message(42, "/start")
        reply = await api.wait_for(lambda r: r.chat_id == 42)

Where Telegram is lax in a way that hides bot bugs, the fake is deliberately *stricter*:
an ``&`` that does not start ``&lt;`` ``&gt;`` ``&amp;`` ``&quot;`` or a numeric reference
(``&#NNN;`` / ``&#xHH;``, semicolon required) is rejected unless followed by whitespace,
where Telegram would silently render it literally.  Everything else follows Telegram
(and tdlib's HTML parser and error wording) as closely as practical.

Not modelled: media, inline mode, webhooks delivery (setWebhook only stores the URL and
blocks getUpdates like Telegram does), flood limits other than injected ones, and
auto-detected entities (url, hashtag, ...) in the bot's own messages.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

_LOGGER = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
DEFAULT_USER_ID = 1001
OWNER_USER_ID = 1000

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
GET_UPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
# Update types Telegram only sends when explicitly listed in allowed_updates.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
BLOCKED_DESCRIPTIONS = {
    "private": "Forbidden: bot was blocked by the user",
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    "channel": "Forbidden: bot is not a member of the channel chat",
}
FAULT_DESCRIPTIONS = {
    "400": "Bad Request: injected failure",
    "403": "Forbidden: bot was blocked by the user",
    "409": GET_UPDATES_CONFLICT,
    "500": "Internal Server Error",
    "502": "Bad Gateway",
}
# "lost-answer": the call takes effect (a message is sent) but the connection drops before the
# answer, so the client cannot know that it did.
FAULT_KINDS = frozenset(FAULT_DESCRIPTIONS) | {"429", "network", "lost-answer"}
_GIFT_TYPES = (
    "unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
    "gifts_from_channels",
)  # fmt: skip
_BOT_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
    "can_delete_stories", "can_post_messages", "can_edit_messages", "can_pin_messages",
    "can_manage_topics",
)  # fmt: skip


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status + ``{"ok": false, ...}`` body."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


# --------------------------------------------------------------------------- UTF-16


def _fault_kind(kind: str | int) -> str:
    kind = str(kind)
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(FAULT_KINDS)}")
    return kind


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's offsets and length limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def entity_text(text: str, entity: dict) -> str:
    """The part of ``text`` covered by a MessageEntity dict (UTF-16 offsets)."""
    raw = text.encode("utf-16-le", "surrogatepass")
    start = 2 * entity["offset"]
    return raw[start : start + 2 * entity["length"]].decode("utf-16-le", "surrogatepass")


def _utf16_index(text: str, index: int) -> int:
    return utf16_len(text[:index])


# --------------------------------------------------------------------------- HTML parse mode

_SPACES = " \t\r\n\v\f\0"
_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip
_SUPPORTED_TAGS = frozenset(_SIMPLE_TAGS) | {"a", "code", "pre", "blockquote", "tg-emoji"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(
    r"&(?:#x(?P<hex>[0-9a-fA-F]{1,6})|#(?P<dec>[0-9]{1,7})|(?P<name>[A-Za-z][A-Za-z0-9]*));"
)
_TG_USER_RE = re.compile(r"tg://user\?id=(\d+)$", re.IGNORECASE)
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?")
_TG_SCHEMES = ("tg", "ton", "tonsite")


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_index: int
    byte_offset: int


class _HtmlParser:
    """Telegram's HTML subset, following tdlib's ``parse_html`` (plus strict ``&``)."""

    def __init__(self, source: str):
        self.src = source
        self.out: list[str] = []
        self.utf16 = 0
        self.entities: list[dict] = []
        self.stack: list[_OpenTag] = []

    def parse(self) -> tuple[str, list[dict]]:
        i = 0
        while i < len(self.src):
            char = self.src[i]
            if char == "&":
                decoded, i = self._read_entity(i)
                self._emit(decoded)
            elif char == "<":
                i = self._read_tag(i)
            else:
                self._emit(char)
                i += 1
        if self.stack:
            name = self.stack[-1].name
            raise self._fail(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    # -- helpers

    def _emit(self, text: str) -> None:
        for char in text:
            self.out.append(char)
            self.utf16 += 2 if ord(char) > 0xFFFF else 1

    def _char(self, i: int) -> str:
        return self.src[i] if i < len(self.src) else "\0"

    def _at(self, i: int) -> str:
        offset = len(self.src[:i].encode("utf-8", "surrogatepass"))
        return f"at byte offset {offset}"

    @staticmethod
    def _fail(reason: str) -> ApiError:
        return bad_request(f"can't parse entities: {reason}")

    def _skip_spaces(self, i: int) -> int:
        while i < len(self.src) and self.src[i] in _SPACES:
            i += 1
        return i

    # -- character references

    def _read_entity(self, i: int) -> tuple[str, int]:
        match = _ENTITY_RE.match(self.src, i)
        if match is None:
            if self._char(i + 1) in " \t\r\n" and i + 1 < len(self.src):
                return "&", i + 1  # a lone "&" before whitespace is harmless
            raise self._fail(f'Unescaped "&", use "&amp;" {self._at(i)}')
        if match["name"] is not None:
            if match["name"] not in _NAMED_ENTITIES:
                raise self._fail(f'Unsupported HTML entity "{match[0]}" {self._at(i)}')
            return _NAMED_ENTITIES[match["name"]], match.end()
        code = int(match["hex"], 16) if match["hex"] is not None else int(match["dec"])
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self._fail(f'Invalid character reference "{match[0]}" {self._at(i)}')
        return chr(code), match.end()

    # -- tags

    def _read_tag(self, begin: int) -> int:
        if self._char(begin + 1) == "/":
            return self._read_end_tag(begin)
        i = begin + 1
        while self._char(i) not in _SPACES and self._char(i) != ">":
            i += 1
        if i >= len(self.src):
            raise self._fail(f"Unclosed start tag {self._at(begin)}")
        name = self.src[begin + 1 : i].lower()
        if name not in _SUPPORTED_TAGS:
            raise self._fail(f'Unsupported start tag "{name}" {self._at(begin)}')
        i, attributes = self._read_attributes(i, name, begin)
        argument = self._tag_argument(name, attributes, begin)
        self.stack.append(_OpenTag(name, argument, self.utf16, len(self.out), begin))
        return i + 1

    def _read_attributes(self, i: int, tag: str, begin: int) -> tuple[int, dict]:
        attributes: dict[str, str | None] = {}
        while True:
            i = self._skip_spaces(i)
            if i >= len(self.src):
                raise self._fail(f'Unclosed start tag "{tag}" {self._at(begin)}')
            if self.src[i] == ">":
                return i, attributes
            start = i
            while self._char(i) not in _SPACES and self._char(i) not in "=>":
                i += 1
            name = self.src[start:i].lower()
            if not name:
                raise self._fail(f'Empty attribute name in the tag "{tag}" {self._at(begin)}')
            i = self._skip_spaces(i)
            if self._char(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    attributes[name] = None
                    continue
                raise self._fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" {self._at(begin)}'
                )
            i, attributes[name] = self._read_attribute_value(self._skip_spaces(i + 1), tag, begin)

    def _read_attribute_value(self, i: int, tag: str, begin: int) -> tuple[int, str]:
        if i >= len(self.src):
            raise self._fail(f'Unclosed start tag "{tag}" {self._at(begin)}')
        quote = self.src[i]
        if quote not in "\"'":
            start = i  # an unquoted name token: letters, digits, "." and "-"
            while self._char(i).isalnum() or self._char(i) in ".-":
                i += 1
            if i >= len(self.src):
                raise self._fail(f'Unclosed start tag "{tag}" {self._at(begin)}')
            if self.src[i] not in _SPACES and self.src[i] != ">":
                raise self._fail(f"Unexpected end of name token {self._at(start)}")
            return i, self.src[start:i].lower()
        value: list[str] = []
        i += 1
        while i < len(self.src) and self.src[i] != quote:
            if self.src[i] == "&":
                decoded, i = self._read_entity(i)
                value.append(decoded)
            else:
                value.append(self.src[i])
                i += 1
        if i >= len(self.src):
            raise self._fail(f"Unclosed start tag {self._at(begin)}")
        return i + 1, "".join(value)

    def _tag_argument(self, tag: str, attributes: dict, begin: int) -> str:
        if tag == "a":
            return attributes.get("href") or ""
        if tag == "code":
            css_class = attributes.get("class") or ""
            return css_class.removeprefix("language-") if css_class.startswith("language-") else ""
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise self._fail(f'Tag "span" must have class "tg-spoiler" {self._at(begin)}')
        if tag == "tg-emoji":
            emoji_id = attributes.get("emoji-id") or ""
            if not emoji_id.isdigit() or int(emoji_id) == 0:
                raise self._fail("Invalid custom emoji identifier specified")
            return emoji_id
        if tag == "blockquote":
            return "expandable" if "expandable" in attributes else ""
        return ""

    def _read_end_tag(self, begin: int) -> int:
        if not self.stack:
            raise self._fail(f"Unexpected end tag {self._at(begin)}")
        i = begin + 2
        while self._char(i) not in _SPACES and self._char(i) != ">":
            i += 1
        end_name = self.src[begin + 2 : i].lower()
        i = self._skip_spaces(i)
        if self._char(i) != ">":
            raise self._fail(f"Unclosed end tag {self._at(begin)}")
        open_tag = self.stack[-1]
        if end_name and end_name != open_tag.name:
            raise self._fail(
                f'Unmatched end tag {self._at(begin)}, expected "</{open_tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        if self.utf16 > open_tag.utf16_offset:
            self._close_entity(open_tag)
        return i + 1

    # -- entities

    def _close_entity(self, tag: _OpenTag) -> None:
        offset, length = tag.utf16_offset, self.utf16 - tag.utf16_offset
        last = self.entities[-1] if self.entities else None
        same_range = last is not None and (last["offset"], last["length"]) == (offset, length)
        if tag.name in _SIMPLE_TAGS:
            self._add(_SIMPLE_TAGS[tag.name], offset, length)
        elif tag.name == "a":
            self._close_link(tag, offset, length)
        elif tag.name == "pre" and same_range and last["type"] == "code":
            last["type"] = "pre"  # <pre><code class="language-x">: one pre entity
            if last.get("_lang"):
                last["language"] = last.pop("_lang")
        elif tag.name == "pre":
            self._add("pre", offset, length)
        elif tag.name == "code" and same_range and last["type"] == "pre":
            if tag.argument:
                last["language"] = tag.argument
        elif tag.name == "code":
            self._add("code", offset, length, _lang=tag.argument)
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if tag.argument else "blockquote"
            self._add(kind, offset, length)
        elif tag.name == "tg-emoji":
            self._add("custom_emoji", offset, length, custom_emoji_id=tag.argument)

    def _close_link(self, tag: _OpenTag, offset: int, length: int) -> None:
        url = tag.argument or "".join(self.out[tag.text_index :])
        user = _TG_USER_RE.match(url)
        if user:
            mentioned = {"id": int(user[1]), "is_bot": False, "first_name": "User"}
            self._add("text_mention", offset, length, user=mentioned)
            return
        normalized = _normalize_link(url)
        if normalized is not None:  # like Telegram, an invalid link is silently dropped
            self._add("text_link", offset, length, url=normalized)

    def _add(self, kind: str, offset: int, length: int, **extra: Any) -> None:
        entity = {"type": kind, "offset": offset, "length": length}
        entity.update({k: v for k, v in extra.items() if v not in (None, "")})
        self.entities.append(entity)


def _normalize_link(url: str) -> str | None:
    """Telegram's view of a link: None if invalid, else normalised (``http://`` added,
    ``/`` appended to a bare host)."""
    url = url.strip()
    if not url or any(c in _SPACES for c in url):
        return None
    match = _SCHEME_RE.match(url)
    if match and (match[2] or match[1].lower() in ("mailto", *_TG_SCHEMES)):
        scheme, rest = match[1].lower(), url[match.end() :]
    else:
        scheme, rest = "http", url
    if scheme == "mailto":
        return url if "@" in rest else None
    if scheme in _TG_SCHEMES:
        return f"{scheme}://{rest}" if rest else None
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if scheme not in ("http", "https") or not host:
        return None
    if "." not in host and not host.startswith(("localhost", "[")):
        return None
    return f"{scheme}://{rest}/" if host == rest else f"{scheme}://{rest}"


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into ``(plain_text, entities)``; raises ApiError(400)."""
    text, entities = _HtmlParser(source).parse()
    for entity in entities:
        entity.pop("_lang", None)
    return text, entities


def _strip_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram trims leading/trailing whitespace of a message, clipping entities."""
    stripped = text.strip(" \t\r\n\v\f")
    lead = len(text) - len(text.lstrip(" \t\r\n\v\f"))
    size = utf16_len(stripped)
    clipped = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return stripped, clipped


# --------------------------------------------------------------------------- incoming text

_INCOMING_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/]))"
    r"|(?P<mention>(?<![A-Za-z0-9_@])@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_]))"
)


def detect_entities(text: str) -> list[dict]:
    """bot_command and mention entities, as Telegram adds them to users' messages."""
    entities = []
    for match in _INCOMING_ENTITY_RE.finditer(text):
        offset = _utf16_index(text, match.start())
        length = utf16_len(match[0])
        entities.append({"type": match.lastgroup, "offset": offset, "length": length})
    return entities


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
    if "url" in button and _normalize_link(str(button["url"])) is None:
        raise bad_request(
            f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL"
        )


def _inline_markup(markup: Any, *, inline_only: bool = False) -> dict | None:
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
    }
)  # fmt: skip
_JSON_PARAMS = frozenset(
    {
        "reply_markup", "entities", "allowed_updates", "commands", "scope",
        "reply_parameters", "link_preview_options", "caption_entities",
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


async def _read_params(request: web.Request) -> dict[str, Any]:
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


def _number(params: dict, name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise bad_request(f"wrong parameter {name} in request") from None


def _require(params: dict, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise bad_request(f"{name} is empty")
    return value


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


@dataclass
class _Fault:
    kind: str
    remaining: int
    retry_after: int
    description: str | None
    skip: int = 0  # calls let through before this fault starts


@dataclass
class _FaultRule:
    """A standing fault: every call of ``method`` whose params match fails with ``kind``."""

    method: str
    kind: str
    matches: Callable[[dict], bool]
    retry_after: int = 1


class _Pulse:
    """A broadcast signal: waiters grab ``current`` before checking their condition."""

    def __init__(self) -> None:
        self.current = asyncio.Event()

    def fire(self) -> None:
        fired, self.current = self.current, asyncio.Event()
        fired.set()


# --------------------------------------------------------------------------- the server


class FakeBotApi:
    """The fake server.  Public API (see each method's docstring):

    lifecycle:  ``async with FakeBotApi(token) as api``, ``start()``, ``stop()``,
                ``base_url``, ``base_file_url``, ``bot_user``
    setup:      ``add_chat``, ``block_chat``, ``unblock_chat``, ``fail_next``,
                ``fail_matching``, ``fail_at_random``, ``slow_down``
    updates:    ``user_message``, ``group_message``, ``channel_post``, ``callback_query``,
                ``feed_update``
    inspection: ``sent``, ``requests``, ``chat_actions``, ``callback_answers``,
                ``messages_to``, ``message``, ``wait_for``, ``wait_for_request``
    """

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        bot_username: str = "fake_news_bot",
        bot_first_name: str = "Fake News Bot",
    ):
        self.token = token
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.sent: list[SentRecord] = []
        self.requests: list[RequestRecord] = []
        self.chat_actions: list[ChatActionRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.dropped_updates: list[dict] = []  # not in allowed_updates
        self.internal_errors: list[Exception] = []  # bugs of the fake itself (HTTP 500)
        self._chats: dict[int, dict] = {}
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], dict] = {}
        self._message_ids: dict[int, itertools.count] = {}
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._pending_queries: set[str] = set()
        self._query_ids = itertools.count(4_000_000_000_001)
        self._faults: dict[str, deque[_Fault]] = {}
        self._fault_rules: list[_FaultRule] = []
        self._random_faults: tuple[str, Callable[[dict], str | None], int] | None = None
        self._delays: dict[str, float] = {}
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._webhook: dict[str, Any] = {"url": ""}
        self._update_pulse = _Pulse()
        self._activity_pulse = _Pulse()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._methods: dict[str, Callable[[dict], Awaitable[Any]]] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._ok,
                "close": self._ok,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getChatAdministrators": self._get_chat_administrators,
            }.items()
        }

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on 127.0.0.1 on an ephemeral port."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._handle_file)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        self._closing = False

    async def stop(self) -> None:
        """Wake pending long polls (they answer ``[]``) and shut the server down."""
        self._closing = True
        self._update_pulse.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url()`` / ``Bot(base_url=...)``."""
        return f"http://127.0.0.1:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    # ----------------------------------------------------------------- HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        record = RequestRecord(method=method, params={}, http_method=request.method)
        self.requests.append(record)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            record.params = await _read_params(request)
            delay = self._delays.get(method.lower(), 0.0)
            if delay:
                await asyncio.sleep(delay)
            fault = self._take_fault(method, record.params)
            if fault is not None and fault.kind != "lost-answer":
                record.fault = fault.kind
                return self._apply_fault(fault, request, record)
            record.result = await handler(record.params)
            if fault is not None:  # lost-answer: done, but the client never hears of it
                record.fault = fault.kind
                return self._drop_connection(request)
        except ApiError as error:
            return self._error_response(error, record)
        except Exception as exc:  # a bug in the fake: answer 500 and keep it visible
            _LOGGER.exception("FakeBotApi failed on %s", method)
            self.internal_errors.append(exc)
            return self._error_response(ApiError(500, f"FakeBotApi bug: {exc!r}"), record)
        record.status = 200
        self._activity_pulse.fire()
        return web.json_response({"ok": True, "result": record.result})

    def _error_response(self, error: ApiError, record: RequestRecord) -> web.Response:
        record.status, record.description = error.status, error.description
        self._activity_pulse.fire()
        return web.json_response(error.payload(), status=error.status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    # ----------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        kind: str | int,
        count: int = 1,
        retry_after: int = 5,
        description: str | None = None,
        after: int = 0,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (``"*"``: any method) fail, after
        letting ``after`` calls through (``after=1``: the second call fails).

        ``kind``: ``"429"`` (flood wait with ``retry_after``), ``"network"`` (connection
        dropped without an answer), ``"lost-answer"`` (the call succeeds, then the connection
        drops before the answer), ``"400"``, ``"403"``, ``"409"``, ``"500"``, ``"502"``.
        """
        fault = _Fault(_fault_kind(kind), count, retry_after, description, skip=after)
        self._faults.setdefault(method.lower(), deque()).append(fault)

    def fail_matching(
        self, method: str, kind: str | int, matches: Callable[[dict], bool], retry_after: int = 1
    ) -> None:
        """Until cleared (``clear_faults``), every call of ``method`` whose params satisfy
        ``matches`` fails with ``kind``: e.g. refuse (400) every text holding a marker."""
        self._fault_rules.append(
            _FaultRule(method.lower(), _fault_kind(kind), matches, retry_after)
        )

    def fail_at_random(
        self, method: str, rates: dict[str, float], seed: int = 0, retry_after: int = 1
    ) -> None:
        """Each call of ``method`` fails with kind k with probability rates[k] (seeded)."""
        chooser = random.Random(seed)
        bounds = list(itertools.accumulate(rates.values()))

        def draw(params: dict) -> str | None:
            roll = chooser.random()
            return next((k for k, b in zip(rates, bounds, strict=True) if roll < b), None)

        for kind in rates:
            _fault_kind(kind)
        self._random_faults = (method.lower(), draw, retry_after)

    def clear_faults(self) -> None:
        """Forget every pending, standing and random fault."""
        self._faults.clear()
        self._fault_rules.clear()
        self._random_faults = None

    def slow_down(self, method: str, seconds: float) -> None:
        """Answer every call of ``method`` only after ``seconds`` (0: at once again)."""
        self._delays[method.lower()] = seconds

    def _take_fault(self, method: str, params: dict) -> _Fault | None:
        for rule in self._fault_rules:
            if rule.method == method.lower() and rule.matches(params):
                return _Fault(rule.kind, 1, rule.retry_after, None)
        for key in (method.lower(), "*"):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.popleft()
                return fault
        if self._random_faults is not None and self._random_faults[0] == method.lower():
            _, draw, retry_after = self._random_faults
            kind = draw(params)
            if kind is not None:
                return _Fault(kind, 1, retry_after, None)
        return None

    def _apply_fault(
        self, fault: _Fault, request: web.Request, record: RequestRecord
    ) -> web.StreamResponse:
        if fault.kind == "network":
            return self._drop_connection(request)
        if fault.kind == "429":
            description = fault.description or f"Too Many Requests: retry after {fault.retry_after}"
            error = ApiError(429, description, {"retry_after": fault.retry_after})
        else:
            error = ApiError(int(fault.kind), fault.description or FAULT_DESCRIPTIONS[fault.kind])
        return self._error_response(error, record)

    def _drop_connection(self, request: web.Request) -> web.StreamResponse:
        """Close the socket before any byte of the answer: the client sees a dead peer."""
        if request.transport is not None:
            request.transport.abort()
        self._activity_pulse.fire()
        return web.Response()  # never written: the transport is gone

    # ----------------------------------------------------------------- chats

    def add_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        is_forum: bool | None = None,
    ) -> dict:
        """Register (or replace) a chat.  Unregistered ids are inferred on first use:
        positive -> private, negative -> supergroup."""
        chat_type = chat_type or ("private" if chat_id > 0 else "supergroup")
        if chat_type not in BLOCKED_DESCRIPTIONS:
            raise ValueError(f"unknown chat type {chat_type!r}")
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name or f"User {chat_id}"
            if last_name:
                chat["last_name"] = last_name
        else:
            chat["title"] = title or f"{chat_type.capitalize()} {chat_id}"
        if username:
            chat["username"] = username
        if is_forum:
            chat["is_forum"] = True
        self._chats[chat_id] = chat
        return dict(chat)

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot / the bot was kicked: sends answer 403."""
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def _ensure_chat(self, chat_id: int, chat_type: str | None = None, **info: Any) -> dict:
        chat = self._chats.get(chat_id)
        if chat is None:
            return self.add_chat(chat_id, chat_type, **info)
        if chat_type is not None and chat["type"] != chat_type:
            raise ValueError(f"chat {chat_id} is registered as {chat['type']}, not {chat_type}")
        return dict(chat)

    def _resolve_chat(self, value: Any) -> dict:
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username", "").lower() == value[1:].lower():
                    return dict(chat)
            raise bad_request("chat not found")
        if isinstance(value, bool) or not isinstance(value, int) or value == 0:
            raise bad_request("chat not found")
        return self._ensure_chat(value)

    def _writable_chat(self, value: Any) -> dict:
        chat = self._resolve_chat(value)
        if chat["id"] in self._blocked:
            raise ApiError(403, BLOCKED_DESCRIPTIONS[chat["type"]])
        return chat

    # ----------------------------------------------------------------- messages

    def _new_message(
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
        counter = self._message_ids.setdefault(chat["id"], itertools.count(1))
        message: dict[str, Any] = {"message_id": next(counter)}
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
        self._messages[(chat["id"], message["message_id"])] = message
        return copy.deepcopy(message)

    def _stored_message(self, chat_id: int, message_id: Any, missing: str) -> dict:
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise bad_request(missing)
        return message

    def _reply_target(self, chat: dict, params: dict) -> dict | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        allow_missing = reply.get(
            "allow_sending_without_reply", params.get("allow_sending_without_reply", False)
        )
        target = self._messages.get((chat["id"], message_id))
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    def _formatted_text(self, params: dict) -> tuple[str, list[dict]]:
        raw = params.get("text")
        if not isinstance(raw, str) or not raw:
            raise bad_request("message text is empty")
        mode = str(params.get("parse_mode") or "")
        if params.get("entities"):
            text, entities = raw, self._explicit_entities(params["entities"], raw)
        elif mode.lower() == "html":
            text, entities = parse_html(raw)
        elif mode.lower() in ("markdown", "markdownv2"):
            raise bad_request(f"FakeBotApi does not implement parse_mode {mode}")
        elif mode:
            raise bad_request("unsupported parse_mode")
        else:
            text, entities = raw, []
        text, entities = _strip_text(text, entities)
        if not text:
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text, entities

    @staticmethod
    def _explicit_entities(entities: Any, text: str) -> list[dict]:
        size = utf16_len(text)
        if not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        for entity in entities:
            if not isinstance(entity, dict) or not {"type", "offset", "length"} <= entity.keys():
                raise bad_request("can't parse MessageEntity JSON object")
            if entity["offset"] < 0 or entity["offset"] + entity["length"] > size:
                raise bad_request("can't parse entities: entity is out of the text")
        return sorted(entities, key=lambda e: (e["offset"], -e["length"]))

    def _record(self, method: str, params: dict, message: dict) -> None:
        self.sent.append(
            SentRecord(
                method=method,
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
                text=message["text"],
                raw_text=params.get("text"),
                parse_mode=params.get("parse_mode"),
                entities=copy.deepcopy(message.get("entities", [])),
                reply_markup=copy.deepcopy(message.get("reply_markup")),
                message_thread_id=message.get("message_thread_id"),
            )
        )

    # ----------------------------------------------------------------- Bot API methods

    async def _ok(self, params: dict) -> bool:
        return True

    async def _get_me(self, params: dict) -> dict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _send_message(self, params: dict) -> dict:
        chat = self._writable_chat(params.get("chat_id"))
        text, entities = self._formatted_text(params)
        markup = _inline_markup(params.get("reply_markup"))
        message = self._new_message(
            chat,
            text,
            sender=self.bot_user,
            entities=entities,
            thread_id=params.get("message_thread_id"),
            markup=markup,
            reply_to=self._reply_target(chat, params),
        )
        self._record("sendMessage", params, message)
        return message

    def _edit_target(self, params: dict) -> dict:
        if params.get("chat_id") in (None, "") or params.get("message_id") in (None, ""):
            raise bad_request("message identifier is not specified")
        chat = self._writable_chat(params["chat_id"])
        message = self._stored_message(
            chat["id"], params["message_id"], "message to edit not found"
        )
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    async def _edit_message_text(self, params: dict) -> dict:
        message = self._edit_target(params)
        text, entities = self._formatted_text(params)
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        markup = _inline_markup(params.get("reply_markup"), inline_only=True)
        current = (message["text"], message.get("entities", []), message.get("reply_markup"))
        if current == (text, entities, markup):
            raise ApiError(400, NOT_MODIFIED)
        message.update(text=text, edit_date=int(time.time()))
        for key, value in (("entities", entities), ("reply_markup", markup)):
            if value:
                message[key] = copy.deepcopy(value)
            else:
                message.pop(key, None)
        self._record("editMessageText", params, message)
        return copy.deepcopy(message)

    async def _send_chat_action(self, params: dict) -> bool:
        chat = self._writable_chat(params.get("chat_id"))
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append(
            ChatActionRecord(chat["id"], action, params.get("message_thread_id"))
        )
        return True

    async def _answer_callback_query(self, params: dict) -> bool:
        query_id = str(_require(params, "callback_query_id"))
        if query_id not in self._pending_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self._pending_queries.discard(query_id)
        answer = CallbackAnswer(query_id, text, bool(params.get("show_alert")), params.get("url"))
        self.callback_answers.append(answer)
        return True

    async def _get_chat(self, params: dict) -> dict:
        chat = self._resolve_chat(params.get("chat_id"))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(_GIFT_TYPES, False),
        }

    def _member(self, chat: dict, user_id: int) -> dict:
        if user_id == self.bot_user["id"] and chat["type"] != "private":
            return self._bot_administrator()
        if user_id == OWNER_USER_ID and chat["type"] != "private":
            owner = {"id": OWNER_USER_ID, "is_bot": False, "first_name": "Chat Owner"}
            return {"status": "creator", "user": owner, "is_anonymous": False}
        user = self.bot_user if user_id == self.bot_user["id"] else self._user(user_id)
        return {"status": "member", "user": dict(user)}

    def _bot_administrator(self) -> dict:
        rights = dict.fromkeys(_BOT_ADMIN_RIGHTS, True)
        return {
            "status": "administrator",
            "user": dict(self.bot_user),
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
            **rights,
        }

    async def _get_chat_member(self, params: dict) -> dict:
        chat = self._resolve_chat(params.get("chat_id"))
        user_id = _require(params, "user_id")
        if not isinstance(user_id, int):
            raise bad_request("invalid user_id specified")
        return self._member(chat, user_id)

    async def _get_chat_administrators(self, params: dict) -> list[dict]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat["type"] == "private":
            raise bad_request("there are no administrators in the private chat")
        return [self._member(chat, OWNER_USER_ID), self._bot_administrator()]

    # -- commands

    @staticmethod
    def _commands_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("command description must be non-empty")
        self._commands[self._commands_key(params)] = copy.deepcopy(commands)
        return True

    async def _get_my_commands(self, params: dict) -> list[dict]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: dict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    # -- webhook

    async def _set_webhook(self, params: dict) -> bool:
        url = str(params.get("url") or "")
        if url and not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": url}
        for key in ("max_connections", "allowed_updates"):
            if params.get(key) is not None:
                self._webhook[key] = params[key]
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"])
        self._update_pulse.fire()  # a pending getUpdates now conflicts
        return True

    async def _delete_webhook(self, params: dict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": ""}
        return True

    async def _get_webhook_info(self, params: dict) -> dict:
        return {
            **self._webhook,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # -- long polling

    async def _get_updates(self, params: dict) -> list[dict]:
        if self._webhook["url"]:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"])
        self._confirm(params.get("offset") or 0)
        limit = min(max(_number(params, "limit", 100), 1), 100)
        deadline = asyncio.get_running_loop().time() + max(_number(params, "timeout", 0), 0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._update_pulse.fire()  # an older long poll is now terminated
        while True:
            pulse = self._update_pulse.current
            if generation != self._poll_generation:
                raise ApiError(409, GET_UPDATES_CONFLICT)
            if self._webhook["url"]:
                raise ApiError(409, WEBHOOK_CONFLICT)
            batch = self._deliverable(limit)
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or remaining <= 0 or self._closing:
                return batch
            try:
                await asyncio.wait_for(pulse.wait(), remaining)
            except TimeoutError:
                pass

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            del self._updates[: max(len(self._updates) + offset, 0)]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _is_allowed(self, update: dict) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in OPT_IN_UPDATE_TYPES

    def _deliverable(self, limit: int) -> list[dict]:
        allowed = [u for u in self._updates if self._is_allowed(u)]
        self.dropped_updates += [u for u in self._updates if not self._is_allowed(u)]
        self._updates = allowed
        return copy.deepcopy(allowed[:limit])

    # ----------------------------------------------------------------- update injection

    def feed_update(self, update: dict) -> dict:
        """Queue a raw update; ``update_id`` is assigned unless present."""
        update = copy.deepcopy(update)
        if "update_id" in update:
            self._update_ids = itertools.count(max(next(self._update_ids), update["update_id"] + 1))
        else:
            update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._update_pulse.fire()
        return copy.deepcopy(update)

    def _user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"User {user_id}",
        }
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def user_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        chat_type: str | None = None,
        title: str | None = None,
        message_thread_id: int | None = None,
        reply_to_bot: bool = False,
    ) -> dict:
        """A user writes ``text``.  ``chat_type`` None: the registered type, else inferred
        (positive id -> private).  ``/cmd`` / ``/cmd@bot`` get a bot_command entity and
        ``@names`` a mention entity.  ``reply_to_bot`` replies to the bot's last message."""
        if user_id is None:
            user_id = chat_id if chat_id > 0 else DEFAULT_USER_ID
        user = self._user(user_id, first_name, username)
        if chat_id in self._chats:
            chat = self._ensure_chat(chat_id, chat_type)
        else:
            private = (chat_type or ("private" if chat_id > 0 else "")) == "private"
            chat = self.add_chat(
                chat_id,
                chat_type,
                title=title,
                first_name=first_name if private else None,
                username=username if private else None,
            )
        message = self._new_message(
            chat,
            text,
            sender=user,
            entities=detect_entities(text),
            thread_id=message_thread_id,
            reply_to=self._last_bot_message(chat_id) if reply_to_bot else None,
        )
        return self.feed_update({"message": message})

    def group_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Test",
        username: str | None = None,
        title: str | None = None,
        chat_type: str = "supergroup",
        message_thread_id: int | None = None,
        reply_to_bot: bool = False,
    ) -> dict:
        """A member writes in a group/supergroup (forum topic: ``message_thread_id``)."""
        if chat_id not in self._chats:
            self.add_chat(chat_id, chat_type, title=title, is_forum=message_thread_id is not None)
        return self.user_message(
            chat_id,
            text,
            user_id=user_id,
            first_name=first_name,
            username=username,
            chat_type=chat_type,
            message_thread_id=message_thread_id,
            reply_to_bot=reply_to_bot,
        )

    def channel_post(
        self, chat_id: int, text: str, *, title: str | None = None, username: str | None = None
    ) -> dict:
        """A post in a channel where the bot is an administrator."""
        chat = self._ensure_chat(chat_id, "channel", title=title, username=username)
        message = self._new_message(
            chat, text, sender=None, sender_chat=chat, entities=detect_entities(text)
        )
        return self.feed_update({"channel_post": message})

    def callback_query(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
    ) -> dict:
        """A user presses an inline button of the bot's message ``message_id``."""
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        if user_id is None:
            user_id = chat_id if chat_id > 0 else DEFAULT_USER_ID
        query_id = str(next(self._query_ids))
        self._pending_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(user_id, first_name, username),
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(hash((self.token, chat_id)))),
            "data": data,
        }
        return self.feed_update({"callback_query": query})

    def _last_bot_message(self, chat_id: int) -> dict:
        for (chat, _), message in reversed(self._messages.items()):
            if chat == chat_id and message.get("from", {}).get("id") == self.bot_user["id"]:
                return message
        raise ValueError(f"the bot has sent nothing to chat {chat_id} yet")

    # ----------------------------------------------------------------- inspection

    def messages_to(self, chat_id: int | str, *, include_edits: bool = False) -> list[SentRecord]:
        """Sent records for ``chat_id`` (sendMessage only unless ``include_edits``)."""
        return [
            record
            for record in self.sent
            if record.chat_id == chat_id and (include_edits or record.method == "sendMessage")
        ]

    def message(self, chat_id: int, message_id: int) -> dict | None:
        """The current state of a stored message (after edits), or None if deleted."""
        stored = self._messages.get((chat_id, message_id))
        return copy.deepcopy(stored) if stored else None

    async def wait_for(
        self,
        predicate: Callable[[SentRecord], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> SentRecord:
        """The first record in ``sent[since:]`` matching ``predicate``; waits for it."""

        def probe() -> SentRecord | None:
            return next((r for r in self.sent[since:] if not predicate or predicate(r)), None)

        return await self._wait_until(probe, timeout, lambda: f"sent records: {self.sent!r}")

    async def wait_for_request(
        self,
        predicate: Callable[[RequestRecord], bool],
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> RequestRecord:
        """The first *answered* request in ``requests[since:]`` matching ``predicate``."""

        def probe() -> RequestRecord | None:
            return next(
                (
                    r
                    for r in self.requests[since:]
                    if (r.status is not None or r.fault) and predicate(r)
                ),
                None,
            )

        return await self._wait_until(probe, timeout, lambda: "no matching request")

    async def _wait_until(
        self, probe: Callable[[], Any], timeout: float, describe: Callable[[], str]
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pulse = self._activity_pulse.current
            found = probe()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"nothing matched within {timeout}s; {describe()}")
            try:
                await asyncio.wait_for(pulse.wait(), remaining)
            except TimeoutError:
                pass
