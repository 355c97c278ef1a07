"""Every method of the storage Protocols (PassageStore, VectorStore, VectorHome) and the write
lock, run on both backends: SQLite + FAISS and PostgreSQL + pgvector behave alike. Fast:
small vectors, no model except where an archive is opened (a hash stand-in)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from config import Settings, load_settings
from index import ForeignIndexError, Ingestor, NewsArchive, StoreError
from index.embedding.sentence_vectors import SentenceVectors
from index.storage import (
    ArchiveBusyError,
    PassageStore,
    VectorHome,
    VectorStore,
)
from index.text import Article
from index.text.passages import PassageSpan
from newsbot_testing.made_up import WIRE, HashEmbedder, articles
from newsbot_testing.postgres import both_backends
from newsbot_testing.stores import DIM, open_stores

pytestmark = both_backends


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings(**{"vectors.approximate_after": 300})


@pytest.fixture
def store(settings) -> PassageStore:
    return open_stores(settings)[0]


@pytest.fixture
def home(settings) -> VectorHome:
    return open_stores(settings)[1]


def whole(article: Article, *cuts: int) -> list[PassageSpan]:
    """Spans of the article's text cut at these offsets."""
    edges = [0, *cuts, len(article.text)]
    return [PassageSpan(a, b) for a, b in zip(edges, edges[1:], strict=False)]


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def sentences_of(count: int, seed: int) -> SentenceVectors:
    rng = np.random.default_rng(seed)
    spans = tuple((i * 10, i * 10 + 9) for i in range(count))
    return SentenceVectors(spans, unit(rng.standard_normal((count, DIM))))


# -- PassageStore ------------------------------------------------------------------------------


def test_the_classes_provide_their_protocols(store, home) -> None:
    assert isinstance(store, PassageStore)
    assert isinstance(home, VectorHome)
    assert isinstance(home.open(), VectorStore)


def test_an_article_and_its_passages_are_stored_once(store) -> None:
    article = Article(
        "Bridge to open", "First part here. Second part there.", "https://a.ex/1", "A", "2024-05-01"
    )
    stored = store.add_article(article, whole(article, 17), feed_url="https://a.ex/feed")
    assert stored.added and stored.duplicate_of is None and len(stored.passage_ids) == 2
    assert store.has_article(article.id) and not store.has_article("nope")
    again = store.add_article(article, whole(article, 17))
    assert (again.added, again.passage_ids) == (False, ())

    first, second = stored.passage_ids
    assert first < second == store.max_passage_id()
    records = store.passages([second, first, 10**9])
    assert set(records) == {first, second}
    assert records[first].text == "First part here. " and records[second].ordinal == 1
    assert (records[second].start, records[second].end) == (17, len(article.text))
    assert (records[first].title, records[first].source) == ("Bridge to open", "A")
    assert (records[first].url, records[first].published) == ("https://a.ex/1", "2024-05-01")
    assert [r.id for r in store.article_passages(article.id)] == [first, second]
    assert store.article_passages("nope") == []
    assert sorted(store.passage_ids_of_articles([article.id, "nope"])) == [first, second]
    assert store.passages([]) == {}

    row = store.article(article.id)
    assert row is not None and store.article("nope") is None
    assert (row["id"], row["title"], row["feed_url"]) == (
        article.id,
        "Bridge to open",
        "https://a.ex/feed",
    )
    assert row["duplicate_of"] is None and row["ingested_at"]
    assert store.passage_ids() == [first, second]
    assert store.passage_summary() == (2, second)
    assert store.counts() == {"articles": 1, "duplicates": 0, "passages": 2}


def test_a_near_copy_is_recorded_without_passages(store) -> None:
    original = Article("Bridge to open", WIRE, "https://a.ex/bridge", "A")
    copy = Article("Bridge opens soon", WIRE + " ", "https://b.ex/1", "B")
    short = Article("Short", "Too short to fingerprint.", "https://c.ex/1")
    short_copy = Article("Short", "Too short to fingerprint!", "https://c.ex/2")
    kept = store.add_article(original, whole(original))
    recorded = store.add_article(copy, whole(copy))
    assert recorded.added and recorded.duplicate_of == kept.id and recorded.passage_ids == ()
    store.add_article(short, whole(short))
    assert store.add_article(short_copy, whole(short_copy)).duplicate_of is None
    assert store.counts() == {"articles": 3, "duplicates": 1, "passages": 3}
    assert store.article(copy.id)["duplicate_of"] == original.id


def test_stories_of_a_time_range_newest_first_with_their_copies(store) -> None:
    """What /latest and /today read: originals in [since, before), newest first, each with
    its near-copies' outlets; undated articles and the copies themselves are not listed."""
    original = Article("Bridge to open", WIRE, "https://a.ex/bridge", "A", "2024-05-02")
    copy = Article("Bridge opens soon", WIRE + " ", "https://b.ex/1", "B", "2024-05-02")
    later = Article("Later", "A story of the next day.", "https://a.ex/later", "A", "2024-05-03")
    hour = Article("Timed", "A story with an hour.", "https://a.ex/t", "C", "2024-05-02T10:00:00")
    undated = Article("Undated", "A story without a date.", "https://a.ex/u", "A")
    first = store.add_article(original, whole(original)).passage_ids[0]
    for article in (copy, later, hour, undated):
        store.add_article(article, whole(article))
    listed = store.stories("2024-05-02", "2024-05-03", 10)
    assert [s.title for s in listed] == ["Timed", "Bridge to open"]
    bridge = listed[1]
    assert (bridge.article_id, bridge.source, bridge.url) == (original.id, "A", original.url)
    assert bridge.first_passage == first and bridge.copies == ("B",)
    assert [s.title for s in store.stories("", "9999", 2)] == ["Later", "Timed"]
    assert store.copies_of([original.id, later.id, "unknown"]) == {original.id: ["B"]}
    assert store.copies_of([]) == {}


def test_deleting_an_article_takes_its_passages_and_sentences(store) -> None:
    article = Article("Gone", "One sentence. Another one.", "https://a.ex/gone")
    kept = Article("Kept", "Stays here.", "https://a.ex/kept")
    ids = store.add_article(
        article, whole(article, 14), sentences=[sentences_of(1, 1)] * 2
    ).passage_ids
    kept_ids = store.add_article(kept, whole(kept), sentences=[sentences_of(1, 2)]).passage_ids
    assert store.delete_article(article.id) == list(ids)
    assert not store.has_article(article.id) and store.passages(ids) == {}
    assert store.sentence_vectors([*ids, *kept_ids]).keys() == set(kept_ids)
    assert store.counts()["passages"] == 1 and store.passage_summary() == (1, kept_ids[0])
    assert store.delete_article("nope") == []


def test_sentence_vectors_are_kept_and_replaced(store) -> None:
    article = Article("Sentences", "One. Two. Three.", "https://a.ex/s")
    given = [sentences_of(2, 3), sentences_of(3, 4)]
    first, second = store.add_article(article, whole(article, 5), sentences=given).passage_ids
    read = store.sentence_vectors([first, second, first, 10**9])
    assert read.keys() == {first, second}
    assert read[second].spans == given[1].spans
    # stored as int8 rows: every cosine within ~0.002 of what was given
    assert np.allclose(
        read[first].vectors @ given[0].vectors.T, given[0].vectors @ given[0].vectors.T, atol=0.01
    )
    store.put_sentence_vectors([(first, sentences_of(4, 5))])
    assert len(store.sentence_vectors([first])[first].spans) == 4
    assert store.sentence_vectors([]) == {}


def test_iteration_newest_and_titles(store) -> None:
    stories = [
        Article(
            f"Story {n}", f"Text of story number {n}.", f"https://a.ex/{n}", "A", f"2024-05-0{n}"
        )
        for n in range(1, 6)
    ]
    ids = [store.add_article(a, whole(a)).passage_ids[0] for a in stories]
    batches = list(store.iter_passages_for_embedding(0, batch=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [row[0] for b in batches for row in b] == ids
    assert batches[0][0] == (ids[0], "Story 1", "Text of story number 1.")
    assert [r[0] for b in store.iter_passages_for_embedding(ids[2]) for r in b] == ids[3:]
    recent = store.recent_article_passage_ids(2)
    assert list(recent) == [stories[4].id, stories[3].id] and recent[stories[4].id] == [ids[4]]
    assert store.newest_published("2024-05-04") == "2024-05-03"
    assert store.newest_published("2000-01-01") is None
    assert store.recent_titles(2) == ["Story 5", "Story 4"]


def test_lexical_search_is_bm25_over_title_and_text(store) -> None:
    docs = [
        Article(
            "Harbour crane collapse", "The crane fell on Monday, the port said.", "https://p.ex/1"
        ),
        Article(
            "Port strike ends", "Dock workers ended their strike at the port.", "https://p.ex/2"
        ),
        Article(
            "Ferry timetable",
            "An extra ferry sails to the island; talks on cranes go on.",
            "https://p.ex/3",
        ),
        Article("Café reopens", "The harbour café reopened after the storm.", "https://p.ex/4"),
    ]
    ids = [store.add_article(a, whole(a)).passage_ids[0] for a in docs]
    hits = store.lexical_search(["crane"], 10)
    # stemmed (cranes), ranked best first, higher = better
    assert [i for i, _ in hits] == [ids[0], ids[2]] and hits[0][1] > hits[1][1] > 0
    # the title counts as its weight says
    assert [i for i, _ in store.lexical_search(["harbour"], 10, title_weight=10.0)][0] == ids[0]
    assert [i for i, _ in store.lexical_search(["harbour"], 10, title_weight=0.0)][0] == ids[3]
    assert [i for i, _ in store.lexical_search(["crane"], 10, after_id=ids[0])] == [ids[2]]
    assert [i for i, _ in store.lexical_search(["cafe"], 10)] == [ids[3]]  # accents folded
    assert len(store.lexical_search(["port", "ferry", "port"], 2)) == 2
    assert store.lexical_search(['"', " "], 10) == [] and store.lexical_search([], 10) == []
    assert store.lexical_search(['"dock"'], 10)[0][0] == ids[1]
    assert store.lexical_search(["unheardof"], 10) == []
    # counted in the text alone, stemmed, among passages after after_id
    assert store.document_frequencies(["port", "crane", "ferry", "none"]) == {
        "port": 2,
        "crane": 2,
        "ferry": 1,
        "none": 0,
    }
    assert store.document_frequencies(["collapse"]) == {"collapse": 0}  # a title word only
    assert store.document_frequencies(["port"], after_id=ids[0]) == {"port": 1}


def test_a_search_as_of_a_moment_leaves_later_articles_out(store) -> None:
    days = ["2024-05-30", "2024-05-31T23:59:59+00:00", "2024-06-01T00:00:00+00:00", None]
    docs = [
        Article(f"Crane report {n}", f"The crane report number {n}.", f"https://c.ex/{n}", "", d)
        for n, d in enumerate(days)
    ]
    ids = [store.add_article(a, whole(a)).passage_ids[0] for a in docs]
    cutoff = "2024-05-31T23:59:59+00:00"
    assert store.passage_ids_published_after(cutoff) == [ids[2]]
    assert store.passage_ids_published_after("2024-05-29") == ids[:3]
    # Filtered before the limit: the one left out does not use up a place.
    found = store.lexical_search(["crane"], 3, published_by=cutoff)
    assert sorted(i for i, _ in found) == [ids[0], ids[1], ids[3]]
    assert len(store.lexical_search(["crane"], 4)) == 4


# -- VectorStore and VectorHome ---------------------------------------------------------------


def test_vectors_are_added_searched_and_removed(home) -> None:
    vectors = home.open()
    assert (vectors.count, vectors.kind, vectors.summary()) == (0, "flat", (0, 0))
    assert vectors.search(np.zeros(DIM, dtype=np.float32), 3) == [[]]
    data = unit(np.random.default_rng(0).standard_normal((50, DIM)))
    vectors.add(np.arange(100, 150), data)
    # Left out inside the search: the next nearest take their places.
    nearest = [i for i, _ in vectors.search(data[7], 6)[0]]
    assert [i for i, _ in vectors.search(data[7], 4, excluded=nearest[:2])[0]] == nearest[2:]
    assert vectors.count == 50 and vectors.ids().tolist() == list(range(100, 150))
    assert vectors.summary() == (50, 149)
    best = vectors.search(data[:3], 4)
    assert [row[0][0] for row in best] == [100, 101, 102]
    assert best[0][0][1] == pytest.approx(1.0, abs=1e-5)
    assert all(len(row) == 4 and row[0][1] >= row[-1][1] for row in best)
    exact = np.argsort(-(data @ data[7]))[:5] + 100
    assert [i for i, _ in vectors.search(data[7], 5)[0]] == exact.tolist()
    np.testing.assert_allclose(vectors.vectors_for([104, 999])[0], data[4], atol=1e-6)
    assert not vectors.vectors_for([104, 999])[1].any()

    assert vectors.remove(np.array([100, 101, 10**9])) == 2
    assert vectors.remove(np.array([100])) == 0
    assert vectors.count == 48 and 100 not in vectors.ids()
    assert all(i not in (100, 101) for row in vectors.search(data[:2], 5) for i, _ in row)
    vectors.add(np.array([100]), data[9:10])  # an id back with a new vector has only that
    np.testing.assert_allclose(vectors.vectors_for([100])[0], data[9], atol=1e-6)
    with pytest.raises(StoreError):
        vectors.add(np.arange(2), np.zeros((2, DIM + 1), dtype=np.float32))


def test_past_the_threshold_search_is_approximate_and_still_finds_neighbours(home) -> None:
    vectors = home.open()
    rng = np.random.default_rng(1)
    topics = unit(rng.standard_normal((20, DIM)))
    data = unit(topics[rng.integers(0, 20, 400)] + 0.3 * rng.standard_normal((400, DIM)))
    vectors.add(np.arange(400), data)
    assert vectors.kind == "hnsw" and vectors.count == 400
    truth = np.argsort(-(data[:50] @ data.T), axis=1)[:, :10]
    found = vectors.search(data[:50], 10)
    recall = np.mean(
        [len({i for i, _ in f} & set(t.tolist())) / 10 for f, t in zip(found, truth, strict=True)]
    )
    assert recall >= 0.9, recall
    # scores are the stored vectors' exact cosines, whatever the index keeps
    assert found[0][0] == (0, pytest.approx(1.0, abs=1e-5))
    # Most of the graph left out (a question as of an early day): still k of the others.
    excluded = set(range(0, 400)) - set(range(0, 400, 8))
    kept = vectors.search(data[:5], 10, excluded=excluded)
    assert all(len(row) == 10 and all(i % 8 == 0 for i, _ in row) for row in kept)


def test_a_published_index_is_what_another_process_opens(settings, home) -> None:
    vectors = home.open()
    vectors.add(np.arange(3), unit(np.eye(3, DIM)))
    vectors = home.publish(vectors)
    _, other = open_stores(settings)
    assert other.open().ids().tolist() == [0, 1, 2]
    rebuilt = home.fresh()
    assert rebuilt.count == 0
    rebuilt.add(np.array([5]), unit(np.eye(1, DIM)))
    assert home.open().count == 3  # not before it is published
    live = home.publish(rebuilt)
    assert live.ids().tolist() == [5] and other.open().ids().tolist() == [5]
    assert home.size_bytes() > 0 and not home.stale()


def test_vectors_of_another_model_are_refused_or_set_aside(settings, home) -> None:
    vectors = home.open()
    vectors.add(np.array([1]), unit(np.eye(1, DIM)))
    home.publish(vectors)
    _, foreign = open_stores(settings, model="other/model")
    with pytest.raises(ForeignIndexError, match="newsbot reindex"):
        foreign.open()
    rebuilding = foreign.open(rebuilding=True)
    assert rebuilding.count == 0
    assert home.open().count == 1  # the old model's processes keep theirs until the swap
    rebuilding = foreign.fresh()
    rebuilding.add(np.array([2]), unit(np.eye(1, DIM)))
    foreign.publish(rebuilding)
    with pytest.raises(ForeignIndexError):
        home.open()
    assert foreign.open().ids().tolist() == [2]


# -- the archive on each backend ----------------------------------------------------------------


def test_two_archives_share_one_store_and_its_vectors(make_settings) -> None:
    first = NewsArchive(make_settings(), embedder=HashEmbedder())
    second = NewsArchive(make_settings(), embedder=HashEmbedder())  # as another process would
    Ingestor(first, batch_articles=4).ingest(articles("first", 10))
    Ingestor(second, batch_articles=4).ingest(articles("second", 10))
    Ingestor(first, batch_articles=4).ingest(articles("third", 3))
    assert first.reconcile() == 0
    assert first.vectors.count == first.store.passage_summary()[0] == 23
    assert sorted(first.vectors.ids().tolist()) == first.store.passage_ids()


def test_reconcile_embeds_what_is_missing_and_drops_what_is_gone(make_settings) -> None:
    archive = NewsArchive(make_settings(), embedder=HashEmbedder())
    Ingestor(archive).ingest(articles("kept", 4))
    ids = archive.store.passage_ids()
    archive.vectors.remove(np.array(ids[:2]))  # a writer killed between the two writes
    archive.vectors.add(np.array([10**6]), HashEmbedder().encode(["stray"]))
    assert archive.reconcile() == 3
    assert sorted(archive.vectors.ids().tolist()) == ids
    assert archive.reconcile() == 0


def test_reindex_swaps_in_a_new_index_that_every_archive_reads(make_settings) -> None:
    archive = NewsArchive(make_settings(), embedder=HashEmbedder())
    Ingestor(archive).ingest(articles("story", 6))
    before = archive.vectors
    archive.reindex()
    assert archive.vectors is not before
    assert sorted(archive.vectors.ids().tolist()) == archive.store.passage_ids()
    reopened = NewsArchive(make_settings(), embedder=HashEmbedder())
    assert reopened.vectors.count == 6 and reopened.stats()["vectors"] == 6


def test_the_write_lock_is_exclusive_and_names_its_holder(make_settings) -> None:
    holder = NewsArchive(make_settings(), embedder=HashEmbedder())
    waiting = NewsArchive(
        make_settings(**{"storage.lock_timeout_seconds": 0.2}), embedder=HashEmbedder()
    )
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.write_lock, holder.write_lock:  # re-entrant
            taken.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert taken.wait(10)
        with pytest.raises(ArchiveBusyError, match="being written by"):
            Ingestor(waiting).ingest(articles("blocked", 1))
    finally:
        release.set()
        thread.join(10)
    assert len(Ingestor(waiting).ingest(articles("later", 1)).added) == 1


def test_settings_choose_the_backend(make_settings, storage_url) -> None:
    settings = make_settings()
    assert settings.storage.url == storage_url
    archive = NewsArchive(settings, embedder=HashEmbedder())
    Ingestor(archive).ingest(articles("one", 1))
    assert archive.vectors_path.exists() == (not storage_url)
    where = archive.stats()["storage"]
    assert (
        where == "SQLite + FAISS" if not storage_url else where.startswith("PostgreSQL 127.0.0.1:")
    )


def test_a_bad_url_or_a_down_server_is_one_readable_line(make_settings, storage_url) -> None:
    with pytest.raises(Exception, match="must be empty or a postgresql:// URL"):
        load_settings(env={"NEWSBOT_STORAGE_URL": "mysql://x"})
    if storage_url:
        down = "postgresql://nobody:secret@127.0.0.1:1/none"
        with pytest.raises(
            StoreError, match=r"cannot connect to PostgreSQL at 127\.0\.0\.1:1/none"
        ) as caught:
            NewsArchive(make_settings(**{"storage.url": down}), embedder=HashEmbedder())
        assert "secret" not in str(caught.value)


def test_a_phrase_counts_only_where_its_words_stand_together(store) -> None:
    both = Article("Harbour news", "Crowds in New York cheered the bridge.", "https://p.ex/1")
    one = Article("Bridge news", "A new bridge opened in York.", "https://p.ex/2")
    ids = [store.add_article(a, whole(a)).passage_ids[0] for a in (both, one)]
    assert [i for i, _ in store.lexical_search(["new york"], 10)] == [ids[0]]
    hits = dict(store.lexical_search(["new york", "bridge"], 10))
    assert hits.keys() == set(ids) and hits[ids[0]] > hits[ids[1]]


def test_two_writers_at_once_lose_no_passage_and_no_vector(make_settings) -> None:
    """Two archives (as two processes would open them) ingesting at the same time, and the
    same article offered to both: each article stored once, every passage with its vector."""
    writers = [NewsArchive(make_settings(), embedder=HashEmbedder()) for _ in range(2)]
    shared = articles("shared", 3)
    errors: list[BaseException] = []

    def ingest(archive: NewsArchive, prefix: str) -> None:
        try:
            Ingestor(archive, batch_articles=2).ingest([*articles(prefix, 8), *shared])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [
        threading.Thread(target=ingest, args=(archive, f"writer{n}"))
        for n, archive in enumerate(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    reader = NewsArchive(make_settings(), embedder=HashEmbedder())
    assert reader.reconcile() == 0  # nothing was left to embed again
    assert reader.store.counts() == {"articles": 19, "duplicates": 0, "passages": 19}
    assert sorted(reader.vectors.ids().tolist()) == reader.store.passage_ids()
