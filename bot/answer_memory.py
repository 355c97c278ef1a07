"""Recently shown answers, so the "More sources" and 👍/👎 buttons can refer to them (a
button carries the answer's token: bot/token_memory.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.token_memory import TokenMemory
from retrieval import Answer


@dataclass
class ShownAnswer:
    answer: Answer
    chat_id: int
    voters: set[int] = field(default_factory=set)


class RecentAnswers:
    """The last `capacity` answers, least recently shown dropped first."""

    def __init__(self, capacity: int = 2000) -> None:
        self._memory: TokenMemory[ShownAnswer] = TokenMemory(capacity)

    def remember(self, answer: Answer, chat_id: int) -> str:
        return self._memory.remember(ShownAnswer(answer, chat_id))

    def get(self, token: str, chat_id: int) -> ShownAnswer | None:
        shown = self._memory.get(token)
        return shown if shown is not None and shown.chat_id == chat_id else None
