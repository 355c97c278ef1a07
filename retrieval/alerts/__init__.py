"""Topic alerts: topics as chats subscribe to them (topics), learnt topic profiles (profiles),
matching new articles to every subscription (matching, compiled for many at once), what a
topic would have matched lately (preview) and readers' votes moving a topic (feedback)."""

from retrieval.alerts.compiled import ArticleEvidence
from retrieval.alerts.feedback import VotedTopics, move_topic, profile_shift, raised_bar
from retrieval.alerts.fitted import DEFAULT_ALERT_MODEL, AlertModel
from retrieval.alerts.matching import AlertMatcher
from retrieval.alerts.phrases import show_rule
from retrieval.alerts.preview import (
    PreviewStory,
    RecentStories,
    Suggestion,
    TopicPreview,
    preview_topic,
)
from retrieval.alerts.profiles import TopicProfile, TopicProfiles
from retrieval.alerts.sources import MAX_SOURCE_CHARS, is_source_rule, source_keys
from retrieval.alerts.topics import (
    MAX_TOPIC_CHARS,
    Topic,
    TopicError,
    has_word,
    names_topic,
    parse_topic,
    topic_threshold,
    topic_thresholds,
    typed_as_name,
    written_as_name,
)

__all__ = [
    "MAX_SOURCE_CHARS",
    "MAX_TOPIC_CHARS",
    "DEFAULT_ALERT_MODEL",
    "AlertMatcher",
    "AlertModel",
    "ArticleEvidence",
    "PreviewStory",
    "RecentStories",
    "Suggestion",
    "Topic",
    "TopicError",
    "TopicPreview",
    "TopicProfile",
    "TopicProfiles",
    "VotedTopics",
    "has_word",
    "is_source_rule",
    "move_topic",
    "names_topic",
    "parse_topic",
    "preview_topic",
    "profile_shift",
    "raised_bar",
    "show_rule",
    "source_keys",
    "topic_threshold",
    "topic_thresholds",
    "typed_as_name",
    "written_as_name",
]
