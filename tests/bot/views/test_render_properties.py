"""Rendering is total: for any stored text (titles, outlets, URLs, passages, topics, feeds,
marked spans anywhere), every renderer gives valid Telegram HTML in non-empty pieces of at most
4096 UTF-16 units, a bounded number of them, in bounded time; and a quote opens with its
answering sentence in bold, whatever its text and spans."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.commands import COMMANDS
from bot.views import (
    MAX_LIST_MESSAGES,
    DigestItem,
    describe,
    feed_list_html,
    feeds_html,
    help_text_html,
    ingest_report_html,
    preview_html,
    render_alert_html,
    render_answer_html,
    render_answer_text,
    render_digest_html,
    render_quote_html,
    stats_html,
    subscriptions_html,
    topics_html,
)
from bot.views.display import blank_controls
from index import IngestReport
from index.sources import SourceFailure
from index.state import FeedRecord, Subscription
from newsbot_testing.fake_bot_api import entity_text, parse_html, utf16_len
from newsbot_testing.telegram_pieces import assert_valid_pieces, finishes_within
from retrieval import Answer, Quote
from retrieval.alerts import PreviewStory, Suggestion, TopicPreview

SECONDS = 1.0  # per example; the renderers take milliseconds
# Fragments an attacker (or a broken feed) puts in stored text.
FRAGMENTS = (
    "<", ">", "&", "&amp;", "&#0;", '"', "'", "<b>", "</a>", "<a href='x'>", "\x00", "\x01",
    "\x7f", "\x85", "\u202e", "\u2028", "\r", "\n", "\t", " ", "😀", "𝕏", "\ufeff", "…", "—",
    "https://", "javascript:", "[::1", "word", "Sentence. ",
)  # fmt: skip


def giant(char: str) -> st.SearchStrategy[str]:
    """One long run of a character: a word too long for any message."""
    return st.integers(0, 12_000).map(lambda n: char * n)


# Valid str only: SQLite cannot hand back lone surrogates.
plain = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
mixed = st.lists(st.sampled_from(FRAGMENTS) | plain, max_size=40).map("".join)
hostile = st.one_of(
    st.just(""),
    plain,
    mixed,
    giant("W"),
    giant("😀"),
    giant("&"),
    st.tuples(mixed, giant("x"), mixed).map("".join),
    st.tuples(mixed, st.integers(0, 3_000)).map(lambda t: (t[0] + " ") * t[1]),
)
urls = st.one_of(
    st.none(),
    hostile,
    st.integers(0, 3_000).map(lambda n: "https://news.example.org/" + "p" * n),
    mixed.map(lambda s: "https://news.example.org/?q=" + s),
)
published = st.one_of(
    st.none(),
    plain,
    st.just("0001-01-01T00:00:00+05:00"),
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
)


@st.composite
def quotes(draw: st.DrawFn) -> Quote:
    text = draw(hostile)
    offset = st.integers(-5, len(text) + 5)
    spans = draw(st.lists(st.tuples(offset, offset), max_size=6))
    return Quote(
        text=text,
        marked_spans=tuple(spans),
        title=draw(hostile),
        source=draw(hostile),
        url=draw(urls),
        published=draw(published),
        score=0.5,
        article_id="a",
        passage_id=1,
    )


feeds = st.builds(
    FeedRecord,
    url=hostile,
    title=hostile,
    etag=st.none(),
    last_modified=st.none(),
    added_at=st.just("2025-01-01T00:00:00+00:00"),
    added_by=st.none(),
    last_polled_at=st.none() | plain,
    last_error=st.none() | hostile,
    error_count=st.integers(0, 10**6),
    article_count=st.integers(0, 10**9),
)
subscriptions = st.builds(
    Subscription,
    id=st.integers(1, 10**6),
    chat_id=st.just(1),
    thread_id=st.none(),
    topic=hostile,
    query=hostile,
    required=st.lists(hostile, max_size=4).map(tuple),
    excluded=st.lists(hostile, max_size=4).map(tuple),
    created_at=st.just("2025-01-01"),
)


@given(st.lists(quotes(), max_size=5), st.lists(hostile, max_size=4))
def test_answers_are_valid_and_one_message_a_quote_at_most(shown, related):
    answered = Answer("q?", True, tuple(shown), related=tuple(related))
    abstained = Answer("q?", False, (), related=tuple(related))
    with finishes_within(SECONDS):
        pieces = render_answer_html(answered)
        no_answer = render_answer_html(abstained)
        text = render_answer_text(answered) + render_answer_text(abstained)
    assert_valid_pieces(pieces, most=max(1, len(shown)))
    assert_valid_pieces(no_answer, most=1)
    assert len(text) < 10_000 * max(1, len(shown))


@st.composite
def answered_quotes(draw: st.DrawFn) -> Quote:
    """A quote whose first marked span (its answering sentence) is a non-empty part of its
    text; the other spans lie anywhere."""
    quote = draw(quotes())
    text = draw(hostile.filter(bool))
    start = draw(st.integers(0, len(text) - 1))
    answer = (start, draw(st.integers(start + 1, len(text))))
    return replace(quote, text=text, marked_spans=(answer, *quote.marked_spans))


@given(answered_quotes(), st.integers(0, 5_000))
def test_a_quote_opens_with_its_answering_sentence_in_bold(quote, context_chars):
    with finishes_within(SECONDS):
        piece = render_quote_html(quote, context_chars=context_chars)
    assert_valid_pieces([piece], most=1)
    text, entities = parse_html(piece)
    start, end = quote.marked_spans[0]
    lead = "… " if start > 0 else ""
    first = min(entities, key=lambda e: e["offset"])
    shown = entity_text(text, first)
    answer = blank_controls(quote.text[start:end])
    assert text.startswith(lead) and first["type"] == "bold"
    assert first["offset"] == utf16_len(lead)  # nothing of the passage before the answer
    # The whole answer, unless it is too long for a message (then as much of it as fits).
    assert shown.startswith(answer) or (answer.startswith(shown) and utf16_len(answer) > 3_000)


@given(quotes(), hostile)
def test_alerts_are_one_valid_message(quote, topic):
    with finishes_within(SECONDS):
        pieces = render_alert_html(quote, topic)
    assert_valid_pieces(pieces, most=1)


@given(st.lists(st.tuples(hostile, quotes()), max_size=30))
def test_digests_are_valid_and_at_most_a_few_messages(pairs):
    with finishes_within(SECONDS):
        pieces = render_digest_html([DigestItem(topic, quote) for topic, quote in pairs])
    assert_valid_pieces(pieces, most=MAX_LIST_MESSAGES)


@given(st.lists(hostile, max_size=10), st.booleans(), st.booleans())
def test_start_and_help_are_one_valid_message_whatever_the_headlines(titles, greeting, admin):
    with finishes_within(SECONDS):
        text = help_text_html(COMMANDS, titles, greeting=greeting, admin=admin, digest_hours=6)
    assert_valid_pieces([text], most=1)


@given(st.lists(feeds, max_size=40), hostile, hostile)
def test_feed_lists_and_ingest_reports_are_valid_and_bounded(records, url, reason):
    report = IngestReport(failures=[SourceFailure(url, reason)] * 6)
    with finishes_within(SECONDS):
        listed = feeds_html(records)
        removable = feed_list_html("Usage: /removefeed", records)
        ingested = ingest_report_html(url, report)
    assert_valid_pieces(listed, most=MAX_LIST_MESSAGES)
    assert_valid_pieces(removable, most=MAX_LIST_MESSAGES)
    assert_valid_pieces([ingested], most=1)


@given(hostile, hostile, st.integers(0, 10**12))
def test_stats_are_one_valid_message(model, index_type, figure):
    archive = {
        "index_bytes": figure, "database_bytes": figure, "model": model, "articles": figure,
        "duplicates": figure, "passages": figure, "vectors": figure, "index_type": index_type,
        "feeds": figure, "embedding_backend": model,
    }  # fmt: skip
    chats = {"subscriptions": figure, "subscribed_chats": figure, "paused_chats": figure}
    with finishes_within(SECONDS):
        text = stats_html(archive, chats, {"sent": figure, "pending": figure})
    assert_valid_pieces([text], most=1)


@given(st.lists(subscriptions, min_size=1, max_size=40), hostile)
def test_subscription_lists_are_valid_and_bounded(found, wanted):
    with finishes_within(SECONDS):
        listed = subscriptions_html(found, ["Each new article comes as its own message."])
        named = (
            f"This chat does not follow {topics_html(found[:1])}. It follows {topics_html(found)}."
        )
        subscribed = f"✅ Subscribed to {describe(found[0])}. I will post each new article here."
    assert_valid_pieces(listed, most=MAX_LIST_MESSAGES)
    assert_valid_pieces([named], most=1)
    assert_valid_pieces([subscribed], most=1)


stories = st.builds(
    PreviewStory,
    title=hostile,
    url=urls,
    source=st.none() | hostile,
    published=published,
    cosine=st.floats(-1, 1),
)
previews = st.builds(
    TopicPreview,
    days=st.floats(0.01, 10_000),
    screened=st.integers(0, 10**9),
    capped=st.booleans(),
    matched=st.integers(0, 10**9),
    best=st.lists(stories, max_size=8).map(tuple),
    flood=st.booleans(),
    suggestions=st.lists(
        st.builds(Suggestion, topic=hostile, matched=st.integers(0, 10**9)), max_size=5
    ).map(tuple),
)


@given(previews, subscriptions)
def test_subscribe_previews_are_one_valid_message_with_safe_links(preview, subscription):
    lead = f"✅ Subscribed to {describe(subscription)}. I will post each new article about it here."
    with finishes_within(SECONDS):
        text = preview_html(preview, lead=lead)
    shown = assert_valid_pieces([text], most=1)
    assert shown.startswith("✅ Subscribed to")
    _, entities = parse_html(text)
    assert all(
        e["url"].startswith(("http://", "https://")) for e in entities if e["type"] == "text_link"
    )
    if preview.screened == 0:
        assert "no stories from the last" in shown
    elif preview.matched and not preview.best:
        assert "The best:" not in shown  # no heading over nothing
