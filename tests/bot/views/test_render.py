"""Renderers: Telegram HTML that the strict Bot API parser accepts, in pieces under 4096
units, whatever the article text holds; each quote opening with its answering sentence in
bold, then a short context that reads on from it; display shortening; and the terminal form."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.commands import COMMANDS
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
from bot.views.display import label, lead_window, shorten, utf16_len
from index.state import FeedRecord
from newsbot_testing.fake_bot_api import parse_html
from newsbot_testing.telegram_pieces import assert_valid_pieces, finishes_within
from retrieval import Answer, Quote

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
    assert plain.startswith("… " + quote.text[5000:5500])  # the marked part opens it, whole
    assert " …\n— Evil <Outlet>" in plain  # cut on both sides


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
    quotes = tuple(replace(hostile_quote(3_000), marked_spans=((0, 700),)) for _ in range(6))
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
        text = help_text_html(COMMANDS, titles, greeting=greeting, admin=True, digest_hours=6)
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


# A passage of numbered sentences, so a test can say which ones a quote shows.
SENTENCES = [f"Sentence {i} says something about the talks." for i in range(12)]
PASSAGE = " ".join(SENTENCES)


def span_of(i: int) -> tuple[int, int]:
    start = PASSAGE.index(SENTENCES[i])
    return start, start + len(SENTENCES[i])


def numbered_quote(*spans: tuple[int, int]) -> Quote:
    return replace(hostile_quote(10), text=PASSAGE, marked_spans=spans)


def shown_quote(quote: Quote, context_chars: int = 100) -> tuple[str, list[str]]:
    """The quote's text as the reader sees it (source line left off) and its bold parts."""
    text, entities = parse_html(render_quote_html(quote, context_chars=context_chars))
    bold = [text[e["offset"] : e["offset"] + e["length"]] for e in entities if e["type"] == "bold"]
    return text.rsplit("\n— ", 1)[0], bold


def test_a_quote_opens_with_its_answering_sentence_in_bold_not_with_the_text_before_it():
    """The answer is the first marked span, even when the other one comes first in the text."""
    shown, bold = shown_quote(numbered_quote(span_of(5), span_of(1)))
    assert shown.startswith(f"… {SENTENCES[5]} ")
    assert bold == [SENTENCES[5]]
    assert not any(SENTENCES[i] in shown for i in range(5))  # nothing before the answer


def test_the_context_reads_on_in_whole_sentences_within_the_setting():
    shown, _ = shown_quote(numbered_quote(span_of(2)), context_chars=100)
    assert shown == f"… {SENTENCES[2]} {SENTENCES[3]} {SENTENCES[4]} …"  # two of 43 fit in 100
    shown, _ = shown_quote(numbered_quote(span_of(2)), context_chars=0)
    assert shown == f"… {SENTENCES[2]} …"
    shown, _ = shown_quote(numbered_quote(span_of(10)), context_chars=1_000)
    assert shown == f"… {SENTENCES[10]} {SENTENCES[11]}"  # the passage ends: no "…"


def test_the_context_is_cut_between_words_when_no_whole_sentence_fits():
    text = "The answer is here. " + "and then the story goes on " * 40 + "to its end."
    quote = replace(hostile_quote(10), text=text, marked_spans=((0, 19),))
    shown, bold = shown_quote(quote, context_chars=60)
    assert bold == ["The answer is here."]
    assert shown.startswith("The answer is here. and then the story") and shown.endswith(" …")
    assert len(shown) <= 19 + 60 + 2 and not shown[:-2].endswith(" ")


def test_the_context_stops_before_a_heading():
    text = "The answer is here. It reads on.\nA heading\nThe next paragraph " + "goes " * 100
    quote = replace(hostile_quote(10), text=text, marked_spans=((0, 19),))
    shown, _ = shown_quote(quote, context_chars=60)
    assert shown == "The answer is here. It reads on. …"


def test_a_second_span_right_after_the_answer_is_bold_too_and_context_follows_it():
    shown, bold = shown_quote(numbered_quote(span_of(3), span_of(4)), context_chars=50)
    assert bold == [SENTENCES[3], SENTENCES[4]]
    assert shown == f"… {SENTENCES[3]} {SENTENCES[4]} {SENTENCES[5]} …"


def test_a_second_span_is_bold_only_when_the_context_shows_it_whole():
    near, bold = shown_quote(numbered_quote(span_of(3), span_of(5)), context_chars=100)
    assert bold == [SENTENCES[3], SENTENCES[5]] and near.index(SENTENCES[4]) < near.index(
        SENTENCES[5]
    )
    far, bold = shown_quote(numbered_quote(span_of(3), span_of(9)), context_chars=100)
    assert bold == [SENTENCES[3]] and SENTENCES[9] not in far
    before, bold = shown_quote(numbered_quote(span_of(3), span_of(2)), context_chars=100)
    assert bold == [SENTENCES[3]] and SENTENCES[2] not in before  # never out of order
    running_on = (span_of(5)[0], span_of(8)[1])  # starts in the context, ends past it
    shown, bold = shown_quote(numbered_quote(span_of(3), running_on), context_chars=100)
    assert bold == [SENTENCES[3]] and shown.endswith(f"{SENTENCES[5]} …")
    overlapping = (span_of(2)[0], span_of(4)[1])  # starts before the answer
    shown, bold = shown_quote(numbered_quote(span_of(3), overlapping), context_chars=100)
    assert bold == [SENTENCES[3]] and shown.startswith(f"… {SENTENCES[3]} {SENTENCES[4]}")


def test_a_window_never_exceeds_its_units_whatever_the_context_setting():
    window = lead_window(PASSAGE, [span_of(1)], 120, 10_000)
    assert window.start == span_of(1)[0] and window.spans == (span_of(1),)
    assert utf16_len(PASSAGE[window.start : window.end]) <= 120
    assert PASSAGE[window.start : window.end] == f"{SENTENCES[1]} {SENTENCES[2]}"


def test_a_quote_without_a_marked_span_shows_the_start_of_its_passage():
    shown, bold = shown_quote(numbered_quote(), context_chars=50)
    assert bold == [] and shown == f"{SENTENCES[0]} …"


def test_more_sources_renders_the_further_quotes_the_same_way():
    quote = numbered_quote(span_of(6), span_of(0))
    answer = Answer("q?", True, (numbered_quote(span_of(0)),), more=(quote,))
    (piece,) = render_answer_html(answer, quotes=answer.more, context_chars=100)
    assert piece == render_quote_html(quote, context_chars=100)
    assert parse_html(piece)[0].startswith(f"… {SENTENCES[6]}")


def test_terminal_form_shows_the_answer_first_then_the_context_then_the_source():
    quote = numbered_quote(span_of(5), span_of(1))
    text = " ".join(render_answer_text(Answer("q?", True, (quote,)), context_chars=50).split())
    assert text.startswith(f"… »{SENTENCES[5]}« {SENTENCES[6]} … — Evil <Outlet>")
    assert SENTENCES[1] not in text


def test_json_marked_gives_the_answering_sentence_first():
    quote = numbered_quote(span_of(5), span_of(1))
    assert quote.to_json()["marked"] == f"{SENTENCES[5]} {SENTENCES[1]}"


def test_a_second_span_right_after_the_answer_is_bold_even_with_no_context():
    shown, bold = shown_quote(numbered_quote(span_of(3), span_of(4)), context_chars=0)
    assert bold == [SENTENCES[3], SENTENCES[4]] and shown == f"… {SENTENCES[3]} {SENTENCES[4]} …"
