"""Characters no backend can store, from a feed served on 127.0.0.1, on both backends: a NUL
in a title and a text (PostgreSQL's text refuses it: the ingest was aborted and the feed failed
on every poll), a lone surrogate's character reference (feedparser raised on it, so the whole
feed was "not a valid feed"), and an out-of-range reference. They are stripped where text is
cleaned, the same on both backends, and every article of the feed is stored. An article that
reaches the store with such text anyway (built by code, not read from a source) is skipped
and recorded; the rest of its batch is stored."""

from __future__ import annotations

import pytest

from index import Ingestor
from index.sources import SourceFailure, read_url
from index.sources.fetching import Fetcher
from index.text import Article
from newsbot_testing.postgres import both_backends
from newsbot_testing.static_site import StaticSite

TOPICS = (
    "The river authority said the new bridge across the valley would open to traffic next "
    "month after years of construction and repeated delays caused by floods.",
    "Farmers in the northern province reported the best wheat harvest in a decade, helped by "
    "a mild spring and steady rain through the early summer weeks.",
    "The city council approved a budget that doubles spending on buses and trams while "
    "cutting the cost of monthly passes for students and pensioners.",
    "Astronomers announced the discovery of a comet that will pass close enough to be seen "
    "with the naked eye from the southern hemisphere in late autumn.",
    "The national orchestra opened its season with a programme of new works by young "
    "composers, played to a full hall and broadcast live on radio.",
)


def full_text(marker: str, n: int) -> str:
    """A feed item's own text, long enough to be stored without fetching its page."""
    return f"Story {n} {marker} begins here. " + (TOPICS[n] + " ") * 8


def feed_with(items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>http://127.0.0.1/story-{n}</link>"
        f"<pubDate>Tue, 04 Mar 2025 10:00:00 GMT</pubDate><description>{text}</description></item>"
        for n, (title, text) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Valley&#0; News</title><link>http://example.org/</link>{entries}</channel></rss>"
    )


@pytest.fixture
async def site():
    server = await StaticSite().start()
    yield server
    await server.stop()


@both_backends
async def test_a_feed_with_characters_no_backend_stores_is_ingested_whole(
    site, make_settings, make_archive
):
    feed = site.add(
        "/feed.xml",
        feed_with(
            [
                ("Bridge&#0; opens", full_text("with a NUL &#0; reference", 0)),
                ("Bridge\x00 delayed", full_text("with a raw NUL \x00 inside", 1)),
                ("Surrogate &#xD800; title", full_text("with a lone &#xDC00; surrogate", 2)),
                ("Out of range", full_text("with &#x110000; and &#99999999; references", 3)),
                ("Plain story", full_text("with nothing odd", 4)),
            ]
        ),
        "application/rss+xml",
    )
    settings = make_settings(**{"fetch.allow_private_networks": ["127.0.0.1/32"]})
    async with Fetcher(settings.fetch) as fetcher:
        items = [item async for item in read_url(fetcher, feed, 4, settings.sources)]
    assert not [i for i in items if isinstance(i, SourceFailure)], items
    archive = make_archive()
    report = Ingestor(archive).ingest(items)
    assert (len(report.added), report.failed) == (5, 0), report.failures
    stored = [archive.store.article(article_id) for article_id in report.added]
    assert [a["title"] for a in stored] == [
        "Bridge opens",
        "Bridge delayed",
        "Surrogate title",
        "Out of range",
        "Plain story",
    ]
    for article in stored:
        for field in ("title", "text", "source"):
            assert "\x00" not in article[field]
            assert not any("\ud800" <= c <= "\udfff" for c in article[field])
    assert stored[0]["source"] == "Valley News"
    assert "with a NUL reference begins here" in stored[0]["text"]
    assert archive.vectors.count == archive.store.passage_summary()[0] > 0


@both_backends
def test_an_article_the_store_refuses_costs_only_itself(make_archive, storage_url):
    """An Article built by code skips the cleaning a source gives it: PostgreSQL refuses its
    NUL (SQLite stores it); the others of the batch are stored either way."""
    archive = make_archive()
    articles = [
        Article(f"Story {n}", f"Story {n} {marker} ends. " + TOPICS[n] * 3, f"https://e.org/{n}")
        for n, marker in enumerate(["plain", "a NUL \x00 here", "plain too"])
    ]
    report = Ingestor(archive).ingest(articles)
    stored = [archive.store.article(i)["url"] for i in report.added]
    refused = ["https://e.org/1"] if storage_url else []
    assert [f.label for f in report.failures] == refused
    assert stored == [f"https://e.org/{n}" for n in range(3) if f"https://e.org/{n}" not in refused]
    assert archive.vectors.count == archive.store.passage_summary()[0]
