"""Where articles come from: local files, web pages, RSS/Atom feeds and OPML lists, fetched
under a deadline, with bounded decoding and a guard against private addresses."""

from index.sources.fetching import FetchedResource, Fetcher
from index.sources.files import read_file, read_folder, read_prefix
from index.sources.opml import ListedFeed, feeds_opml, is_opml, opml_feeds, parse_opml
from index.sources.web import (
    FeedDocument,
    SourceFailure,
    extract_article,
    feed_articles,
    fetch_article,
    fetch_feed,
    parse_feed,
    read_feeds,
    read_url,
)

__all__ = [
    "FeedDocument",
    "FetchedResource",
    "Fetcher",
    "ListedFeed",
    "SourceFailure",
    "extract_article",
    "feed_articles",
    "feeds_opml",
    "fetch_article",
    "fetch_feed",
    "is_opml",
    "opml_feeds",
    "parse_feed",
    "parse_opml",
    "read_feeds",
    "read_file",
    "read_folder",
    "read_prefix",
    "read_url",
]
