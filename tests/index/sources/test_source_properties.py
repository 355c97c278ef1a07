"""Every parser of outside input, fed hostile input by hypothesis: RSS and Atom feeds with bad
links, dates, huge titles, entities, CDATA and missing fields; OPML and HTML as arbitrary bytes
and markup; JSON Lines of arbitrary lines. None raises anything but SourceError, and every
Article read respects every bound of SourceSettings."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index import SourceError
from index.sources import (
    FetchedResource,
    SourceFailure,
    extract_article,
    feed_articles,
    parse_feed,
    parse_opml,
    read_file,
    read_prefix,
)
from index.text import Article
from newsbot_testing.hostile import (
    TIGHT,
    RefusingFetcher,
    assert_bounded,
    date_texts,
    feeds,
    long_texts,
    url_texts,
    xml_field,
)


def feed_resource(body: bytes) -> FetchedResource:
    return FetchedResource(
        url="https://feeds.example.org/rss",
        status=200,
        content_type="application/rss+xml",
        body=body,
    )


async def read_feed(body: bytes) -> list[Article | SourceFailure]:
    try:
        document = parse_feed(feed_resource(body), TIGHT)
    except SourceError:
        return []
    assert len(document.items) <= TIGHT.max_items_per_feed
    return [item async for item in feed_articles(RefusingFetcher(), document, 2, TIGHT)]


@given(feeds())
def test_any_feed_gives_bounded_articles_or_failures(body):
    for item in asyncio.run(read_feed(body)):
        if isinstance(item, Article):
            assert_bounded(item, TIGHT)
        else:
            assert isinstance(item, SourceFailure) and item.reason


@given(st.binary(max_size=300))
def test_any_bytes_as_a_feed(body):
    for item in asyncio.run(read_feed(body)):
        assert isinstance(item, SourceFailure) or assert_bounded(item, TIGHT) is None


@st.composite
def opml_documents(draw) -> bytes:
    outlines = "".join(
        f'<outline text="{xml_field(draw(long_texts)[:30], "escaped")}" '
        f'xmlUrl="{xml_field(draw(url_texts), draw(st.sampled_from(["escaped", "raw"])))}"/>'
        for _ in range(draw(st.integers(0, 4)))
    )
    nested = draw(st.booleans())
    body = f"<outline text='group'>{outlines}</outline>" if nested else outlines
    return f'<?xml version="1.0"?><opml version="2.0"><body>{body}</body></opml>'.encode()


@given(st.one_of(opml_documents(), st.binary(max_size=300)))
def test_any_opml_gives_feed_urls_or_a_source_error(data):
    try:
        urls = parse_opml(data, "list.opml")
    except SourceError:
        return
    assert urls and all(isinstance(url, str) and url for url in urls)


tags = st.sampled_from(
    ["p", "div", "nav", "article", "h1", "script", "title", "meta", "a", "li", "br", "table"]
)


@st.composite
def markup(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        tag = draw(tags)
        parts.append(
            draw(
                st.sampled_from(
                    [
                        f"<{tag}>{draw(long_texts)}</{tag}>",
                        f"<{tag} property='article:published_time' content='{draw(date_texts)}'>",
                        f"<{tag} href='{draw(url_texts)}'>{draw(long_texts)}",
                        draw(long_texts),
                        f"</{tag}>",
                    ]
                )
            )
        )
    return "<html><head>" + "".join(parts[:2]) + "</head><body>" + "".join(parts[2:])


@given(st.one_of(markup(), st.text(max_size=300)), st.one_of(st.none(), url_texts))
def test_any_markup_is_an_article_or_a_source_error(html, url):
    try:
        article = extract_article(html, url=url, limits=TIGHT)
    except SourceError:
        return
    assert_bounded(article, TIGHT)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
records = st.fixed_dictionaries(
    {},
    optional={
        "text": long_texts | json_values,
        "title": long_texts | json_values,
        "url": url_texts | json_values,
        "source": long_texts | json_values,
        "published": date_texts | json_values,
    },
)
jsonl_lines = st.one_of(
    records.map(lambda r: json.dumps(r).encode()),
    records.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ")),
)


@given(st.lists(jsonl_lines, max_size=8), st.booleans())
def test_any_jsonl_lines_give_bounded_articles_and_one_failure_per_bad_line(
    tmp_path_factory, lines, gzipped
):
    path = tmp_path_factory.mktemp("jsonl") / ("a.jsonl.gz" if gzipped else "a.jsonl")
    data = b"\n".join(lines)
    path.write_bytes(gzip.compress(data) if gzipped else data)
    try:
        items = list(read_file(path, TIGHT))
    except SourceError as error:
        assert "no articles" in str(error)
        return
    numbers = []
    for item in items:
        if isinstance(item, Article):
            assert_bounded(item, TIGHT)
        else:
            assert item.label.startswith(f"{path} line ")
            numbers.append(int(item.label.rsplit(" ", 1)[1]))
    assert numbers == sorted(set(numbers)) and len(items) <= len(lines)


@given(content=st.binary(max_size=300), limit=st.integers(min_value=0, max_value=400))
def test_a_local_file_is_read_only_up_to_its_bound(tmp_path_factory, content, limit):
    """The one bounded read both file ingest and the CLI's OPML import use."""
    path = tmp_path_factory.mktemp("prefix") / "file.bin"
    path.write_bytes(content)
    data, complete = read_prefix(path, limit)
    assert data == content[:limit]
    assert complete == (len(content) <= limit)


def test_an_unreadable_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="cannot be read"):
        read_prefix(tmp_path / "missing.txt", 10)
