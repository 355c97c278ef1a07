"""What users do, as updates the bot receives: a message in a private chat or a group (with
the entities Telegram detects), a document, a channel post, a group upgraded to a supergroup,
a button pressed, an inline query. Mixed into FakeBotApi."""

from __future__ import annotations

import copy
import itertools
import time

from newsbot_testing.fake_bot_api.chats import Chats, telegram_user
from newsbot_testing.fake_bot_api.documents import Documents
from newsbot_testing.fake_bot_api.html import detect_entities
from newsbot_testing.fake_bot_api.inline import inline_query_update
from newsbot_testing.fake_bot_api.messages import Messages
from newsbot_testing.fake_bot_api.protocol import DEFAULT_USER_ID
from newsbot_testing.fake_bot_api.updates import Updates


class PendingQueries:
    """Callback and inline queries sent to the bot and not answered yet: Telegram refuses an
    answer to any other."""

    def __init__(self) -> None:
        self.callbacks: set[str] = set()
        self.inline: set[str] = set()
        self._ids = itertools.count(4_000_000_000_001)

    def next_id(self) -> str:
        return str(next(self._ids))


class UserActions:
    """The updates a test makes; each returns the update (or the query id) it queued."""

    token: str
    bot_user: dict
    chats: Chats
    messages: Messages
    updates: Updates
    files: Documents
    queries: PendingQueries

    def user_document(
        self, chat_id: int, content: bytes, file_name: str, *, user_id: int | None = None
    ) -> dict:
        """A user in a private chat sends a file (as Telegram reports it: no text)."""
        user = telegram_user(chat_id if user_id is None else user_id, "Test", None)
        return self.updates.feed({"message": self.files.receive(chat_id, content, file_name, user)})

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
        user = telegram_user(user_id, first_name, username)
        if chat_id in self.chats.by_id:
            chat = self.chats.ensure(chat_id, chat_type)
        else:
            private = (chat_type or ("private" if chat_id > 0 else "")) == "private"
            chat = self.chats.add(
                chat_id,
                chat_type,
                title=title,
                first_name=first_name if private else None,
                username=username if private else None,
            )
        message = self.messages.new(
            chat,
            text,
            sender=user,
            entities=detect_entities(text),
            thread_id=message_thread_id,
            reply_to=(
                self.messages.get(chat_id, reply_to_message_id, "message not found")
                if reply_to_message_id is not None
                else self.messages.last_from(chat_id, self.bot_user["id"])
                if reply_to_bot
                else None
            ),
        )
        return self.updates.feed({"message": message})

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
        if chat_id not in self.chats.by_id:
            self.chats.add(chat_id, chat_type, title=title, is_forum=message_thread_id is not None)
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
        chat = self.chats.ensure(chat_id, "channel", title=title, username=username)
        message = self.messages.new(
            chat, text, sender=None, sender_chat=chat, entities=detect_entities(text)
        )
        return self.updates.feed({"channel_post": message})

    def upgrade_to_supergroup(self, chat_id: int, new_chat_id: int, *, user_id: int = 1000) -> None:
        """A group's admin upgrades it to a supergroup: the old id answers "migrated" from now
        on (``migrate_chat``), and Telegram's two service messages arrive: one in the old group
        (``migrate_to_chat_id``), one in the new supergroup (``migrate_from_chat_id``)."""
        new = self.chats.migrate(chat_id, new_chat_id)
        old = self.chats.by_id[chat_id]
        for chat, field, value in (
            (old, "migrate_to_chat_id", new_chat_id),
            (new, "migrate_from_chat_id", chat_id),
        ):
            message = {
                "message_id": self.messages.next_id(chat["id"]),
                "from": telegram_user(user_id),
                "date": int(time.time()),
                "chat": dict(chat),
                field: value,
            }
            self.updates.feed({"message": message})

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
        message = self.messages.stored.get((chat_id, message_id))
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        if user_id is None:
            user_id = chat_id if chat_id > 0 else DEFAULT_USER_ID
        query_id = self.queries.next_id()
        self.queries.callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": telegram_user(user_id, first_name, username),
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(hash((self.token, chat_id)))),
            "data": data,
        }
        return self.updates.feed({"callback_query": query})

    def inline_query(
        self, user_id: int, text: str, *, chat_type: str = "sender", first_name: str = "Test"
    ) -> str:
        """A user types ``@bot text`` in a chat of ``chat_type``; returns the query id."""
        query_id = self.queries.next_id()
        self.queries.inline.add(query_id)
        user = telegram_user(user_id, first_name)
        self.updates.feed(inline_query_update(query_id, user, text, chat_type))
        return query_id
