"""Following an outlet in a topic (retrieval/alerts/sources.py): `source:bbc.co.uk` was read as
the words "source", "bbc", "co" and "uk" of a topic's meaning, so no topic could follow an
outlet."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.alerts import MAX_SOURCE_CHARS, MAX_TOPIC_CHARS, Topic, TopicError, parse_topic
from retrieval.alerts.phrases import rule_met, show_rule, typed_rule
from retrieval.alerts.sources import source_keys
from retrieval.alerts.topics import source_only


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("source:bbc.co.uk", Topic("source:bbc.co.uk", "", ("source:bbc.co.uk",), ())),
        # Case and www. ignored; a typed URL (a feed's) is its host.
        ("Source:WWW.BBC.co.uk", Topic("Source:WWW.BBC.co.uk", "", ("source:bbc.co.uk",), ())),
        (
            "source:https://feeds.bbci.co.uk/news/rss.xml",
            Topic(
                "source:https://feeds.bbci.co.uk/news/rss.xml", "", ("source:feeds.bbci.co.uk",), ()
            ),
        ),
        # An outlet's name, quoted when it has spaces.
        (
            'source:"BBC News" +labour',
            Topic('source:"BBC News" +labour', "labour", ("source:bbc-news", "labour"), ()),
        ),
        (
            "ukraine source:reuters.com -opinion",
            Topic(
                "ukraine source:reuters.com -opinion",
                "ukraine",
                ("source:reuters.com",),
                ("opinion",),
            ),
        ),
    ],
)
def test_a_source_is_read_into_one_required_rule(text, expected):
    assert parse_topic(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("source:", "name the source"),
        ('source:"" ukraine', "name the source"),
        ("source:bbc.co.uk source:reuters.com", "one source per topic"),
        ("source:" + "x" * (MAX_SOURCE_CHARS + 1), f"under {MAX_SOURCE_CHARS} characters"),
    ],
)
def test_unusable_sources_say_why(text, reason):
    with pytest.raises(TopicError, match=reason):
        parse_topic(text)


def test_a_story_is_from_its_domain_its_parents_its_feed_and_its_outlet_name():
    keys = source_keys(
        "https://www.news.bbc.co.uk/world/1", "https://feeds.bbci.co.uk/news/rss.xml", "BBC News"
    )
    for typed in ("bbc.co.uk", "news.bbc.co.uk", "feeds.bbci.co.uk", "bbci.co.uk", '"bbc news"'):
        assert rule_met(keys, parse_topic(f"source:{typed}").required[0]), typed
    for typed in ("reuters.com", "sport.bbc.co.uk", "bbc", "news"):
        assert not rule_met(keys, parse_topic(f"source:{typed}").required[0]), typed
    assert source_keys(None, None, None) == frozenset()
    assert source_keys("not a url", "http://[::1", "  ") == frozenset()


def test_the_reading_is_shown_and_typed_back():
    topic = parse_topic("source:www.Reuters.com ukraine")
    assert show_rule(topic.required[0]) == "from: reuters.com"
    assert typed_rule(topic.required[0], "+") == "source:reuters.com"
    assert source_only(topic.query, topic.required) is False
    alone = parse_topic("source:reuters.com")
    assert source_only(alone.query, alone.required) is True


_PIECES = st.sampled_from(
    ["source:", "Source:", '"', "“", " ", "bbc.co.uk", "https://", "/", "www.", ".", "|", "+", "-"]
)


@given(st.lists(_PIECES, max_size=40).map("".join) | st.text(max_size=300))
def test_any_text_with_sources_is_a_topic_or_one_reason(text):
    """Never anything but a Topic or a TopicError; at most one source, bounded, one key
    without spaces or |; typed back, it reads as the same source."""
    try:
        topic = parse_topic(text)
    except TopicError as error:
        assert str(error)
        return
    assert len(topic.text) <= MAX_TOPIC_CHARS
    sources = [r for r in topic.required if r.startswith("source:")]
    assert len(sources) <= 1
    for rule in sources:
        key = rule.removeprefix("source:")
        assert key and len(key) <= MAX_SOURCE_CHARS and not set(key) & set(" \t\n|")
        assert parse_topic(typed_rule(rule, "+")).required == (rule,)
