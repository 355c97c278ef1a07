"""URLs, dates and the bounds of an Article: total over any text (a result or a SourceError,
nothing else), and every Article made within every bound."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config import SourceSettings
from index import SourceError
from index.text.articles import (
    article_id,
    bounded_article,
    canonical_url,
    checked_url,
    cut_text,
    http_url,
    normalise_date,
    parse_published,
)
from newsbot_testing.hostile import (
    TIGHT,
    assert_bounded,
    date_texts,
    long_texts,
    moments,
    url_texts,
)


def test_unclosed_ipv6_link_has_an_id_and_is_no_http_url():
    """`http://[::1` raised ValueError from urlsplit, outside the project's errors."""
    assert canonical_url("http://[::1") == "http://[::1"
    assert len(article_id("http://[::1", "")) == 20
    assert http_url("http://[::1") is None
    with pytest.raises(SourceError, match="not an http"):
        checked_url("http://[::1", SourceSettings())


def test_date_with_no_utc_form_is_unknown():
    """`0001-01-01T00:00:00+05:00` raised OverflowError converting to UTC."""
    assert normalise_date("0001-01-01T00:00:00+05:00") is None
    assert normalise_date("9999-12-31T23:59:59-05:00") is None
    assert normalise_date("2022/05/21") == "2022-05-21"
    assert normalise_date("Tue, 04 Mar 2025 10:00:00 GMT") == "2025-03-04T10:00:00+00:00"


def test_url_longer_than_its_bound_is_refused():
    limits = SourceSettings(max_url_chars=50)
    with pytest.raises(SourceError, match="URL longer than 50 characters"):
        bounded_article("t", "text", "https://x.org/" + "a" * 50, "", None, limits)


def test_long_fields_are_shortened_and_the_cut_logged(caplog):
    caplog.set_level(logging.INFO, logger="index.text.articles")
    limits = SourceSettings(max_article_chars=100, max_title_chars=20, max_source_chars=10)
    text = "First paragraph is here.\n" + "Second one goes on. " * 20
    article = bounded_article("word " * 50, text, None, "outlet " * 10, None, limits)
    assert article.text == "First paragraph is here.\n" + " ".join(["Second one goes on."] * 3)
    assert len(article.title) <= 20 and article.title.endswith("…")
    assert len(article.source) <= 10
    assert "cut to" in caplog.text


def test_cut_text_prefers_paragraph_then_sentence_then_word():
    assert cut_text("aaaa bbbb\ncccc dddd", 12) == "aaaa bbbb"
    assert cut_text("One two. Three four five", 14) == "One two."
    assert cut_text("one two three four", 15) == "one two three"
    assert cut_text("x" * 30, 10) == "x" * 10


@given(st.one_of(date_texts, st.text()))
def test_normalise_date_is_total_and_gives_utc(value):
    result = normalise_date(value)
    if result is not None:
        moment = parse_published(result)
        assert moment is not None and moment.utcoffset().total_seconds() == 0


@given(moments)
def test_normalise_date_of_any_datetime(moment):
    result = normalise_date(moment)
    if result is not None:
        assert parse_published(result) == (
            moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        ).astimezone(UTC).replace(microsecond=0)


@given(st.text())
def test_parse_published_is_total(value):
    moment = parse_published(value)
    assert moment is None or isinstance(moment, datetime) and moment.tzinfo is not None


@given(url_texts, st.text(max_size=50))
def test_urls_never_raise(url, text):
    assert isinstance(canonical_url(url), str)
    assert len(article_id(url, text)) == 20
    checked = http_url(url)
    assert checked is None or checked.lower().startswith(("http://", "https://"))
    try:
        checked_url(url, TIGHT)
    except SourceError:
        pass


@given(long_texts, long_texts, st.one_of(st.none(), url_texts), long_texts, date_texts)
def test_bounded_article_is_within_every_bound_or_a_source_error(
    title, text, url, source, published
):
    try:
        article = bounded_article(title, text, url, source, normalise_date(published), TIGHT)
    except SourceError:
        return
    assert_bounded(article, TIGHT)
