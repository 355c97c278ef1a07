"""What a test reads back from the fake: the records of what the bot sent, the current state of
a message, and waits for a send, a request or an inline answer. Mixed into FakeBotApi."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from newsbot_testing.fake_bot_api.inline import InlineAnswer
from newsbot_testing.fake_bot_api.messages import Messages
from newsbot_testing.fake_bot_api.state import Pulse, RequestRecord, SentRecord


class Inspection:
    sent: list[SentRecord]
    requests: list[RequestRecord]
    inline_answers: list[InlineAnswer]
    messages: Messages
    activity: Pulse  # fired by every answer the server gives

    async def wait_for_inline(self, query_id: str, timeout: float = 10.0) -> InlineAnswer:
        """The accepted answer to inline query ``query_id``; waits for it."""

        def probe() -> InlineAnswer | None:
            return next((a for a in self.inline_answers if a.inline_query_id == query_id), None)

        return await self._wait_until(probe, timeout, lambda: "no answer to the inline query")

    def messages_to(self, chat_id: int | str, *, include_edits: bool = False) -> list[SentRecord]:
        """Sent records for ``chat_id`` (sendMessage only unless ``include_edits``)."""
        return [
            record
            for record in self.sent
            if record.chat_id == chat_id and (include_edits or record.method == "sendMessage")
        ]

    def message(self, chat_id: int, message_id: int) -> dict | None:
        """The current state of a stored message (after edits), or None if deleted."""
        stored = self.messages.stored.get((chat_id, message_id))
        return copy.deepcopy(stored) if stored else None

    async def wait_for(
        self,
        predicate: Callable[[SentRecord], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> SentRecord:
        """The first record in ``sent[since:]`` matching ``predicate``; waits for it."""

        def probe() -> SentRecord | None:
            return next((r for r in self.sent[since:] if not predicate or predicate(r)), None)

        return await self._wait_until(probe, timeout, lambda: f"sent records: {self.sent!r}")

    async def wait_for_request(
        self,
        predicate: Callable[[RequestRecord], bool],
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> RequestRecord:
        """The first *answered* request in ``requests[since:]`` matching ``predicate``."""

        def probe() -> RequestRecord | None:
            return next(
                (
                    r
                    for r in self.requests[since:]
                    if (r.status is not None or r.fault) and predicate(r)
                ),
                None,
            )

        return await self._wait_until(probe, timeout, lambda: "no matching request")

    async def _wait_until(
        self, probe: Callable[[], Any], timeout: float, describe: Callable[[], str]
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pulse = self.activity.current
            found = probe()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"nothing matched within {timeout}s; {describe()}")
            try:
                await asyncio.wait_for(pulse.wait(), remaining)
            except TimeoutError:
                pass
