"""The bot's state behind five interfaces: `Subscriptions`, `Outbox`, `Feeds`, `Feedback`
and `AlertVotes`; `open_state(archive)` opens them for an archive. The SQLite classes
(`SubscriptionStore`, `DeliveryOutbox`, `FeedRegistry`, `FeedbackStore`, `AlertVoteStore`)
implement them."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.state.interfaces": [
            "AlertVote",
            "AlertVotes",
            "ChatSettings",
            "Delivery",
            "FeedRecord",
            "Feedback",
            "Feeds",
            "NewDelivery",
            "Outbox",
            "RetryPolicy",
            "Subscription",
            "SubscriptionLimitError",
            "Subscriptions",
        ],
        "index.state.stores": ["BotState", "archive_stats", "open_state"],
        "index.state.subscriptions": ["SubscriptionStore"],
        "index.state.outbox": ["DeliveryOutbox"],
        "index.state.feeds": ["FeedRegistry"],
        "index.state.feedback": ["FeedbackStore"],
        "index.state.alert_votes": ["AlertVoteStore"],
    },
)
