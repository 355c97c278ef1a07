"""The hybrid searcher's choices: which words the lexical search uses, and the date ages count from."""

from __future__ import annotations

from datetime import UTC, datetime

from config import RetrievalSettings
from index.articles import Article
from index.ingest import Ingestor
from retrieval.search import HybridSearcher

STORIES = [
    (
        "Harbour crane collapse",
        "The harbour crane collapsed on Monday, the port authority said.",
        "2024-05-01",
    ),
    (
        "Port strike ends",
        "Dock workers at the port ended their strike after a pay deal.",
        "2024-05-03",
    ),
    ("Ferry timetable", "The port will run an extra ferry to the island from June.", "2024-05-06"),
]


def archive_of_stories(make_archive, **overrides):
    archive = make_archive(**overrides)
    Ingestor(archive).ingest(
        [
            Article(t, text, f"https://port.example/{i}", "Port News", day)
            for i, (t, text, day) in enumerate(STORIES)
        ]
    )
    return archive


def test_words_in_most_passages_are_left_out_of_the_lexical_search(make_archive):
    archive = archive_of_stories(make_archive, **{"retrieval.lexical_max_df": 0.5})
    searcher = HybridSearcher(archive.store, archive.settings.retrieval)
    assert searcher.distinctive(["port", "crane"], archive.vectors.count) == ["crane"]
    # When every word is common, the rarest is still searched.
    assert searcher.distinctive(["port"], archive.vectors.count) == ["port"]
    everything = HybridSearcher(archive.store, RetrievalSettings(lexical_max_df=1.0))
    assert everything.distinctive(["port", "crane"], archive.vectors.count) == ["port", "crane"]


def test_ages_count_from_the_newest_story_held_by_the_question_date(make_archive):
    archive = archive_of_stories(make_archive)
    searcher = HybridSearcher(archive.store, archive.settings.retrieval)
    # Long after the last story: the newest story is "now" for the archive.
    assert searcher.news_now(datetime(2026, 1, 1, tzinfo=UTC)) == datetime(2024, 5, 6, tzinfo=UTC)
    # On a day between stories, the later ones are not yet news.
    assert searcher.news_now(datetime(2024, 5, 4, 12, tzinfo=UTC)) == datetime(
        2024, 5, 3, tzinfo=UTC
    )
    # A question asked before the first story counts from its own date.
    early = datetime(2024, 1, 1, tzinfo=UTC)
    assert searcher.news_now(early) == early
