"""A strict, in-process fake of the Telegram Bot API HTTP server, for end-to-end tests
(the full story is server.py's docstring).

By concern: html (Telegram's HTML parse mode, UTF-16 offsets), markup (inline keyboards),
inline (answerInlineQuery), protocol (limits, error answers), transport (request parameters),
chats (registry, members, migrations, blocks), messages (stored messages, message text),
updates (getUpdates, webhook), faults (injected failures), documents (files), state (what the
server records), users (what a user does: messages, buttons, inline queries) and server (the
aiohttp server and the Bot API methods that send). Each module uses only the others' public
names.
"""

from newsbot_testing.fake_bot_api.html import detect_entities, entity_text, parse_html, utf16_len
from newsbot_testing.fake_bot_api.inline import (
    MAX_INLINE_RESULTS,
    MAX_RESULT_ID_BYTES,
    InlineAnswer,
)
from newsbot_testing.fake_bot_api.protocol import (
    DEFAULT_USER_ID,
    MAX_TEXT_LENGTH,
    OWNER_USER_ID,
    ApiError,
    bad_request,
)
from newsbot_testing.fake_bot_api.server import FakeBotApi
from newsbot_testing.fake_bot_api.state import (
    CallbackAnswer,
    ChatActionRecord,
    RequestRecord,
    SentRecord,
)

__all__ = [
    "DEFAULT_USER_ID",
    "MAX_TEXT_LENGTH",
    "OWNER_USER_ID",
    "ApiError",
    "CallbackAnswer",
    "ChatActionRecord",
    "FakeBotApi",
    "InlineAnswer",
    "MAX_INLINE_RESULTS",
    "MAX_RESULT_ID_BYTES",
    "RequestRecord",
    "SentRecord",
    "bad_request",
    "detect_entities",
    "entity_text",
    "parse_html",
    "utf16_len",
]
