"""The bot's state behind five interfaces: `Subscriptions`, `Outbox`, `Feeds`, `Feedback` and
`JobLocks`; `open_state(archive)` opens them for an archive. The SQLite classes
(`SubscriptionStore`, `DeliveryOutbox`, `FeedRegistry`, `FeedbackStore`, `OneProcess`)
implement them, and so do the PostgreSQL ones in `index.state.postgres`."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.state.interfaces": [
            "ChatSettings",
            "Delivery",
            "DIGEST_JOB",
            "FeedRecord",
            "Feedback",
            "Feeds",
            "JobLocks",
            "MATCHING_JOB",
            "NewDelivery",
            "Outbox",
            "RetryPolicy",
            "Subscription",
            "SubscriptionLimitError",
            "Subscriptions",
        ],
        "index.state.stores": ["BotState", "OneProcess", "archive_stats", "open_state", "state_on"],
        "index.state.subscriptions": ["SubscriptionStore"],
        "index.state.outbox": ["DeliveryOutbox"],
        "index.state.feeds": ["FeedRegistry"],
        "index.state.feedback": ["FeedbackStore"],
    },
)
