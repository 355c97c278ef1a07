"""The chats the fake knows: registered or inferred from their id (positive: private, negative:
supergroup), their members' statuses, groups migrated to supergroups (their old id answers 400
with migrate_to_chat_id) and chats that blocked the bot (sends answer 403)."""

from __future__ import annotations

from typing import Any

from newsbot_testing.fake_bot_api.protocol import (
    BLOCKED_DESCRIPTIONS,
    BOT_ADMIN_RIGHTS,
    OWNER_USER_ID,
    ApiError,
    bad_request,
)


def telegram_user(
    user_id: int,
    first_name: str | None = None,
    username: str | None = None,
    language_code: str | None = "en",
) -> dict:
    """A User object of a person (not a bot)."""
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


def administrator(user: dict) -> dict:
    """A ChatMember of an administrator with every right but promoting others."""
    rights = dict.fromkeys(BOT_ADMIN_RIGHTS, True)
    return {
        "status": "administrator",
        "user": dict(user),
        "can_be_edited": False,
        "is_anonymous": False,
        "can_promote_members": False,
        **rights,
    }


class Chats:
    def __init__(self) -> None:
        self.by_id: dict[int, dict] = {}
        self.blocked: set[int] = set()
        self.members: dict[tuple[int, int], str] = {}  # (chat, user) -> status
        self.migrated: dict[int, int] = {}  # a group's id -> its supergroup's

    def add(
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
        self.by_id[chat_id] = chat
        return dict(chat)

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for this user in this chat: ``"creator"``,
        ``"administrator"``, ``"member"`` (the default for anyone but the bot and
        OWNER_USER_ID) or ``"left"``."""
        if status not in ("creator", "administrator", "member", "left"):
            raise ValueError(f"unsupported member status {status!r}")
        self.members[(chat_id, user_id)] = status

    def migrate(self, chat_id: int, new_chat_id: int) -> dict:
        """The group was upgraded to a supergroup with ``new_chat_id``: from now on every
        request to the old id answers 400 with ``parameters.migrate_to_chat_id``, as Telegram
        does, and the new chat (a supergroup) takes its place."""
        old = self.ensure(chat_id)
        self.migrated[chat_id] = new_chat_id
        return self.add(new_chat_id, "supergroup", title=old.get("title"))

    def ensure(self, chat_id: int, chat_type: str | None = None, **info: Any) -> dict:
        """The chat, registered now if it was not (of `chat_type`, or inferred from its id)."""
        chat = self.by_id.get(chat_id)
        if chat is None:
            return self.add(chat_id, chat_type, **info)
        if chat_type is not None and chat["type"] != chat_type:
            raise ValueError(f"chat {chat_id} is registered as {chat['type']}, not {chat_type}")
        return dict(chat)

    def resolve(self, value: Any) -> dict:
        """The chat a request's chat_id names (an id or an @username), as Telegram checks it."""
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for chat in self.by_id.values():
                if chat.get("username", "").lower() == value[1:].lower():
                    return dict(chat)
            raise bad_request("chat not found")
        if isinstance(value, bool) or not isinstance(value, int) or value == 0:
            raise bad_request("chat not found")
        if value in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[value]},
            )
        return self.ensure(value)

    def writable(self, value: Any) -> dict:
        """As `resolve`, for a request that sends: 403 where the bot was blocked or kicked."""
        chat = self.resolve(value)
        if chat["id"] in self.blocked:
            raise ApiError(403, BLOCKED_DESCRIPTIONS[chat["type"]])
        return chat

    def member(self, chat: dict, user_id: int, bot_user: dict) -> dict:
        """What getChatMember answers: the bot administers every group it is in, OWNER_USER_ID
        created them, anyone else is a member unless set otherwise (`set_member`)."""
        if user_id == bot_user["id"] and chat["type"] != "private":
            return administrator(bot_user)
        status = self.members.get((chat["id"], user_id))
        if status is None and chat["type"] != "private":
            status = "creator" if user_id == OWNER_USER_ID else "member"
        if status == "creator":
            owner = {"id": user_id, "is_bot": False, "first_name": "Chat Owner"}
            return {"status": "creator", "user": owner, "is_anonymous": False}
        user = bot_user if user_id == bot_user["id"] else telegram_user(user_id)
        if status == "administrator":
            return administrator(user)
        return {"status": status or "member", "user": dict(user)}
