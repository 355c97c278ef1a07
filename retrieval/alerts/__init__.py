"""Topic alerts: topics as chats subscribe to them (topics), learnt topic profiles (profiles),
and matching new articles to every subscription (matching, compiled for many at once)."""

from retrieval.alerts.compiled import ArticleEvidence
from retrieval.alerts.matching import AlertMatcher
from retrieval.alerts.profiles import TopicProfile, TopicProfiles
from retrieval.alerts.topics import (
    LEXICAL_RELIEF,
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
    "LEXICAL_RELIEF",
    "MAX_TOPIC_CHARS",
    "AlertMatcher",
    "ArticleEvidence",
    "Topic",
    "TopicError",
    "TopicProfile",
    "TopicProfiles",
    "has_word",
    "names_topic",
    "parse_topic",
    "topic_threshold",
    "topic_thresholds",
    "typed_as_name",
    "written_as_name",
]
