"""The bot's state behind six interfaces: `Subscriptions`, `Outbox`, `Feeds`, `Feedback`,
`AlertVotes` and `JobLocks`, held together in a `BotState`. The SQLite classes
(`SubscriptionStore`, `DeliveryOutbox`, `FeedRegistry`, `FeedbackStore`, `AlertVoteStore`,
`OneProcess`) implement them, and so do the PostgreSQL ones in `index.state.postgres`; each
backend (index/backends/) opens its own."""

from index.state.alert_votes import AlertVoteStore
from index.state.chat_settings import ChatPreferences, ChatPreferenceStore, ChatSettingsStore
from index.state.feed_lists import FeedLimitError, FeedsAdded, register_feeds, url_problem
from index.state.feedback import FeedbackStore
from index.state.feeds import FeedRegistry
from index.state.interfaces import (
    DIGEST_JOB,
    MATCHING_JOB,
    AlertVote,
    AlertVotes,
    ChatSettings,
    Delivery,
    Feedback,
    FeedRecord,
    Feeds,
    JobLocks,
    NewDelivery,
    Outbox,
    RetryPolicy,
    Subscription,
    SubscriptionLimitError,
    Subscriptions,
)
from index.state.outbox import DeliveryOutbox
from index.state.stores import BotState, OneProcess, archive_stats
from index.state.subscriptions import SubscriptionStore

__all__ = [
    "DIGEST_JOB",
    "MATCHING_JOB",
    "AlertVote",
    "AlertVoteStore",
    "AlertVotes",
    "BotState",
    "ChatPreferenceStore",
    "ChatPreferences",
    "ChatSettings",
    "ChatSettingsStore",
    "Delivery",
    "DeliveryOutbox",
    "FeedLimitError",
    "FeedRecord",
    "FeedRegistry",
    "Feedback",
    "FeedbackStore",
    "Feeds",
    "FeedsAdded",
    "JobLocks",
    "NewDelivery",
    "OneProcess",
    "Outbox",
    "RetryPolicy",
    "Subscription",
    "SubscriptionLimitError",
    "SubscriptionStore",
    "Subscriptions",
    "archive_stats",
    "register_feeds",
    "url_problem",
]
