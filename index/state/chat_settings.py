"""How each chat wants its alerts, one row per chat in `chat_settings`: link previews, quiet
(every alert silent, or silent between two times of day), its time zone, and when its digest
comes. A chat without a row has the defaults (no previews, ringing, UTC, no schedule).

Values are stored as validated by the bot (bot/chat_clock.py reads what users type): times
of day as "HH:MM", a zone as an IANA name or a "+HH:MM" offset, a schedule as "daily HH:MM"
or "weekly mon HH:MM".
"""

from __future__ import annotations

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


def _preferences(row: tuple) -> ChatPreferences:
    values = dict(zip(["chat_id", *COLUMNS], row, strict=True))
    for field in fields(ChatPreferences):
        if field.type == "bool":
            values[field.name] = bool(values[field.name])
    return ChatPreferences(**values)


# -- the table this module owns (index/schema.py runs every owner's migrations in order)

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


def _create_chat_settings(db: Transaction) -> None:
    """Schema version 7: one row of settings per chat."""
    db.execute(CREATE_TABLE.format(integer="INTEGER"))


MIGRATIONS: dict[int, Migration] = {7: _create_chat_settings}
