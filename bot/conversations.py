"""The questions a chat asked last, so a follow-up ("and Putin?", "why?") can lean on one:
the question a bot message answered (for a reply to it) and the chat's last question with
its time (for a message soon after it in a private chat). Bounded, in memory only."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_CHATS = 10_000
MAX_ANSWERS = 20_000


@dataclass(frozen=True)
class Asked:
    question: str
    at: float


class Conversations:
    """Not thread-safe: the bot calls it from the event loop only."""

    def __init__(
        self, follow_up_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.follow_up_seconds = follow_up_seconds
        self.clock = clock
        self._last: OrderedDict[int, Asked] = OrderedDict()
        self._answered: OrderedDict[tuple[int, int], str] = OrderedDict()

    def remember(self, chat_id: int, question: str, message_id: int | None) -> None:
        """`question` (as understood) was answered in `chat_id` by bot message `message_id`."""
        self._last[chat_id] = Asked(question, self.clock())
        self._last.move_to_end(chat_id)
        if message_id is not None:
            self._answered[(chat_id, message_id)] = question
        while len(self._last) > MAX_CHATS:
            self._last.popitem(last=False)
        while len(self._answered) > MAX_ANSWERS:
            self._answered.popitem(last=False)

    def answered_by(self, chat_id: int, message_id: int) -> str | None:
        """The question the bot's message `message_id` answered, if remembered."""
        return self._answered.get((chat_id, message_id))

    def recent(self, chat_id: int) -> str | None:
        """The chat's last question, if asked within the follow-up time."""
        asked = self._last.get(chat_id)
        if asked is None or self.clock() - asked.at > self.follow_up_seconds:
            return None
        return asked.question
