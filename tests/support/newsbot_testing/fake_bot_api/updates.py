"""The update queue: getUpdates long polling (a newer poll ends an older one with 409, as
Telegram does), allowed_updates, and the webhook that blocks getUpdates while it is set."""

from __future__ import annotations

import asyncio
import copy
import itertools
from typing import Any

from newsbot_testing.fake_bot_api.protocol import (
    GET_UPDATES_CONFLICT,
    OPT_IN_UPDATE_TYPES,
    WEBHOOK_CONFLICT,
    ApiError,
    bad_request,
)
from newsbot_testing.fake_bot_api.state import Pulse
from newsbot_testing.fake_bot_api.transport import number


class Updates:
    def __init__(self) -> None:
        self.queue: list[dict] = []
        self.dropped: list[dict] = []  # not in allowed_updates
        self.pulse = Pulse()  # fired when an update arrives or a poll must end
        self.closing = False
        self._ids = itertools.count(1)
        self._allowed: list[str] = []
        self._poll_generation = 0
        self._webhook: dict[str, Any] = {"url": ""}

    def feed(self, update: dict) -> dict:
        """Queue a raw update; ``update_id`` is assigned unless present."""
        update = copy.deepcopy(update)
        if "update_id" in update:
            self._ids = itertools.count(max(next(self._ids), update["update_id"] + 1))
        else:
            update = {"update_id": next(self._ids), **update}
        self.queue.append(update)
        self.pulse.fire()
        return copy.deepcopy(update)

    def close(self) -> None:
        """Pending long polls answer ``[]`` now."""
        self.closing = True
        self.pulse.fire()

    async def get_updates(self, params: dict) -> list[dict]:
        if self._webhook["url"]:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if params.get("allowed_updates") is not None:
            self._allowed = list(params["allowed_updates"])
        self._confirm(params.get("offset") or 0)
        limit = min(max(number(params, "limit", 100), 1), 100)
        deadline = asyncio.get_running_loop().time() + max(number(params, "timeout", 0), 0)
        self._poll_generation += 1
        generation = self._poll_generation
        self.pulse.fire()  # an older long poll is now terminated
        while True:
            pulse = self.pulse.current
            if generation != self._poll_generation:
                raise ApiError(409, GET_UPDATES_CONFLICT)
            if self._webhook["url"]:
                raise ApiError(409, WEBHOOK_CONFLICT)
            batch = self._deliverable(limit)
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or remaining <= 0 or self.closing:
                return batch
            try:
                await asyncio.wait_for(pulse.wait(), remaining)
            except TimeoutError:
                pass

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            del self.queue[: max(len(self.queue) + offset, 0)]
        elif offset > 0:
            self.queue = [u for u in self.queue if u["update_id"] >= offset]

    def _is_allowed(self, update: dict) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self._allowed:
            return kind in self._allowed
        return kind not in OPT_IN_UPDATE_TYPES

    def _deliverable(self, limit: int) -> list[dict]:
        allowed = [u for u in self.queue if self._is_allowed(u)]
        self.dropped += [u for u in self.queue if not self._is_allowed(u)]
        self.queue = allowed
        return copy.deepcopy(allowed[:limit])

    # -- webhook

    async def set_webhook(self, params: dict) -> bool:
        url = str(params.get("url") or "")
        if url and not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self.queue.clear()
        self._webhook = {"url": url}
        for key in ("max_connections", "allowed_updates"):
            if params.get(key) is not None:
                self._webhook[key] = params[key]
        if params.get("allowed_updates") is not None:
            self._allowed = list(params["allowed_updates"])
        self.pulse.fire()  # a pending getUpdates now conflicts
        return True

    async def delete_webhook(self, params: dict) -> bool:
        if params.get("drop_pending_updates"):
            self.queue.clear()
        self._webhook = {"url": ""}
        return True

    async def get_webhook_info(self, params: dict) -> dict:
        return {
            **self._webhook,
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue),
        }
