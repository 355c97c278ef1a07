"""How each chat wants its alerts, one row per chat in `chat_settings`: link previews, quiet
(every alert silent, or silent between two times of day), its time zone, and when its digest
comes. A chat without a row has the defaults (no previews, ringing, UTC, no schedule).

Topics a chat paused (/pause) are rows of `paused_topics`: the subscription stays (with its
votes and profile) and matching skips it. A row names the subscription by id and topic, as
an id freed by an unsubscribe may be given to a later subscription, which is not paused.

Values are stored as validated by the bot (bot/chat_clock.py reads what users type): times
of day as "HH:MM", a zone as an IANA name or a "+HH:MM" offset, a schedule as "daily HH:MM"
or "weekly mon HH:MM".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Protocol, runtime_checkable

from index.clock import timestamp
from index.state.statements import Statements
from index.storage.database import Migration, Transaction

COLUMNS = ("previews", "quiet", "quiet_from", "quiet_until", "timezone", "digest_schedule")


@dataclass(frozen=True)
class ChatPreferences:
    chat_id: int
    previews: bool = False  # alerts show the article's link preview
    quiet: bool = False  # every alert arrives without a sound
    quiet_from: str | None = None  # and/or those between these times of day ("22:00")
    quiet_until: str | None = None  # ("07:00"; before quiet_from: the hours span midnight)
    timezone: str | None = None  # None: UTC
    digest_schedule: str | None = None  # "daily 08:00", "weekly mon 08:00"


@runtime_checkable
class ChatPreferenceStore(Protocol):
    """The `chat_settings` rows."""

    def get(self, chat_id: int) -> ChatPreferences: ...

    def update(self, chat_id: int, **values: object) -> ChatPreferences: ...

    def scheduled(self) -> list[ChatPreferences]: ...

    def pause(self, chat_id: int, topics: Sequence[tuple[int, str]]) -> None: ...

    def resume(self, chat_id: int, ids: Sequence[int] | None = None) -> int: ...

    def paused(self, chat_id: int | None = None) -> set[tuple[int, str]]: ...


class ChatSettingsStore(Statements):
    """Reads and writes `chat_settings`."""

    def get(self, chat_id: int) -> ChatPreferences:
        """The chat's preferences (the defaults when it has set none)."""
        row = self._read(
            f"SELECT chat_id, {', '.join(COLUMNS)} FROM chat_settings WHERE chat_id = ?",
            [chat_id],
        ).fetchone()
        return _preferences(row) if row else ChatPreferences(chat_id)

    def update(self, chat_id: int, **values: object) -> ChatPreferences:
        """Set these preferences of the chat (the others keep theirs) in one statement."""
        unknown = set(values) - set(COLUMNS)
        if unknown or not values:
            raise ValueError(f"not chat settings: {sorted(unknown) or 'none given'}")
        names = [*values, "updated_at"]
        params = [int(v) if isinstance(v, bool) else v for v in values.values()] + [timestamp()]
        self._write(
            f"""INSERT INTO chat_settings (chat_id, {", ".join(names)})
                VALUES (?, {", ".join("?" for _ in names)})
                ON CONFLICT (chat_id) DO UPDATE SET
                {", ".join(f"{n} = excluded.{n}" for n in names)}""",
            [chat_id, *params],
        )
        return self.get(chat_id)

    def scheduled(self) -> list[ChatPreferences]:
        """The chats with a digest schedule."""
        rows = self._read(
            f"""SELECT chat_id, {", ".join(COLUMNS)} FROM chat_settings
                WHERE digest_schedule IS NOT NULL ORDER BY chat_id"""
        )
        return [_preferences(row) for row in rows]

    def pause(self, chat_id: int, topics: Sequence[tuple[int, str]]) -> None:
        """Pause these (subscription id, topic) of the chat; pausing one again changes nothing."""
        for subscription_id, topic in topics:
            self._write(
                """INSERT INTO paused_topics (subscription_id, chat_id, topic, paused_at)
                   VALUES (?, ?, ?, ?) ON CONFLICT (subscription_id) DO UPDATE SET
                   chat_id = excluded.chat_id, topic = excluded.topic""",
                [subscription_id, chat_id, topic, timestamp()],
            )

    def resume(self, chat_id: int, ids: Sequence[int] | None = None) -> int:
        """Resume these subscriptions of the chat (None: all of them); how many were paused."""
        if ids is None:
            return self._write("DELETE FROM paused_topics WHERE chat_id = ?", [chat_id]).rowcount
        resumed = 0
        for subscription_id in ids:
            resumed += self._write(
                "DELETE FROM paused_topics WHERE chat_id = ? AND subscription_id = ?",
                [chat_id, subscription_id],
            ).rowcount
        return resumed

    def paused(self, chat_id: int | None = None) -> set[tuple[int, str]]:
        """(subscription id, topic) of the paused topics, of one chat or of all."""
        if chat_id is None:
            rows = self._read("SELECT subscription_id, topic FROM paused_topics")
        else:
            rows = self._read(
                "SELECT subscription_id, topic FROM paused_topics WHERE chat_id = ?", [chat_id]
            )
        return {(int(i), str(t)) for i, t in rows}


def _preferences(row: tuple) -> ChatPreferences:
    values = dict(zip(["chat_id", *COLUMNS], row, strict=True))
    for field in fields(ChatPreferences):
        if field.type == "bool":
            values[field.name] = bool(values[field.name])
    return ChatPreferences(**values)


# -- the table this module owns (index/backends/sqlite/schema.py runs every owner's migrations in order)

CREATE_TABLE = """CREATE TABLE chat_settings (
    chat_id {integer} PRIMARY KEY,
    previews INTEGER NOT NULL DEFAULT 0,
    quiet INTEGER NOT NULL DEFAULT 0,
    quiet_from TEXT,
    quiet_until TEXT,
    timezone TEXT,
    digest_schedule TEXT,
    updated_at TEXT
)"""
CREATE_PAUSED = """CREATE TABLE paused_topics (
    subscription_id {integer} PRIMARY KEY,
    chat_id {integer} NOT NULL,
    topic TEXT NOT NULL,
    paused_at TEXT NOT NULL
)"""


def _create_chat_settings(db: Transaction) -> None:
    """Schema version 8: one row of settings per chat, and the topics chats paused."""
    db.execute(CREATE_TABLE.format(integer="INTEGER"))
    db.execute(CREATE_PAUSED.format(integer="INTEGER"))
    db.execute("CREATE INDEX paused_topics_chat ON paused_topics (chat_id)")


MIGRATIONS: dict[int, Migration] = {8: _create_chat_settings}
