"""Recently shown answers, so the "More sources" and 👍/👎 buttons can refer to them.

Callback data is limited to 64 bytes, so a button carries a short token and the answer stays
here. It is kept in memory only: after a restart an old button says the answer expired.
"""

from __future__ import annotations

import itertools
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from retrieval import Answer


@dataclass
class ShownAnswer:
    answer: Answer
    chat_id: int
    voters: set[int] = field(default_factory=set)


class RecentAnswers:
    """The last `capacity` answers, least recently shown dropped first."""

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._answers: OrderedDict[str, ShownAnswer] = OrderedDict()
        # A per-process prefix keeps tokens of an earlier run from matching new answers.
        self._prefix = secrets.token_hex(2)
        self._counter = itertools.count(1)

    def remember(self, answer: Answer, chat_id: int) -> str:
        token = f"{self._prefix}{next(self._counter):x}"
        self._answers[token] = ShownAnswer(answer, chat_id)
        while len(self._answers) > self.capacity:
            self._answers.popitem(last=False)
        return token

    def get(self, token: str, chat_id: int) -> ShownAnswer | None:
        shown = self._answers.get(token)
        if shown is None or shown.chat_id != chat_id:
            return None
        self._answers.move_to_end(token)
        return shown
