"""What the fake Bot API answers with: Telegram's limits, its error descriptions, and the
error answer itself (`ApiError`)."""

from __future__ import annotations

from typing import Any

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
GIFT_TYPES = (
    "unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
    "gifts_from_channels",
)  # fmt: skip
BOT_ADMIN_RIGHTS = (
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
