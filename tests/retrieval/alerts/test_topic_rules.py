"""How `/subscribe` text is read into a topic (retrieval/alerts: topics.py, phrases.py,
sources.py): words of meaning, +required and -excluded words; phrases and alternatives
(`+"new york"` was read as the required word "new" and `york"` as a word of meaning, `a OR b`
as three words); and an outlet to follow (`source:bbc.co.uk` was read as the words "source",
"bbc", "co" and "uk" of a topic's meaning, so no topic could follow an outlet)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.alerts import MAX_SOURCE_CHARS, MAX_TOPIC_CHARS, Topic, TopicError, parse_topic
from retrieval.alerts.phrases import rule_met, rule_words, show_rule, text_keys, typed_rule
from retrieval.alerts.sources import source_keys
from retrieval.alerts.topics import source_only
from retrieval.text_terms import words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Words, +required and -excluded.
        ("ceasefire talks", Topic("ceasefire talks", "ceasefire talks", (), ())),
        (
            "  ceasefire   talks +Ukraine -football ",
            Topic(
                "ceasefire talks +Ukraine -football", "ceasefire talks", ("ukraine",), ("football",)
            ),
        ),
        ("+ukraine", Topic("+ukraine", "ukraine", ("ukraine",), ())),
        ("oil -opec -saudi", Topic("oil -opec -saudi", "oil", (), ("opec", "saudi"))),
        # Phrases and alternatives.
        (
            'mayor +"new york" -"opinion"',
            Topic('mayor +"new york" -"opinion"', "mayor", ("new york",), ("opinion",)),
        ),
        (
            "ceasefire OR truce",
            Topic("ceasefire OR truce", "ceasefire truce", ("ceasefire|truce",), ()),
        ),
        (
            'talks +ukraine OR +"kyiv region"',
            Topic('talks +ukraine OR +"kyiv region"', "talks", ("ukraine|kyiv region",), ()),
        ),
        ("oil -opec OR -saudi", Topic("oil -opec OR -saudi", "oil", (), ("opec", "saudi"))),
        # Curly quotes (what phones type), and a quote left open runs to the end.
        ("+“New York” mayor", Topic("+“New York” mayor", "mayor", ("new york",), ())),
        ('+"new york mayor', Topic('+"new york mayor', "new york mayor", ("new york mayor",), ())),
        # As before: an unquoted +word with a hyphen is two required words.
        ("+new-york", Topic("+new-york", "new york", ("new", "york"), ())),
        # OR with nothing on one side is a word (a stop word: no meaning of its own).
        ("OR oil", Topic("OR oil", "OR oil", (), ())),
        # An outlet.
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
def test_topics_are_read_as_typed(text, expected):
    assert parse_topic(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Please name a topic"),
        ("the of and", "no words to match"),
        ("peace +war -war", "both required (+) and excluded (-)"),
        ("x" * 201, "under 200 characters"),
        ("oil OR -opec", "cannot be one of the alternatives of OR"),
        ('+"new york" -"new york"', "both required"),
        ('-"opinion"', "no words to match"),
        ("OR", "no words to match"),
        ("source:", "name the source"),
        ('source:"" ukraine', "name the source"),
        ("source:bbc.co.uk source:reuters.com", "one source per topic"),
        ("source:" + "x" * (MAX_SOURCE_CHARS + 1), f"under {MAX_SOURCE_CHARS} characters"),
    ],
)
def test_unusable_topics_say_why(text, reason):
    with pytest.raises(TopicError, match=re.escape(reason)):
        parse_topic(text)


def test_a_phrase_is_met_only_by_its_words_in_order_and_side_by_side():
    keys = text_keys(words("The New York mayor met the press. York is old; the new bridge too."))
    assert rule_met(keys, "new york") and rule_met(keys, "york mayor")
    assert not rule_met(keys, "york new") and not rule_met(keys, "new bridges too old")
    assert rule_met(keys, "mayors")  # a word by stem, as ever
    assert rule_met(keys, "paris|new york") and not rule_met(keys, "paris|london")


def test_a_phrase_or_alternatives_are_shown_and_typed_back():
    assert show_rule("ukraine|kyiv region") == "ukraine or “kyiv region”"
    assert typed_rule("ukraine|kyiv region", "+") == '+ukraine OR +"kyiv region"'
    assert rule_words(("ukraine|kyiv region", "kyiv")) == ["ukraine", "kyiv", "region"]


def topic_or_reason(text: str) -> Topic | None:
    """The topic, within its bound; None where the text was refused with a reason."""
    try:
        topic = parse_topic(text)
    except TopicError as error:
        assert str(error)
        return None
    assert len(topic.text) <= MAX_TOPIC_CHARS
    return topic


_PHRASE_PIECES = st.sampled_from(
    ["+", "-", '"', "“", "”", " ", " OR ", "OR", "new", "york", "Kyiv", "-", "é", "'", "|", "\n"]
)


@given(st.lists(_PHRASE_PIECES, max_size=60).map("".join) | st.text(max_size=300))
def test_any_text_is_a_topic_or_one_reason(text):
    """Never anything but a Topic or a TopicError, its rules bounded by what was typed, and
    the rules typed back read as the same rules."""
    topic = topic_or_reason(text)
    if topic is None:
        return
    assert sum(len(r) for r in (*topic.required, *topic.excluded)) <= 2 * len(topic.text)
    assert topic.query or topic.required
    retyped = " ".join(
        [
            *(typed_rule(r, "+") for r in topic.required),
            *(typed_rule(e, "-") for e in topic.excluded),
        ]
    )
    if topic.required:
        again = parse_topic(retyped)
        assert (again.required, again.excluded) == (topic.required, topic.excluded)


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


def test_a_source_is_shown_and_typed_back():
    topic = parse_topic("source:www.Reuters.com ukraine")
    assert show_rule(topic.required[0]) == "from: reuters.com"
    assert typed_rule(topic.required[0], "+") == "source:reuters.com"
    assert source_only(topic.query, topic.required) is False
    alone = parse_topic("source:reuters.com")
    assert source_only(alone.query, alone.required) is True


_SOURCE_PIECES = st.sampled_from(
    ["source:", "Source:", '"', "“", " ", "bbc.co.uk", "https://", "/", "www.", ".", "|", "+", "-"]
)


@given(st.lists(_SOURCE_PIECES, max_size=40).map("".join) | st.text(max_size=300))
def test_any_text_with_sources_is_a_topic_or_one_reason(text):
    """Never anything but a Topic or a TopicError; at most one source, bounded, one key
    without spaces or |; typed back, it reads as the same source."""
    topic = topic_or_reason(text)
    if topic is None:
        return
    sources = [r for r in topic.required if r.startswith("source:")]
    assert len(sources) <= 1
    for rule in sources:
        key = rule.removeprefix("source:")
        assert key and len(key) <= MAX_SOURCE_CHARS and not set(key) & set(" \t\n|")
        assert parse_topic(typed_rule(rule, "+")).required == (rule,)
