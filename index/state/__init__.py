"""The bot's state behind six interfaces: `Subscriptions`, `Outbox`, `Feeds`, `Feedback`,
`AlertVotes` and `JobLocks`; `open_state(archive)` opens them for an archive. The SQLite
classes (`SubscriptionStore`, `DeliveryOutbox`, `FeedRegistry`, `FeedbackStore`,
`AlertVoteStore`, `OneProcess`) implement them, and so do the PostgreSQL ones in
`index.state.postgres`."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.state.interfaces": [
            "AlertVote",
            "AlertVotes",
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
        "index.state.chat_settings": [
            "ChatPreferences",
            "ChatPreferenceStore",
            "ChatSettingsStore",
        ],
        "index.state.feed_lists": ["FeedLimitError", "FeedsAdded", "register_feeds", "url_problem"],
        "index.state.feedback": ["FeedbackStore"],
        "index.state.alert_votes": ["AlertVoteStore"],
    },
)
