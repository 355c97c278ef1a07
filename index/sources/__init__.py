"""Where articles come from: local files, web pages, RSS/Atom feeds and OPML lists, fetched
under a deadline, with bounded decoding and a guard against private addresses."""

from index._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.sources.files": ["read_file", "read_folder"],
        "index.sources.fetching": ["FetchedResource", "Fetcher"],
        "index.sources.opml": ["ListedFeed", "feeds_opml", "is_opml", "opml_feeds", "parse_opml"],
        "index.sources.web": [
            "FeedDocument",
            "SourceFailure",
            "extract_article",
            "feed_articles",
            "fetch_article",
            "fetch_feed",
            "parse_feed",
            "read_feeds",
            "read_url",
        ],
    },
)
