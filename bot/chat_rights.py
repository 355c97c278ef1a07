"""Rights. The bot's own admins (telegram.admins) may run the admin commands. Who may change
what a chat receives: that chat's administrators (and its creator), asked of Telegram with
getChatMember and remembered briefly.

In a channel the buttons under the bot's messages are pressed by its readers, and in a group
by its members: neither may unsubscribe the chat, change its settings or move its topics with
votes. A private chat is its own admin. The answer is kept `ttl` seconds (a demoted admin
keeps the right that long at most) for at most `max_entries` (chat, user) pairs, so a crowd
pressing buttons costs one getChatMember each per `ttl`, and the memory stays bounded.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from telegram import Bot, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

log = logging.getLogger(__name__)

MAX_ENTRIES = 10_000
ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def is_bot_admin(update: Update, admins: tuple[int, ...]) -> bool:
    """Whether the update comes from one of the bot's admins (their user ids)."""
    user = update.effective_user
    return user is not None and user.id in admins


class ChatAdmins:
    """Whether a user administers a chat, from getChatMember, kept `ttl` seconds. Used from
    the event loop only."""

    def __init__(
        self,
        ttl: float,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._known: OrderedDict[tuple[int, int], tuple[float, bool]] = OrderedDict()

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        """Whether `user_id` is an administrator or the creator of `chat_id`; False when
        Telegram cannot tell (that answer is not kept: the next press asks again)."""
        key = (chat_id, user_id)
        now = self.clock()
        known = self._known.get(key)
        if known is not None and now < known[0]:
            return known[1]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError as error:
            log.warning(
                "could not check the rights of user %s in chat %s: %s", user_id, chat_id, error
            )
            return False
        allowed = member.status in ADMIN_STATUSES
        if self.ttl > 0:
            self._known.pop(key, None)
            self._known[key] = (now + self.ttl, allowed)
            while len(self._known) > self.max_entries:
                self._known.popitem(last=False)  # the oldest answer goes first
        if not allowed:
            log.info("user %s is not an admin of chat %s", user_id, chat_id)
        return allowed
