"""Every inline keyboard the bot shows, and the callback data its buttons carry.

A button's data is `prefix:field:…`. Each family of buttons is one `Callback`: the keyboard
builds its data with `Callback.data`, bot/commands.py routes presses with `Callback.pattern`
and the handler reads them with `Callback.parse`, so a prefix is written once. The formats are
those every earlier version sent: buttons already in chats keep working.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.display import label
from index.state import Subscription

# Telegram's limit on a button's callback data, in bytes.
MAX_CALLBACK_BYTES = 64
BUTTON_CHARS = 60  # a button's text: an example question, a topic
VOTES = {"up": 1, "down": -1}  # an alert's 👍/👎, as its data spells them


@dataclass(frozen=True)
class Callback:
    """One family of buttons: data `prefix:` and then `fields` fields, the last of which takes
    the rest (a token or a number: neither holds a colon)."""

    prefix: str
    fields: int = 1

    def __post_init__(self) -> None:
        if not self.prefix or ":" in self.prefix or self.fields < 1:
            raise ValueError(f"bad callback family {self.prefix!r}/{self.fields}")

    @property
    def pattern(self) -> re.Pattern[str]:
        """What a press of this family's buttons matches (CallbackQueryHandler's pattern)."""
        return re.compile(rf"^{re.escape(self.prefix)}:")

    def data(self, *fields: object) -> str:
        """The callback data of one button; ValueError for data Telegram would refuse."""
        if len(fields) != self.fields:
            raise ValueError(f"{self.prefix} buttons carry {self.fields} fields, not {len(fields)}")
        data = ":".join((self.prefix, *map(str, fields)))
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data[:80]!r}")
        return data

    def parse(self, data: str | None) -> tuple[str, ...] | None:
        """The fields of one of this family's buttons; None for any other data."""
        head, colon, rest = (data or "").partition(":")
        if head != self.prefix or not colon:
            return None
        fields = tuple(rest.split(":", self.fields - 1))
        return fields if len(fields) == self.fields else None


# Under an answer: the other quotes and back, and the reader's verdict (token, 1 or -1).
MORE_SOURCES = Callback("more")
FIRST_SOURCES = Callback("back")
ANSWER_VOTE = Callback("vote", fields=2)
# Under /latest: the listing's token and the page to show.
LATEST_PAGE = Callback("lt", fields=2)
# Under /start, /help and greetings: an example question's token.
EXAMPLE = Callback("ex")
# Under /unsubscribe: a subscription id, or "all".
UNSUBSCRIBE = Callback("unsub")
# Under an alert: its delivery id, and up or down (VOTES).
ALERT_VOTE = Callback("alert", fields=2)
CALLBACKS = (
    MORE_SOURCES,
    FIRST_SOURCES,
    ANSWER_VOTE,
    LATEST_PAGE,
    EXAMPLE,
    UNSUBSCRIBE,
    ALERT_VOTE,
)


def answer_keyboard(token: str, has_more: bool, showing_more: bool) -> InlineKeyboardMarkup:
    """More sources ▸ (or ◂ First sources while the others show), then 👍 and 👎."""
    rows = []
    if showing_more:
        rows.append(
            [InlineKeyboardButton("◂ First sources", callback_data=FIRST_SOURCES.data(token))]
        )
    elif has_more:
        rows.append(
            [InlineKeyboardButton("More sources ▸", callback_data=MORE_SOURCES.data(token))]
        )
    rows.append(
        [
            InlineKeyboardButton("👍", callback_data=ANSWER_VOTE.data(token, 1)),
            InlineKeyboardButton("👎", callback_data=ANSWER_VOTE.data(token, -1)),
        ]
    )
    return InlineKeyboardMarkup(rows)


def latest_keyboard(token: str, page: int, more: bool) -> InlineKeyboardMarkup | None:
    """◂ Newer and Older ▸ under page `page` of a /latest listing, when there are any."""
    buttons = []
    if page:
        buttons.append(
            InlineKeyboardButton("◂ Newer", callback_data=LATEST_PAGE.data(token, page - 1))
        )
    if more:
        buttons.append(
            InlineKeyboardButton("Older ▸", callback_data=LATEST_PAGE.data(token, page + 1))
        )
    return InlineKeyboardMarkup([buttons]) if buttons else None


def example_keyboard(questions: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """A button per (question, token): pressing it asks the question."""
    if not questions:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label(q, BUTTON_CHARS), callback_data=EXAMPLE.data(token))]
            for q, token in questions
        ]
    )


def unsubscribe_keyboard(subscriptions: Sequence[Subscription]) -> InlineKeyboardMarkup:
    """A button per subscription, then "All of them"."""
    rows = [
        [InlineKeyboardButton(_topic_label(s), callback_data=UNSUBSCRIBE.data(s.id))]
        for s in subscriptions
    ]
    rows.append([InlineKeyboardButton("All of them", callback_data=UNSUBSCRIBE.data("all"))])
    return InlineKeyboardMarkup(rows)


def _topic_label(subscription: Subscription) -> str:
    """The topic, short (a button needs some text)."""
    return label(subscription.topic, BUTTON_CHARS) or "(empty topic)"


def alert_vote_keyboard(delivery_id: int) -> InlineKeyboardMarkup:
    """👍 more like this / 👎 less like this, for one delivered alert."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "👍 More like this", callback_data=ALERT_VOTE.data(delivery_id, "up")
                ),
                InlineKeyboardButton(
                    "👎 Less like this", callback_data=ALERT_VOTE.data(delivery_id, "down")
                ),
            ]
        ]
    )
