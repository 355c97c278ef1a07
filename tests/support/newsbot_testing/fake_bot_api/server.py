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
kept in ``inline_answers``.  Not modelled: media, chosen inline results, webhooks delivery
(setWebhook only stores the URL and blocks getUpdates like Telegram does), flood limits other
than injected ones, and auto-detected entities (url, hashtag, ...) in the bot's own messages.

Split by concern: chats.py (who is where, migrations, blocks), messages.py (stored messages,
message text), updates.py (getUpdates, webhook), faults.py (injected failures), documents.py
(files), inline.py (answerInlineQuery), html.py and markup.py (what is checked), users.py
(what a user does), inspection.py (what a test reads back and waits for), and this module:
the HTTP server and the Bot API methods that send.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from newsbot_testing.fake_bot_api.chats import Chats, administrator
from newsbot_testing.fake_bot_api.documents import Documents
from newsbot_testing.fake_bot_api.faults import FaultPlan
from newsbot_testing.fake_bot_api.inline import InlineAnswer, check_answer
from newsbot_testing.fake_bot_api.inspection import Inspection
from newsbot_testing.fake_bot_api.markup import inline_markup
from newsbot_testing.fake_bot_api.messages import Messages, formatted_text
from newsbot_testing.fake_bot_api.protocol import (
    CHAT_ACTIONS,
    GIFT_TYPES,
    MAX_CALLBACK_ANSWER_LENGTH,
    NOT_MODIFIED,
    OWNER_USER_ID,
    ApiError,
    bad_request,
)
from newsbot_testing.fake_bot_api.state import (
    CallbackAnswer,
    ChatActionRecord,
    Pulse,
    RequestRecord,
    SentRecord,
)
from newsbot_testing.fake_bot_api.transport import read_params, require
from newsbot_testing.fake_bot_api.updates import Updates
from newsbot_testing.fake_bot_api.users import PendingQueries, UserActions

_LOGGER = logging.getLogger(__name__)
_STALE_QUERY = "query is too old and response timeout expired or query ID is invalid"


class FakeBotApi(UserActions, Inspection):
    """The fake server.  Public API (see each method's docstring):

    lifecycle:  ``async with FakeBotApi(token) as api``, ``start()``, ``stop()``,
                ``base_url``, ``base_file_url``, ``bot_user``
    setup:      ``add_chat``, ``set_member``, ``migrate_chat``, ``upgrade_to_supergroup``,
                ``block_chat``, ``unblock_chat``, ``fail_next``,
                ``fail_matching``, ``fail_at_random``, ``slow_down``
    updates:    ``user_message``, ``user_document``, ``group_message``, ``channel_post``,
                ``callback_query``, ``inline_query``, ``feed_update``
    inspection: ``sent``, ``requests``, ``chat_actions``, ``callback_answers``,
                ``inline_answers``, ``documents``, ``messages_to``, ``message``, ``wait_for``,
                ``wait_for_request``, ``wait_for_inline``
    parts:      ``chats``, ``messages``, ``updates``, ``faults``, ``files``
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
        self.chats = Chats()
        self.messages = Messages()
        self.updates = Updates()
        self.faults = FaultPlan()
        self.files = Documents(self.chats, self.messages, self.bot_user)
        self.sent: list[SentRecord] = []
        self.requests: list[RequestRecord] = []
        self.chat_actions: list[ChatActionRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.inline_answers: list[InlineAnswer] = []
        self.documents = self.files.sent
        self.dropped_updates = self.updates.dropped  # not in allowed_updates
        self.internal_errors: list[Exception] = []  # bugs of the fake itself (HTTP 500)
        # Setup, as the parts do it (their docstrings say how).
        self.add_chat, self.set_member = self.chats.add, self.chats.set_member
        self.migrate_chat = self.chats.migrate
        self.fail_next, self.fail_matching = self.faults.fail_next, self.faults.fail_matching
        self.fail_at_random, self.slow_down = self.faults.fail_at_random, self.faults.slow_down
        self.clear_faults = self.faults.clear
        self.queries = PendingQueries()
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self.activity = Pulse()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._methods: dict[str, Callable[[dict], Awaitable[Any]]] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._ok,
                "close": self._ok,
                "getUpdates": self.updates.get_updates,
                "setWebhook": self.updates.set_webhook,
                "deleteWebhook": self.updates.delete_webhook,
                "getWebhookInfo": self.updates.get_webhook_info,
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
                "getFile": self.files.get_file,
                "sendDocument": self.files.send_document,
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
        self.updates.closing = False

    async def stop(self) -> None:
        """Wake pending long polls (they answer ``[]``) and shut the server down."""
        self.updates.close()
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
            record.params = await read_params(request)
            delay = self.faults.delay(method)
            if delay:
                await asyncio.sleep(delay)
            fault = self.faults.take(method, record.params)
            if fault is not None and fault.kind != "lost-answer":
                record.fault = fault.kind
                if fault.kind == "network":
                    return self._drop_connection(request)
                return self._error_response(fault.error(), record)
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
        self.activity.fire()
        return web.json_response({"ok": True, "result": record.result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self.files.not_found()
        return self.files.download(request.match_info["path"])

    def _error_response(self, error: ApiError, record: RequestRecord) -> web.Response:
        record.status, record.description = error.status, error.description
        self.activity.fire()
        return web.json_response(error.payload(), status=error.status)

    def _drop_connection(self, request: web.Request) -> web.StreamResponse:
        """Close the socket before any byte of the answer: the client sees a dead peer."""
        if request.transport is not None:
            request.transport.abort()
        self.activity.fire()
        return web.Response()  # never written: the transport is gone

    # ----------------------------------------------------------------- chats

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot / the bot was kicked: sends answer 403."""
        self.chats.blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self.chats.blocked.discard(chat_id)

    # ----------------------------------------------------------------- Bot API methods

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
        chat = self.chats.writable(params.get("chat_id"))
        text, entities = formatted_text(params)
        markup = inline_markup(params.get("reply_markup"))
        message = self.messages.new(
            chat,
            text,
            sender=self.bot_user,
            entities=entities,
            thread_id=params.get("message_thread_id"),
            markup=markup,
            reply_to=self.messages.reply_target(chat, params),
        )
        self._record("sendMessage", params, message)
        return message

    def _edit_target(self, params: dict) -> dict:
        if params.get("chat_id") in (None, "") or params.get("message_id") in (None, ""):
            raise bad_request("message identifier is not specified")
        chat = self.chats.writable(params["chat_id"])
        message = self.messages.get(chat["id"], params["message_id"], "message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    async def _edit_message_text(self, params: dict) -> dict:
        message = self._edit_target(params)
        text, entities = formatted_text(params)
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        markup = inline_markup(params.get("reply_markup"), inline_only=True)
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
        chat = self.chats.writable(params.get("chat_id"))
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append(
            ChatActionRecord(chat["id"], action, params.get("message_thread_id"))
        )
        return True

    async def _answer_callback_query(self, params: dict) -> bool:
        query_id = str(require(params, "callback_query_id"))
        if query_id not in self.queries.callbacks:
            raise bad_request(_STALE_QUERY)
        text = params.get("text")
        if text and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self.queries.callbacks.discard(query_id)
        answer = CallbackAnswer(query_id, text, bool(params.get("show_alert")), params.get("url"))
        self.callback_answers.append(answer)
        return True

    async def _answer_inline_query(self, params: dict) -> bool:
        query_id = str(require(params, "inline_query_id"))
        if query_id not in self.queries.inline:
            raise bad_request(_STALE_QUERY)
        answer = check_answer(params, formatted_text)
        self.queries.inline.discard(query_id)
        self.inline_answers.append(answer)
        return True

    async def _get_chat(self, params: dict) -> dict:
        chat = self.chats.resolve(params.get("chat_id"))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(GIFT_TYPES, False),
        }

    async def _get_chat_member(self, params: dict) -> dict:
        chat = self.chats.resolve(params.get("chat_id"))
        user_id = require(params, "user_id")
        if not isinstance(user_id, int):
            raise bad_request("invalid user_id specified")
        return self.chats.member(chat, user_id, self.bot_user)

    async def _get_chat_administrators(self, params: dict) -> list[dict]:
        chat = self.chats.resolve(params.get("chat_id"))
        if chat["type"] == "private":
            raise bad_request("there are no administrators in the private chat")
        return [self.chats.member(chat, OWNER_USER_ID, self.bot_user), administrator(self.bot_user)]

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

    # ----------------------------------------------------------------- update injection

    def feed_update(self, update: dict) -> dict:
        """Queue a raw update; ``update_id`` is assigned unless present."""
        return self.updates.feed(update)
