"""Feeds, article pages and OPML lists served from 127.0.0.1, through the real fetcher."""

from __future__ import annotations

import pytest

from config import SourceSettings
from index import FetchError, Ingestor, SourceError
from index.sources import (
    FetchedResource,
    Fetcher,
    SourceFailure,
    fetch_article,
    fetch_feed,
    parse_feed,
    read_feeds,
    read_url,
)
from newsbot_testing.static_site import SEED_PARAGRAPHS, StaticSite, article_page, rss_feed


@pytest.fixture
async def site():
    server = await StaticSite().start()
    yield server
    await server.stop()


@pytest.fixture
def fetch_settings(make_settings):
    return make_settings(**{"fetch.allow_private_networks": ["127.0.0.1/32"]}).fetch


async def collect(fetcher, url):
    return [item async for item in read_url(fetcher, url)]


async def test_feed_with_summaries_fetches_each_page(site, fetch_settings, make_archive):
    first = site.add("/news/zelensky", article_page("Zelensky offers talks", SEED_PARAGRAPHS))
    second = site.add(
        "/news/budget",
        article_page("Budget passes", ["The parliament passed the budget on Tuesday night. " * 5]),
    )
    feed = site.add(
        "/feed.xml",
        rss_feed(
            "Test Times",
            [
                {"title": "Zelensky offers talks", "link": first, "summary": "Short teaser."},
                {"title": "Budget passes", "link": second, "date": "Wed, 05 Mar 2025 08:30:00 GMT"},
            ],
        ),
        "application/rss+xml",
    )
    async with Fetcher(fetch_settings) as fetcher:
        items = await collect(fetcher, feed)
    assert [i.title for i in items] == ["Zelensky offers talks", "Budget passes"]
    assert items[0].url == first and items[0].source == "Test Times"
    assert items[0].published == "2025-03-04T10:00:00+00:00"
    assert items[1].published == "2025-03-05T08:30:00+00:00"
    assert "concrete condition: a full ceasefire" in items[0].text
    assert "Home | World" not in items[0].text  # boilerplate dropped by trafilatura

    archive = make_archive()
    report = Ingestor(archive).ingest(items)
    assert len(report.added) == 2
    stored = archive.store.article(report.added[0])
    assert (stored["title"], stored["url"], stored["published"]) == (
        "Zelensky offers talks",
        first,
        "2025-03-04T10:00:00+00:00",
    )


async def test_single_article_url(site, fetch_settings):
    url = site.add("/a", article_page("Zelensky offers talks", SEED_PARAGRAPHS))
    async with Fetcher(fetch_settings) as fetcher:
        article = await fetch_article(fetcher, url)
    assert article.title == "Zelensky offers talks"
    assert article.source == "Test Times"
    assert article.published and article.published.startswith("2025-03-04")


async def test_opml_lists_feeds(site, fetch_settings):
    page = site.add("/a", article_page("Zelensky offers talks", SEED_PARAGRAPHS))
    feed = site.add("/f.xml", rss_feed("T", [{"title": "Z", "link": page}]), "application/rss+xml")
    opml = site.add(
        "/list.opml",
        f'<?xml version="1.0"?><opml version="2.0"><body><outline text="T" xmlUrl="{feed}"/>'
        "</body></opml>",
        "text/x-opml",
    )
    async with Fetcher(fetch_settings) as fetcher:
        items = await collect(fetcher, opml)
    assert [i.title for i in items] == ["Z"]


async def test_conditional_get_reports_not_modified(site, fetch_settings):
    feed = site.add("/f.xml", "", "application/rss+xml", status=304)
    async with Fetcher(fetch_settings) as fetcher:
        document = await fetch_feed(fetcher, feed, etag='"abc"')
    assert document.not_modified and document.items == ()


async def test_bad_sources_fail_with_one_readable_line(site, fetch_settings):
    pdf = site.add("/doc.pdf", b"%PDF-1.4", "application/pdf")
    broken = site.add("/broken.xml", "<rss><channel><item><title>x</oops>", "application/rss+xml")
    missing = site.base_url + "/nothing-here"
    async with Fetcher(fetch_settings) as fetcher:
        with pytest.raises(SourceError, match="not an HTML page"):
            await fetch_article(fetcher, pdf)
        with pytest.raises(SourceError, match="not a valid RSS or Atom feed"):
            await collect(fetcher, broken)
        with pytest.raises(FetchError, match="HTTP 404"):
            await collect(fetcher, missing)
        with pytest.raises(FetchError, match="could not be fetched|did not answer"):
            await collect(fetcher, "http://127.0.0.1:9/closed-port")


async def test_feed_item_whose_page_fails_is_reported_not_fatal(site, fetch_settings):
    good = site.add("/good", article_page("Good", SEED_PARAGRAPHS))
    feed = site.add(
        "/f.xml",
        rss_feed(
            "T",
            [{"title": "Gone", "link": site.base_url + "/gone"}, {"title": "Good", "link": good}],
        ),
        "application/rss+xml",
    )
    async with Fetcher(fetch_settings) as fetcher:
        items = await collect(fetcher, feed)
    assert isinstance(items[0], SourceFailure) and "404" in items[0].reason
    assert items[1].title == "Good"


async def test_private_addresses_are_refused_unless_allowed(site, make_settings):
    url = site.add("/a", article_page("Z", SEED_PARAGRAPHS))
    async with Fetcher(make_settings().fetch) as fetcher:
        with pytest.raises(FetchError, match="internal address 127.0.0.1"):
            await fetch_article(fetcher, url)
        with pytest.raises(FetchError, match="internal address"):
            await fetcher.get("http://169.254.169.254/latest/meta-data")
        with pytest.raises(FetchError, match="not an http"):
            await fetcher.get("file:///etc/passwd")


async def test_redirects_are_checked_and_limited(site, make_settings):
    loop = site.add("/loop", "", status=302, headers={"Location": "/loop"})
    to_metadata = site.add("/jump", "", status=302, headers={"Location": "http://169.254.169.254/"})
    settings = make_settings(**{"fetch.allow_private_networks": ["127.0.0.1/32"]}).fetch
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FetchError, match="redirected more than"):
            await fetcher.get(loop)
        with pytest.raises(FetchError, match="internal address 169.254.169.254"):
            await fetcher.get(to_metadata)


async def test_size_limit(site, make_settings):
    big = site.add("/big", "x" * 50_000)
    settings = make_settings(
        **{"fetch.allow_private_networks": ["127.0.0.1/32"], "fetch.max_bytes": 10_000}
    ).fetch
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FetchError, match="larger than 10,000 bytes"):
            await fetcher.get(big)


async def test_the_page_headline_is_not_repeated_in_the_text(site, fetch_settings):
    url = site.add("/h", article_page("Zelensky offers talks", SEED_PARAGRAPHS))
    async with Fetcher(fetch_settings) as fetcher:
        article = await fetch_article(fetcher, url)
    assert not article.text.startswith("Zelensky offers talks")
    assert article.text.startswith("Ukrainian President")


async def test_a_dead_feed_in_a_list_is_one_failure_and_the_others_are_read(site, fetch_settings):
    """A local OPML stopped at its first dead feed and stored nothing."""
    page = site.add("/a", article_page("Zelensky offers talks", SEED_PARAGRAPHS))
    good = site.add("/f.xml", rss_feed("T", [{"title": "Z", "link": page}]), "application/rss+xml")
    dead = site.base_url + "/dead.xml"
    async with Fetcher(fetch_settings) as fetcher:
        items = [item async for item in read_feeds(fetcher, [dead, good])]
    assert isinstance(items[0], SourceFailure) and items[0].label == dead
    assert "404" in items[0].reason
    assert [i.title for i in items[1:]] == ["Z"]


def test_feed_with_more_items_than_its_bound_keeps_the_newest():
    items = [
        {"title": f"Story {day}", "link": f"https://x.org/{day}", "date": f"{day:02d} Mar 2025"}
        for day in (3, 9, 1, 7, 5)
    ]
    resource = FetchedResource(
        url="https://x.org/rss",
        status=200,
        content_type="application/rss+xml",
        body=rss_feed("T", items).encode(),
    )
    document = parse_feed(resource, SourceSettings(max_items_per_feed=3))
    assert [i.title for i in document.items] == ["Story 9", "Story 7", "Story 5"]


async def test_poisoned_items_are_failures_and_the_rest_of_the_feed_is_read(site, fetch_settings):
    """<link>http://[::1</link> and a year-1 date raised outside the project's errors."""
    page = site.add("/a", article_page("Zelensky offers talks", SEED_PARAGRAPHS))
    feed = site.add(
        "/f.xml",
        rss_feed(
            "T",
            [
                {"title": "Bad link", "link": "http://[::1", "summary": "A teaser."},
                {"title": "Year one", "link": page, "date": "0001-01-01T00:00:00+05:00"},
            ],
        ),
        "application/rss+xml",
    )
    async with Fetcher(fetch_settings) as fetcher:
        bad, good = await collect(fetcher, feed)
    assert isinstance(bad, SourceFailure) and "not an http(s) URL" in bad.reason
    assert good.title == "Year one" and good.published == "2025-03-04"  # the page's date
