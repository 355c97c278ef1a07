"""Hypothesis strategies for hostile source text (links, dates, titles, feeds) and the check
every Article read from a source must pass, shared by the parser property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from xml.sax.saxutils import escape as xml_escape

from hypothesis import strategies as st

from config import SourceSettings
from index import FetchError
from index.text import Article, http_url, parse_published

# Small bounds, so generated input crosses every one of them.
TIGHT = SourceSettings(
    max_items_per_feed=4,
    max_article_chars=300,
    max_title_chars=40,
    max_source_chars=20,
    max_url_chars=80,
    min_article_words=3,
)

offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).flatmap(
    lambda moment: (
        st.sampled_from([moment, moment.replace(tzinfo=UTC)])
        | offsets.map(lambda zone: moment.replace(tzinfo=zone))
    )
)
date_texts = st.one_of(
    moments.map(datetime.isoformat),
    moments.map(lambda m: m.strftime("%a, %d %b %Y %H:%M:%S ") + (m.strftime("%z") or "GMT")),
    moments.map(lambda m: m.strftime("%Y/%m/%d")),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "Fri, 31 Dec 9999 23:59:59 -1200",
            "Mon, 01 Jan 0001 00:00:00 +2359",
            "2025-02-30",
            "Z",
            "",
        ]
    ),
    st.text(max_size=40),
)

_URL_PARTS = st.text(st.sampled_from(list("abc.:/[]@%?#=&-_~ 1\u00e9\u2100\x00\n")), max_size=20)
url_texts = st.one_of(
    st.builds(
        lambda scheme, rest: f"{scheme}{rest}",
        st.sampled_from(["http://", "https://", "HTTP://www.", "ftp://", "javascript:", "//", ""]),
        _URL_PARTS,
    ),
    st.sampled_from(["http://[::1", "http://[::1]:99999/", "https://x.org/" + "a" * 5_000]),
    st.text(max_size=40),
)

words = st.text(st.characters(codec="utf-8"), max_size=12)
long_texts = st.one_of(
    st.text(max_size=200),
    st.builds(lambda w, n: " ".join([w] * n), words, st.integers(0, 400)),
    st.builds(lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(0, 2_000)),
)


def xml_field(value: str, how: str) -> str:
    """A field's text as a hostile feed might carry it: escaped, raw, in CDATA, as entities."""
    if how == "raw":
        return value
    if how == "cdata":
        return f"<![CDATA[{value}]]>"
    if how == "entities":
        return "".join(f"&#{ord(c)};" for c in value[:50]) + "&bogus;&amp;&lt;b&gt;"
    return xml_escape(value)


field_styles = st.sampled_from(["escaped", "escaped", "raw", "cdata", "entities"])


@st.composite
def feed_items(draw) -> str:
    parts = []
    for tag, values in (
        ("title", long_texts),
        ("link", url_texts),
        ("pubDate", date_texts),
        ("description", long_texts),
    ):
        if draw(st.booleans()):
            parts.append(f"<{tag}>{xml_field(draw(values), draw(field_styles))}</{tag}>")
    return "<item>" + "".join(parts) + "</item>"


@st.composite
def feeds(draw) -> bytes:
    """RSS 2.0 or Atom with hostile items; sometimes cut short, as a broken server sends it."""
    items = draw(st.lists(feed_items(), max_size=7))
    title = xml_field(draw(long_texts), draw(field_styles))
    if draw(st.booleans()):
        body = f'<rss version="2.0"><channel><title>{title}</title>{"".join(items)}</channel></rss>'
    else:
        entries = "".join(
            item.replace("<item>", "<entry>")
            .replace("</item>", "</entry>")
            .replace("pubDate>", "updated>")
            .replace("description>", "summary>")
            for item in items
        )
        body = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>{entries}</feed>'
    document = '<?xml version="1.0" encoding="UTF-8"?>' + body
    cut = draw(st.sampled_from([None, None, None, len(document) // 2]))
    return document[:cut].encode("utf-8", "surrogatepass")


def assert_bounded(article: Article, limits: SourceSettings) -> None:
    """Everything a source may produce: text, every field within its bound, a usable URL and
    date, and an id."""
    assert article.text.strip() and len(article.text) <= limits.max_article_chars
    assert len(article.title) <= limits.max_title_chars
    assert len(article.source) <= limits.max_source_chars
    if article.url is not None:
        assert len(article.url) <= limits.max_url_chars and http_url(article.url) == article.url
    if article.published is not None:
        assert parse_published(article.published) is not None
    assert len(article.id) == 20


class RefusingFetcher:
    """A fetcher on a machine without a network: every request fails as the fetcher's do."""

    async def get(self, url: str, **_headers: str | None) -> None:
        raise FetchError(f"{url[:100]} could not be fetched (no network in this test)")


# An OPML file with nested entities ("billion laughs"): megabytes if expanded.
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<opml version="2.0"><body><outline text="&e;" xmlUrl="http://example.org/rss"/></body></opml>
"""
