"""A strict, in-process fake of the Telegram Bot API HTTP server, for end-to-end tests
(the full story is server.py's docstring).

html: Telegram's HTML parse mode, UTF-16 offsets; markup: inline keyboards; protocol: limits,
error answers; state: what the server records; transport: request parameters; server: the
aiohttp server and every Bot API method the bot uses.
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
