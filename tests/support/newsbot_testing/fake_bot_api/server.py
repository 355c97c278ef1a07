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

Inline mode: ``inline_query`` makes the update, answerInlineQuery is checked (inline.py) and
kept in ``inline_answers``.  Not modelled: media, chosen inline results, webhooks delivery (setWebhook only stores the URL and
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
from typing import Any

from aiohttp import web

from newsbot_testing.fake_bot_api.documents import DocumentMethods, document_methods
from newsbot_testing.fake_bot_api.html import _strip_text, detect_entities, parse_html, utf16_len
from newsbot_testing.fake_bot_api.inline import InlineAnswer, check_answer, inline_query_update
from newsbot_testing.fake_bot_api.markup import _inline_markup
from newsbot_testing.fake_bot_api.protocol import (
    _BOT_ADMIN_RIGHTS,
    _GIFT_TYPES,
    BLOCKED_DESCRIPTIONS,
    CHAT_ACTIONS,
    DEFAULT_USER_ID,
    FAULT_DESCRIPTIONS,
    GET_UPDATES_CONFLICT,
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_TEXT_LENGTH,
    NOT_MODIFIED,
    OPT_IN_UPDATE_TYPES,
    OWNER_USER_ID,
    WEBHOOK_CONFLICT,
    ApiError,
    _fault_kind,
    bad_request,
)
from newsbot_testing.fake_bot_api.state import (
    CallbackAnswer,
    ChatActionRecord,
    RequestRecord,
    SentRecord,
    _Fault,
    _FaultRule,
    _Pulse,
)
from newsbot_testing.fake_bot_api.transport import _number, _read_params, _require

_LOGGER = logging.getLogger(__name__)

# --------------------------------------------------------------------------- the server


class FakeBotApi(DocumentMethods):
    """The fake server.  Public API (see each method's docstring):

    lifecycle:  ``async with FakeBotApi(token) as api``, ``start()``, ``stop()``,
                ``base_url``, ``base_file_url``, ``bot_user``
    setup:      ``add_chat``, ``set_member``, ``migrate_chat``, ``upgrade_to_supergroup``,
                ``block_chat``, ``unblock_chat``, ``fail_next``,
                ``fail_matching``, ``fail_at_random``, ``slow_down``
    updates:    ``user_message``, ``user_document``, ``group_message``, ``channel_post``,
                ``callback_query``,
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
        self.inline_answers: list[InlineAnswer] = []
        self._pending_inline: set[str] = set()
        self.dropped_updates: list[dict] = []  # not in allowed_updates
        self.internal_errors: list[Exception] = []  # bugs of the fake itself (HTTP 500)
        self._chats: dict[int, dict] = {}
        self._blocked: set[int] = set()
        self._members: dict[tuple[int, int], str] = {}  # (chat, user) -> status
        self._migrated: dict[int, int] = {}  # a group's id -> its supergroup's
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
                "answerInlineQuery": self._answer_inline_query,
                "sendChatAction": self._send_chat_action,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getChatAdministrators": self._get_chat_administrators,
                **document_methods(self),
            }.items()
        }
        self._documents_init()

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

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for this user in this chat: ``"creator"``,
        ``"administrator"``, ``"member"`` (the default for anyone but the bot and
        OWNER_USER_ID) or ``"left"``."""
        if status not in ("creator", "administrator", "member", "left"):
            raise ValueError(f"unsupported member status {status!r}")
        self._members[(chat_id, user_id)] = status

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> dict:
        """The group was upgraded to a supergroup with ``new_chat_id``: from now on every
        request to the old id answers 400 with ``parameters.migrate_to_chat_id``, as Telegram
        does, and the new chat (a supergroup) takes its place."""
        old = self._ensure_chat(chat_id)
        self._migrated[chat_id] = new_chat_id
        return self.add_chat(new_chat_id, "supergroup", title=old.get("title"))

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
        if value in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[value]},
            )
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
            "supports_inline_queries": True,
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

    async def _answer_inline_query(self, params: dict) -> bool:
        query_id = str(_require(params, "inline_query_id"))
        if query_id not in self._pending_inline:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        answer = check_answer(params, self._formatted_text)
        self._pending_inline.discard(query_id)
        self.inline_answers.append(answer)
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
        status = self._members.get((chat["id"], user_id))
        if status is None and chat["type"] != "private":
            status = "creator" if user_id == OWNER_USER_ID else "member"
        if status == "creator":
            owner = {"id": user_id, "is_bot": False, "first_name": "Chat Owner"}
            return {"status": "creator", "user": owner, "is_anonymous": False}
        user = self.bot_user if user_id == self.bot_user["id"] else self._user(user_id)
        if status == "administrator":
            return self._administrator(user)
        return {"status": status or "member", "user": dict(user)}

    def _bot_administrator(self) -> dict:
        return self._administrator(self.bot_user)

    @staticmethod
    def _administrator(user: dict) -> dict:
        rights = dict.fromkeys(_BOT_ADMIN_RIGHTS, True)
        return {
            "status": "administrator",
            "user": dict(user),
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
        reply_to_message_id: int | None = None,
    ) -> dict:
        """A user writes ``text``.  ``chat_type`` None: the registered type, else inferred
        (positive id -> private).  ``/cmd`` / ``/cmd@bot`` get a bot_command entity and
        ``@names`` a mention entity.  ``reply_to_bot`` replies to the bot's last message,
        ``reply_to_message_id`` to that message of the chat."""
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
            reply_to=(
                self._stored_message(chat_id, reply_to_message_id, "message not found")
                if reply_to_message_id is not None
                else self._last_bot_message(chat_id)
                if reply_to_bot
                else None
            ),
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

    def upgrade_to_supergroup(self, chat_id: int, new_chat_id: int, *, user_id: int = 1000) -> None:
        """A group's admin upgrades it to a supergroup: the old id answers "migrated" from now
        on (``migrate_chat``), and Telegram's two service messages arrive: one in the old group
        (``migrate_to_chat_id``), one in the new supergroup (``migrate_from_chat_id``)."""
        new = self.migrate_chat(chat_id, new_chat_id)
        old = self._chats[chat_id]
        for chat, field, value in (
            (old, "migrate_to_chat_id", new_chat_id),
            (new, "migrate_from_chat_id", chat_id),
        ):
            counter = self._message_ids.setdefault(chat["id"], itertools.count(1))
            message = {
                "message_id": next(counter),
                "from": self._user(user_id),
                "date": int(time.time()),
                "chat": dict(chat),
                field: value,
            }
            self.feed_update({"message": message})

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

    def inline_query(
        self, user_id: int, text: str, *, chat_type: str = "sender", first_name: str = "Test"
    ) -> str:
        """A user types ``@bot text`` in a chat of ``chat_type``; returns the query id."""
        query_id = str(next(self._query_ids))
        self._pending_inline.add(query_id)
        user = self._user(user_id, first_name)
        self.feed_update(inline_query_update(query_id, user, text, chat_type))
        return query_id

    async def wait_for_inline(self, query_id: str, timeout: float = 10.0) -> InlineAnswer:
        """The accepted answer to inline query ``query_id``; waits for it."""

        def probe() -> InlineAnswer | None:
            return next((a for a in self.inline_answers if a.inline_query_id == query_id), None)

        return await self._wait_until(probe, timeout, lambda: "no answer to the inline query")

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
