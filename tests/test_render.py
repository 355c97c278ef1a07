"""Renderers: Telegram HTML that the strict Bot API parser accepts, in pieces under 4096
characters, whatever the article text holds; and the terminal form."""

from __future__ import annotations

from retrieval.answer import Answer, Quote
from retrieval.render_html import TELEGRAM_LIMIT, render_answer_html, render_quote_html
from retrieval.render_text import render_answer_text
from tests.fake_bot_api import parse_html, utf16_len

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


def assert_valid_pieces(pieces: list[str]) -> str:
    plain = []
    for piece in pieces:
        assert len(piece) < TELEGRAM_LIMIT
        text, _ = parse_html(piece)  # raises on anything Telegram would refuse
        assert utf16_len(text) <= TELEGRAM_LIMIT
        plain.append(text)
    return "".join(plain)


def test_hostile_text_of_10000_characters_becomes_valid_pieces():
    quote = hostile_quote()
    pieces = render_quote_html(quote)
    assert len(pieces) >= 3
    plain = assert_valid_pieces(pieces)
    assert "<script>alert('x')</script>" in plain  # shown as text, not markup
    assert "Evil <Outlet>" in plain and "<i>Title & more</i>" in plain


def test_the_marked_sentence_is_bold_and_the_title_links_to_the_article():
    quote = hostile_quote(400)
    quote = Quote(**{**quote.__dict__, "marked_spans": ((0, 50),)})
    (piece,) = render_quote_html(quote)
    text, entities = parse_html(piece)
    bold = [e for e in entities if e["type"] == "bold"]
    assert (
        bold and text[bold[0]["offset"] : bold[0]["offset"] + bold[0]["length"]] == quote.text[:50]
    )
    links = [e for e in entities if e["type"] == "text_link"]
    assert links[0]["url"] == "https://example.org/a?x=1&y=<2>"
    assert "4 Mar 2025" in text


def test_unsafe_links_are_not_linked():
    (piece,) = render_quote_html(hostile_quote(300, url="javascript:alert(1)"))
    _, entities = parse_html(piece)
    assert not [e for e in entities if e["type"] == "text_link"]


def test_whole_answers_pack_quotes_under_the_limit():
    quotes = tuple(hostile_quote(800) for _ in range(6))
    answer = Answer("q?", True, quotes)
    pieces = render_answer_html(answer)
    assert 1 < len(pieces) < 6
    assert_valid_pieces(pieces)


def test_abstention_lists_the_closest_headlines_escaped():
    answer = Answer("q?", False, (), related=("Tom & Jerry <3",))
    (piece,) = render_answer_html(answer)
    text, _ = parse_html(piece)
    assert "I have no news that answers this." in text and "Tom & Jerry <3" in text
    assert render_answer_text(answer).startswith("I have no news that answers this.")


def test_terminal_form_marks_the_sentence_and_cites_the_source():
    quote = hostile_quote(300)
    quote = Quote(**{**quote.__dict__, "marked_spans": ((0, 20),)})
    text = render_answer_text(Answer("q?", True, (quote,)))
    assert "»" + quote.text[:20] + "«" in text.replace("\n  ", " ")
    assert (
        "— Evil <Outlet> · <i>Title & more</i> · 4 Mar 2025 · https://example.org"
        in text.replace("\n  ", " ")
    )
