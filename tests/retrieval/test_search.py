"""The hybrid searcher's choices: which words the lexical search uses, and the date ages count from."""

from __future__ import annotations

from datetime import UTC, datetime

from config import RetrievalSettings
from index import Ingestor
from index.text import Article
from newsbot_testing.postgres import both_backends
from retrieval import Answerer, HybridSearcher

pytestmark = both_backends

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
    scope = searcher.lexical_scope(archive.vectors.count)
    assert searcher.distinctive(["port", "crane"], scope) == ["crane"]
    # When every word is common, the rarest is still searched.
    assert searcher.distinctive(["port"], scope) == ["port"]
    everything = HybridSearcher(archive.store, RetrievalSettings(lexical_max_df=1.0))
    assert everything.distinctive(["port", "crane"], scope) == ["port", "crane"]


def test_the_lexical_search_covers_the_newest_passages_of_its_window(make_archive):
    archive = archive_of_stories(make_archive, **{"retrieval.lexical_window": 2})
    searcher = HybridSearcher(archive.store, archive.settings.retrieval)
    scope = searcher.lexical_scope(archive.vectors.count)
    assert scope.passages == 2
    newest = archive.store.lexical_search(["port"], 10, after_id=scope.after_id)
    everywhere = archive.store.lexical_search(["port"], 10)
    assert len(newest) == 2 and len(everywhere) == 3
    assert archive.store.document_frequencies(["port"], scope.after_id) == {"port": 2}
    # The dense search still reaches the oldest story.
    answer = Answerer(archive, archive.settings.retrieval).answer(
        "What happened to the harbour crane?", as_of=datetime(2024, 5, 7, tzinfo=UTC)
    )
    assert answer.quotes and "crane collapsed" in answer.quotes[0].text


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
