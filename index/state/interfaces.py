"""What the bot and alert matching may ask of its state: subscriptions and chat settings, the
alert outbox, the feed registry, answer feedback and votes on alerts. The SQLite classes beside this module are
one implementation; callers depend on these Protocols and on `open_state` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from index.errors import IndexError_


@dataclass(frozen=True)
class Subscription:
    id: int
    chat_id: int
    thread_id: int | None
    topic: str  # as the user typed it, whitespace tidied
    query: str  # the words whose meaning is matched
    required: tuple[str, ...]  # +words: the article must contain each
    excluded: tuple[str, ...]  # -words: the article must contain none
    created_at: str
    created_by: int | None = None  # the user who subscribed (None: a channel, or older)


@dataclass(frozen=True)
class ChatSettings:
    chat_id: int
    digest: bool
    paused: bool  # the bot was blocked or removed: no alerts until the chat writes again
    last_digest_at: str | None


class SubscriptionLimitError(IndexError_):
    """The chat (or, `per_user`, the user across all chats) already follows as many topics
    as it may; `count` says how many."""

    def __init__(self, count: int, per_user: bool = False) -> None:
        who = "you already made" if per_user else "this chat already follows"
        super().__init__(f"{who} {count} subscriptions, the most allowed")
        self.count = count
        self.per_user = per_user


@dataclass(frozen=True)
class NewDelivery:
    chat_id: int
    thread_id: int | None
    subscription_id: int
    passage_id: int
    score: float


@dataclass(frozen=True)
class Delivery:
    id: int
    chat_id: int
    thread_id: int | None
    article_id: str
    subscription_id: int | None
    passage_id: int | None
    score: float
    status: str
    attempts: int
    pieces_sent: int = 0
    body: tuple[str, ...] | None = None  # the rendered pieces, stored before the first send
    created_at: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    """Network errors and 5xx: wait base, 2 x base, ... at most max_seconds, for window."""

    base_seconds: float
    max_seconds: float
    window: timedelta

    def delay(self, attempts: int) -> timedelta:
        exponent = min(max(attempts - 1, 0), 60)  # 2**60 x base is past any cap
        return timedelta(seconds=min(self.base_seconds * 2**exponent, self.max_seconds))


@dataclass(frozen=True)
class FeedRecord:
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    added_at: str
    added_by: int | None
    last_polled_at: str | None
    last_error: str | None
    error_count: int
    article_count: int
    items_skipped: int = 0  # items of the last poll that could not be read
    last_item_error: str | None = None  # the first of their reasons


@runtime_checkable
class Subscriptions(Protocol):
    """Topic subscriptions per chat (and forum thread) and per-chat alert settings."""

    def add(
        self,
        chat_id: int,
        thread_id: int | None,
        topic: str,
        query: str,
        required: Sequence[str] = (),
        excluded: Sequence[str] = (),
        *,
        limit: int | None = None,
        user_id: int | None = None,
        user_limit: int | None = None,
    ) -> tuple[Subscription, bool]:
        """(subscription, False) if it existed; SubscriptionLimitError past `limit` topics
        in the chat (thread) or `user_limit` made by `user_id` across all chats. Ids are
        never reused."""
        ...

    def for_chat(self, chat_id: int, thread_id: int | None) -> list[Subscription]: ...

    def get(self, subscription_id: int, chat_id: int | None = None) -> Subscription | None:
        """The subscription; None if gone or (with `chat_id`) another chat's."""
        ...

    def active(self) -> list[Subscription]:
        """Subscriptions of chats that are not paused."""
        ...

    def remove(self, chat_id: int, ids: Sequence[int]) -> list[Subscription]:
        """Remove the chat's subscriptions and withdraw their waiting alerts, at once."""
        ...

    def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """The chat got a new id (a group upgraded to a supergroup): move its settings,
        subscriptions and alerts there, at once; how many subscriptions moved."""
        ...

    def chat(self, chat_id: int) -> ChatSettings: ...

    def set_digest(self, chat_id: int, on: bool) -> None: ...

    def digest_chats(self) -> list[ChatSettings]: ...

    def mark_digest_sent(self, chat_id: int, at: str) -> None: ...

    def pause_chat(self, chat_id: int) -> None:
        """Stop matching for the chat and hold its waiting alerts, at once."""
        ...

    def resume_chat(self, chat_id: int) -> bool: ...

    def counts(self) -> dict[str, int]: ...


@runtime_checkable
class Outbox(Protocol):
    """Articles waiting to be matched and the alerts waiting to be sent, claimed by a lease."""

    def queued_articles(self, limit: int) -> list[tuple[str, str]]: ...

    def settle(self, article_id: str, matches: Sequence[NewDelivery]) -> int: ...

    def claim_due(self, worker: str, limit: int, lease_seconds: float) -> list[Delivery]: ...

    def claim_for_chat(
        self, chat_id: int, worker: str, limit: int, lease_seconds: float
    ) -> list[Delivery]: ...

    def release(self, ids: Sequence[int], worker: str) -> None: ...

    def store_body(self, ids: Sequence[int], worker: str, pieces: Sequence[str]) -> bool: ...

    def record_pieces(
        self, ids: Sequence[int], worker: str, pieces_sent: int, total: int, lease_seconds: float
    ) -> bool: ...

    def defer(self, ids: Sequence[int], worker: str, until: datetime, error: str) -> None: ...

    def retry_later(
        self, ids: Sequence[int], worker: str, error: str, policy: RetryPolicy
    ) -> list[int]: ...

    def refuse(self, ids: Sequence[int], worker: str, error: str) -> None: ...

    def mark_failed(self, ids: Sequence[int], worker: str, error: str) -> None: ...

    def next_due_at(self) -> datetime | None: ...

    def get(self, delivery_id: int) -> Delivery | None: ...

    def counts(self) -> dict[str, int]: ...


@runtime_checkable
class Feeds(Protocol):
    """The feeds the bot polls and how their last poll went."""

    def add(self, url: str, title: str, added_by: int | None = None) -> bool: ...

    def remove(self, url: str) -> bool: ...

    def get(self, url: str) -> FeedRecord | None: ...

    def all(self) -> list[FeedRecord]: ...

    def count(self) -> int: ...

    def record_success(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        new_articles: int,
        items_skipped: int = 0,
        item_error: str | None = None,
        worker: str | None = None,
    ) -> None:
        """`worker`: who polled the feed; the record ends that worker's lease only."""
        ...

    def record_failure(
        self, url: str, error: str, new_articles: int = 0, worker: str | None = None
    ) -> None: ...

    def lease(self, url: str, worker: str, seconds: float, interval: float = 0.0) -> bool:
        """Take the feed for `worker` to poll, until its poll is recorded or `seconds` pass;
        False while another worker holds it, so no two workers poll a feed at once, and
        False when another worker recorded a poll of it less than `interval` seconds ago, so
        a feed is read once per interval whatever the number of workers (the worker that
        polled it last keeps it on its own schedule)."""
        ...


@runtime_checkable
class Feedback(Protocol):
    """Users' votes on answers."""

    def record(
        self, chat_id: int, user_id: int, question: str, passage_ids: Sequence[int], vote: int
    ) -> None: ...


@dataclass(frozen=True)
class AlertVote:
    delivery_id: int  # the alert voted on
    subscription_id: int  # the topic it teaches
    user_id: int
    article_id: str
    vote: int  # +1 more like this, -1 less like this


@runtime_checkable
class AlertVotes(Protocol):
    """Readers' votes on alerts (👍/👎): one per reader and alert, removed with their
    subscription."""

    def record(
        self,
        delivery_id: int,
        subscription_id: int,
        user_id: int,
        article_id: str,
        vote: int,
        *,
        chat_id: int,
        keep: int | None = None,
    ) -> bool:
        """Keep the vote, replacing the reader's earlier one on this alert (True if there
        was one), and only the subscription's latest `keep` votes; ValueError when the
        subscription no longer exists or is not `chat_id`'s (the alert's chat)."""
        ...

    def for_subscription(self, subscription_id: int) -> list[AlertVote]: ...

    def versions(self) -> dict[int, tuple[int, int]]:
        """(vote count, last vote id) per subscription with votes: changes with every vote."""
        ...


# The jobs JobLocks knows.
DIGEST_JOB = "digests"
MATCHING_JOB = "alert matching"


@runtime_checkable
class JobLocks(Protocol):
    """Jobs that one worker of many runs at a time (the digests, alert matching with its
    profile refresh): `take` says whether this worker got the job, `give_back` ends it."""

    def take(self, job: str) -> bool: ...

    def give_back(self, job: str) -> None: ...
