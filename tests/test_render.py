"""Renderers: Telegram HTML that the strict Bot API parser accepts, in pieces under 4096
units, whatever the article text holds; display shortening; and the terminal form."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.views import (
    DigestItem,
    feeds_html,
    help_text_html,
    render_alert_html,
    render_answer_html,
    render_answer_text,
    render_digest_html,
    render_quote_html,
)
from bot.views.display import label, passage_window, shorten, utf16_len
from index.state import FeedRecord
from retrieval import Answer, Quote
from tests.fake_bot_api import parse_html
from tests.telegram_pieces import assert_valid_pieces, finishes_within

HOSTILE = (
    "<script>alert('x')</script> AT&T & Co. said <b>unmatched bold and a <a href=x>link "
    "&nbsp; &amp;amp; \"quotes\" 'apostrophes' 5 < 6 > 4 "
)


def hostile_quote(
    length: int = 10_000, url: str | None = "https://example.org/a?x=1&y=<2>"
) -> Quote:
    text = (HOSTILE * (length // len(HOSTILE) + 1))[:length]
    middle = length // 2
    return Quote(
        text=text,
        marked_spans=((middle, middle + 500),),
        title="<i>Title & more</i>",
        source="Evil <Outlet>",
        url=url,
        published="2025-03-04T10:00:00+00:00",
        score=0.9,
        article_id="a1",
        passage_id=1,
    )


def test_hostile_text_of_10000_characters_becomes_one_valid_message():
    quote = hostile_quote()
    plain = assert_valid_pieces([render_quote_html(quote)], most=1)
    assert "<script>alert('x')</script>" in plain  # shown as text, not markup
    assert "Evil <Outlet>" in plain and "<i>Title & more</i>" in plain
    assert quote.text[5000:5500].split(" ", 1)[1].rsplit(" ", 1)[0] in plain  # marked: whole
    assert plain.startswith("… ") and " …\n— Evil <Outlet>" in plain  # cut on both sides


def test_the_marked_sentence_is_bold_and_the_title_links_to_the_article():
    quote = replace(hostile_quote(400), marked_spans=((0, 50),))
    text, entities = parse_html(render_quote_html(quote))
    bold = [e for e in entities if e["type"] == "bold"]
    assert (
        bold and text[bold[0]["offset"] : bold[0]["offset"] + bold[0]["length"]] == quote.text[:50]
    )
    links = [e for e in entities if e["type"] == "text_link"]
    assert links[0]["url"] == "https://example.org/a?x=1&y=<2>"
    assert "4 Mar 2025" in text


def test_unsafe_links_are_not_linked():
    for url in ("javascript:alert(1)", "https://example.org/" + "a" * 2100, "http://[::1"):
        text, entities = parse_html(render_quote_html(hostile_quote(300, url=url)))
        assert not [e for e in entities if e["type"] == "text_link"]
        assert "<i>Title & more</i>" in text


def test_whole_answers_pack_quotes_under_the_limit():
    quotes = tuple(hostile_quote(800) for _ in range(6))
    pieces = render_answer_html(Answer("q?", True, quotes))
    assert 1 < len(pieces) < 6
    assert_valid_pieces(pieces, most=6)


def test_title_url_and_outlet_over_3880_characters_do_not_hang():
    """The footer once left the text a budget <= 0 and the splitter looped forever."""
    quote = replace(
        hostile_quote(2_000),
        title="Headline " * 300,
        source="Outlet " * 200,
        url="https://example.org/" + "p" * 1_500,
    )
    with finishes_within(1.0):
        pieces = render_answer_html(Answer("q?", True, (quote,)))
        alert = render_alert_html(quote, "topic " * 400)
    assert_valid_pieces(pieces, most=1)
    assert_valid_pieces(alert, most=1)


def test_one_huge_passage_is_one_message_not_52():
    quote = replace(hostile_quote(200_000), marked_spans=((100_000, 100_200),))
    with finishes_within(1.0):
        pieces = render_answer_html(Answer("q?", True, (quote, hostile_quote(300))))
    assert_valid_pieces(pieces, most=2)


def test_a_marked_sentence_longer_than_a_message_is_shortened():
    text = "Before. " + "word " * 2_000 + "after."
    quote = replace(hostile_quote(10), text=text, marked_spans=((8, len(text) - 7),))
    (piece,) = render_answer_html(Answer("q?", True, (quote,)))
    text_shown, entities = parse_html(piece)
    assert text_shown.startswith("… word word") and " …\n— Evil <Outlet>" in text_shown
    assert [e["type"] for e in entities][:1] == ["bold"]


def test_one_word_headline_of_4500_characters_keeps_help_under_the_limit():
    titles = ["W" * 4_500, "Ordinary headline about talks"]
    for greeting in (True, False):
        text = help_text_html(titles, greeting=greeting, admin=True, digest_hours=6)
        shown = assert_valid_pieces([text], most=1)
        assert "“Ordinary headline about talks”" in shown and "W…" in shown


def test_abstention_lists_the_closest_headlines_escaped_and_shortened():
    answer = Answer("q?", False, (), related=("Tom & Jerry <3", "x" * 10_000))
    (piece,) = render_answer_html(answer)
    text, _ = parse_html(piece)
    assert "I have no news that answers this." in text and "Tom & Jerry <3" in text
    assert len(text) < 500
    assert render_answer_text(answer).startswith("I have no news that answers this.")


def test_a_digest_of_many_articles_is_at_most_three_messages_with_the_rest_counted():
    items = [DigestItem(f"topic {i % 4}", hostile_quote(2_000)) for i in range(200)]
    pieces = render_digest_html(items)
    shown = assert_valid_pieces(pieces, most=3)
    assert shown.startswith("📰 Your digest: 200 new articles")
    listed = len(re.findall(r"^• ", shown, flags=re.MULTILINE))
    assert shown.endswith(f"… and {200 - listed} more articles")


def test_500_feeds_fit_three_messages_with_the_rest_counted():
    feeds = [
        FeedRecord(f"https://feeds.example.org/{i}/" + "x" * 300, "Feed <&> " * 50, None,
                   None, "2025-01-01", None, None, "boom " * 200, 3, 10)
        for i in range(500)
    ]  # fmt: skip
    shown = assert_valid_pieces(feeds_html(feeds), most=3)
    assert shown.startswith("Feeds (500)") and "more feeds" in shown


def test_shorten_counts_utf16_units_and_prefers_word_breaks():
    assert shorten("short", 5) == "short"
    assert shorten("hello wonderful world", 20) == "hello wonderful…"
    assert shorten("hello wonderful world", 12) == "hello wonde…"  # no break in the 2nd half
    assert shorten("x" * 50, 10) == "x" * 9 + "…"
    assert utf16_len(shorten("😀" * 50, 11)) <= 11  # an emoji counts 2
    assert label("a\x00b\n\n c\u202e", 20) == "a b c"
    assert label("y" * 10_000, 5) == "yyyy…"


def test_a_window_keeps_the_marked_sentence_whole_with_context_on_both_sides():
    text = "lead " * 1_000 + "The answer is here." + " tail" * 1_000
    start = text.index("The answer")
    window = passage_window(text, [(start, start + 19)], 300)
    assert window.start < start and window.end > start + 19
    assert utf16_len(text[window.start : window.end]) <= 300
    assert window.spans == ((start, start + 19),)
    assert text[window.start - 1] == " " and text[window.end] == " "  # cut between words


def test_terminal_form_marks_the_sentence_and_cites_the_source():
    quote = replace(hostile_quote(300), marked_spans=((0, 20),))
    text = render_answer_text(Answer("q?", True, (quote,)))
    assert "»" + quote.text[:20] + "«" in text.replace("\n  ", " ")
    assert (
        "— Evil <Outlet> · <i>Title & more</i> · 4 Mar 2025 · https://example.org"
        in text.replace("\n  ", " ")
    )


def test_terminal_form_of_a_huge_one_word_passage_finishes_quickly():
    quote = replace(hostile_quote(10), text="w" * 5_000_000, marked_spans=((10, 4_000_000),))
    with finishes_within(1.0):
        text = render_answer_text(Answer("q?", True, (quote,)))
    assert len(text) < 6_000
