"""Files in the fake Bot API: a user sends a document (`receive`, FakeBotApi.user_document),
the bot reads it (getFile, then the file URL) and sends one (sendDocument, kept in `sent`).
Like Telegram, a file the bot may download is at most 20 MB."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

from aiohttp import web

from newsbot_testing.fake_bot_api.chats import Chats
from newsbot_testing.fake_bot_api.html import utf16_len
from newsbot_testing.fake_bot_api.messages import Messages, formatted_text
from newsbot_testing.fake_bot_api.protocol import ApiError, bad_request
from newsbot_testing.fake_bot_api.transport import require

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_CAPTION_CHARS = 1024


@dataclass
class SentDocument:
    chat_id: int
    message_id: int
    content: bytes
    caption: str | None


class Documents:
    """getFile, the file download route and sendDocument, and the message that sends one."""

    def __init__(self, chats: Chats, messages: Messages, bot_user: dict) -> None:
        self.sent: list[SentDocument] = []
        self._chats, self._messages, self._bot_user = chats, messages, bot_user
        self._files: dict[str, bytes] = {}
        self._file_ids = itertools.count(1)

    def receive(self, chat_id: int, content: bytes, file_name: str, user: dict) -> dict:
        """The message of `user` sending a file to the bot's private chat with them."""
        file_id = f"doc{next(self._file_ids)}"
        self._files[file_id] = content
        chat = self._chats.ensure(chat_id, "private")
        message = self._messages.new(chat, "", sender=user)
        stored = self._messages.stored[(chat_id, message["message_id"])]
        for record in (message, stored):
            del record["text"]
            record["document"] = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": file_name,
                "mime_type": "application/octet-stream",
                "file_size": len(content),
            }
        return message

    async def get_file(self, params: dict) -> dict:
        file_id = str(require(params, "file_id"))
        if file_id not in self._files:
            raise bad_request("invalid file_id")
        size = len(self._files[file_id])
        if size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": size,
            "file_path": f"documents/{file_id}",
        }

    def download(self, path: str) -> web.Response:
        file_id = path.removeprefix("documents/")
        if file_id not in self._files:
            return self.not_found()
        return web.Response(body=self._files[file_id])

    @staticmethod
    def not_found() -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def send_document(self, params: dict) -> dict:
        chat = self._chats.writable(params.get("chat_id"))
        content = require(params, "document")
        if isinstance(content, str):
            raise ApiError(400, "Bad Request: only uploaded files are supported here")
        caption, entities = "", []
        if params.get("caption"):
            caption, entities = formatted_text({**params, "text": params["caption"]})
            if utf16_len(caption) > MAX_CAPTION_CHARS:
                raise bad_request("message caption is too long")
        message = self._messages.new(chat, caption, sender=self._bot_user, entities=entities)
        self.sent.append(SentDocument(chat["id"], message["message_id"], content, caption))
        return copy.deepcopy(message)
