"""Files in the fake Bot API: a user sends a document (`user_document`), the bot reads it
(getFile, then the file URL) and sends one (sendDocument, kept in `documents`). Mixed into
FakeBotApi; like Telegram, a file the bot may download is at most 20 MB."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from newsbot_testing.fake_bot_api.html import utf16_len
from newsbot_testing.fake_bot_api.protocol import ApiError, bad_request
from newsbot_testing.fake_bot_api.transport import _require

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_CAPTION_CHARS = 1024


@dataclass
class SentDocument:
    chat_id: int
    message_id: int
    content: bytes
    caption: str | None


class DocumentMethods:
    """getFile, the file download route and sendDocument, with the update that sends one."""

    def _documents_init(self) -> None:
        self.documents: list[SentDocument] = []
        self._files: dict[str, bytes] = {}
        self._file_ids = itertools.count(1)

    def user_document(
        self, chat_id: int, content: bytes, file_name: str, *, user_id: int | None = None
    ) -> dict:
        """A user in a private chat sends a file (as Telegram reports it: no text)."""
        file_id = f"doc{next(self._file_ids)}"
        self._files[file_id] = content
        user_id = chat_id if user_id is None else user_id
        chat = self._ensure_chat(chat_id, "private")
        message = self._new_message(chat, "", sender=self._user(user_id, "Test", None))
        stored = self._messages[(chat_id, message["message_id"])]
        for record in (message, stored):
            del record["text"]
            record["document"] = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": file_name,
                "mime_type": "application/octet-stream",
                "file_size": len(content),
            }
        return self.feed_update({"message": message})

    async def _get_file(self, params: dict) -> dict:
        file_id = str(_require(params, "file_id"))
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

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.removeprefix("documents/")
        if request.match_info["token"] != self.token or file_id not in self._files:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=self._files[file_id])

    async def _send_document(self, params: dict) -> dict:
        chat = self._writable_chat(params.get("chat_id"))
        content = _require(params, "document")
        if isinstance(content, str):
            raise ApiError(400, "Bad Request: only uploaded files are supported here")
        caption, entities = "", []
        if params.get("caption"):
            caption, entities = self._formatted_text({**params, "text": params["caption"]})
            if utf16_len(caption) > MAX_CAPTION_CHARS:
                raise bad_request("message caption is too long")
        message = self._new_message(chat, caption, sender=self.bot_user, entities=entities)
        self.documents.append(SentDocument(chat["id"], message["message_id"], content, caption))
        return copy.deepcopy(message)


def document_methods(api: Any) -> dict:
    return {"getFile": api._get_file, "sendDocument": api._send_document}
