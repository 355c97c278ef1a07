"""Listings shown with page buttons (/latest), so ◂ ▸ can turn the page: the button carries
the listing's token (bot/token_memory.py) and the page; the topic, which may be longer than
callback data allows, and the listing's moment stay here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.token_memory import TokenMemory


@dataclass(frozen=True)
class Listing:
    topic: str
    as_of: datetime
    chat_id: int


class RecentListings:
    """The last `capacity` listings, least recently turned dropped first."""

    def __init__(self, capacity: int = 2000) -> None:
        self._memory: TokenMemory[Listing] = TokenMemory(capacity)

    def remember(self, listing: Listing) -> str:
        return self._memory.remember(listing)

    def get(self, token: str, chat_id: int) -> Listing | None:
        listing = self._memory.get(token)
        return listing if listing is not None and listing.chat_id == chat_id else None
