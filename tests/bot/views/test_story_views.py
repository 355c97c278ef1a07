"""Story listings (bot/views/stories.py) hold for anything stored: valid Telegram HTML, one
message for a page of 20 stories whatever the titles, outlets and links, and "how long ago"
for any pair of moments."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.handlers.whatsnew import listing_html
from bot.views.stories import carried_by, stories_html, stories_text, time_ago
from newsbot_testing.fake_bot_api import parse_html
from newsbot_testing.telegram_pieces import assert_valid_pieces
from retrieval import Kind, Routed, Story

NOW = datetime(2024, 12, 19, 23, 59, 59, tzinfo=UTC)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
stories = st.builds(
    Story,
    title=st.text(max_size=5000),
    source=st.text(max_size=500),
    url=st.one_of(st.none(), st.text(max_size=300), st.just("https://a.example/x?a=1&b=<2>")),
    published=st.one_of(st.none(), moments.map(datetime.isoformat), st.text(max_size=30)),
    outlets=st.lists(st.text(max_size=50), max_size=5).map(tuple),
    articles=st.integers(min_value=1, max_value=10_000),
)


@given(st.lists(stories, max_size=20), st.text(max_size=300))
def test_a_page_of_any_stories_is_one_valid_message(page, topic):
    routed = Routed(Kind.LATEST, "q", NOW, stories=page, topic=topic)
    text = assert_valid_pieces([listing_html(routed, "<i>About it:</i>")], most=1)
    assert text.startswith("About it:")
    stories_text("Latest", page, NOW, "none")  # the terminal's too, without raising


@given(st.lists(stories, max_size=20), moments, moments)
def test_a_digest_of_any_window_is_one_valid_message(page, start, end):
    start, end = min(start, end), max(start, end)
    start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    routed = Routed(Kind.DIGEST, "q", NOW, stories=page, start=start, end=end)
    parse_html(listing_html(routed))


@given(moments, moments)
def test_time_ago_is_said_for_any_two_moments(moment, now):
    assert time_ago(moment, now)


def test_time_ago_in_words():
    assert time_ago(datetime(2024, 12, 19, tzinfo=UTC), NOW) == "today"  # a date without hour
    assert time_ago(datetime(2024, 12, 18, tzinfo=UTC), NOW) == "yesterday"
    assert time_ago(datetime(2024, 12, 10, tzinfo=UTC), NOW) == "9 days ago"
    assert time_ago(datetime(2024, 11, 1, tzinfo=UTC), NOW) == "1 Nov 2024"
    assert time_ago(datetime(2024, 12, 19, 23, 30, tzinfo=UTC), NOW) == "29 min ago"
    assert time_ago(datetime(2024, 12, 19, 18, 0, 1, tzinfo=UTC), NOW) == "5 h ago"


def test_outlets_are_counted_before_articles():
    story = Story("T", "A", None, None, ("A", "B", "C"), 5)
    assert carried_by(story) == "3 outlets"
    assert carried_by(Story("T", "A", None, None, ("A",), 4)) == "4 articles"
    assert carried_by(Story("T", "A", None, None, ("A",), 1)) == ""
    assert "3 outlets" in stories_html("<b>Latest</b>", [story], NOW, "")
