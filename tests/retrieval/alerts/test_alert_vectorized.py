"""Alert matching over compiled subscriptions (retrieval/alerts/compiled.py) delivers exactly what
the per-pair rules of AlertMatcher deliver: same subscriptions, same passage, same score.

The reference below applies the rules one (article, subscription) pair at a time, as
`AlertMatcher.match` did before matching was vectorized (benchmarks/README.md "Performance",
alert matching). Topics cover the ways a rule can go: plain and broad
(matched by profile), +required and -excluded words, words the articles name (the lexical
relief), names (the story must name them; in its title or opening they match outright),
outlets followed alone or with words, and chats that subscribed after some articles were
stored.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import pytest

from index import Ingestor, NewsArchive
from index.state import DeliveryOutbox, Subscription, SubscriptionStore
from newsbot_testing.bbc_news import ARCHIVED, alert_settings, bbc_by_category
from retrieval.alerts import (
    DEFAULT_ALERT_MODEL,
    AlertMatcher,
    ArticleEvidence,
    names_topic,
    parse_topic,
    topic_threshold,
)
from retrieval.alerts import compiled as alert_index
from retrieval.alerts import matching as alerts
from retrieval.alerts.topics import source_only

EARLY_TOPICS = [
    "sport",
    "technology",
    "business and the economy",
    "politics and government",
    "film, music and entertainment",
    "chelsea",
    "tax",
    "football -chelsea",
    "football +chelsea",
    "mobile phones",
    "oil prices",
    "election +labour",
    "music +band -oscar",
    "games",
    "court case",
    "broadband",
    "economy +growth",
    "film +oscar",
    "rugby -england",
    "ceasefire talks",
    "tennis",
    "internet +security",
    "+blair",
    "bank interest rates",
    # Names: the story must name them (retrieval/alerts/topics.py).
    "Tony Blair",
    "BBC",
    "iPod",
    "Chelsea -football",
    # Phrases and alternatives (retrieval/alerts/phrases.py).
    'election +"general election"',
    'football -"premier league"',
    "chelsea OR arsenal",
    'economy +"interest rates" OR +growth',
    '+"prime minister" -"tony blair"',
    # Outlets (retrieval/alerts/sources.py): alone every story from it, with words both.
    "source:bbc.co.uk",
    "source:reuters.com",
    "source:BBC.co.uk tax",
    'source:"bbc news" election +labour',
    "source:example.com football",
]
# Subscribed (by other chats) between the two batches of fresh news: only the second reaches them.
LATE_TOPICS = ["sport", "technology", "tax", "football -chelsea", "film +oscar", "economy +growth"]

Found = set[tuple[int, int, float]]  # (subscription id, passage id, score)


def reference(matcher: AlertMatcher, evidence: ArticleEvidence, subs: list[Subscription]) -> Found:
    """The alert rules applied pair by pair (retrieval/alerts/matching.py, module docstring);
    the threshold rule itself is the one the matcher uses (retrieval/alerts/topics.py)."""
    found = set()
    for subscription in subs:
        if subscription.created_at > evidence.queued_at:
            continue
        hit = matcher.relevance(subscription, evidence)
        if hit is None:
            continue
        passage_id, cosine, profile_score = hit
        query = subscription.query
        if source_only(query, subscription.required):  # an outlet without words: all of it
            found.add((subscription.id, passage_id, cosine))
            continue
        if matcher.name_topics([query])[0] and names_topic(evidence.lead_stems, query):
            found.add((subscription.id, passage_id, cosine))  # a name in the title or opening
            continue
        needed = topic_threshold(names_topic(evidence.stems, query), matcher.model)
        if cosine >= needed or matcher.profile_match(query, profile_score):
            found.add((subscription.id, passage_id, cosine))
    return found


def subscribe(store: SubscriptionStore, texts: list[str], first_chat: int) -> None:
    for chat_id, text in enumerate(texts, first_chat):
        topic = parse_topic(text)
        store.add(chat_id, None, topic.text, topic.query, topic.required, topic.excluded)


@pytest.fixture(scope="module")
def built_news(tmp_path_factory, embedder, shared_data, bbc_alert_archive) -> tuple[Path, set[str]]:
    """An archive to learn profiles from (the session's, newsbot_testing/bbc_news.py), then two
    batches of fresh news, queued, with the late topics subscribed in between. Built once; each
    test gets a copy."""
    data_dir = shutil.copytree(bbc_alert_archive, tmp_path_factory.mktemp("alert-news") / "data")
    archive = NewsArchive(news_settings(data_dir), embedder=embedder)
    articles = bbc_by_category(shared_data, ARCHIVED + 4)
    ingest = Ingestor(archive).ingest
    store, outbox = SubscriptionStore(archive.database), DeliveryOutbox(archive.database)
    subscribe(store, EARLY_TOPICS, 1)
    ingest([a for group in articles.values() for a in group[10:12]])
    first = {article_id for article_id, _ in outbox.queued_articles(1000)}
    time.sleep(0.01)  # stored times are in milliseconds; a tie counts as subscribed before
    subscribe(store, LATE_TOPICS, 100)
    ingest([a for group in articles.values() for a in group[12:14]])
    archive.save_vectors()
    return data_dir, first


def news_settings(data_dir: Path):
    return alert_settings(data_dir)


@pytest.fixture
def news(built_news, tmp_path, embedder):
    source, first = built_news
    data_dir = tmp_path / "data"
    shutil.copytree(source, data_dir)
    archive = NewsArchive(news_settings(data_dir), embedder=embedder)
    return archive, SubscriptionStore(archive.database), DeliveryOutbox(archive.database), first


@pytest.mark.parametrize("margin", [alert_index.MARGIN, 0.0, 10.0])
def test_vectorized_matching_is_the_per_pair_rules(news, margin, monkeypatch):
    # margin 0: every decision from the matrices; 10: every candidate settled pair by pair.
    monkeypatch.setattr(alert_index, "MARGIN", margin)
    archive, store, outbox, first = news
    subs = store.active()
    late = {s.id for s in subs if s.chat_id >= 100}
    queued = outbox.queued_articles(1000)
    base = DEFAULT_ALERT_MODEL
    # The product's thresholds, and low ones that make many more (and closer) decisions.
    for model in (base, dataclasses.replace(base, threshold=0.25, profile_threshold=0.2)):
        matcher = AlertMatcher(archive, store, outbox, archive.settings.alerts, model=model)
        assert all(p is not None for p in matcher.topic_profiles(["sport", "technology"]))
        total = 0
        for article_id, queued_at in queued:
            evidence = matcher.evidence(article_id, queued_at)
            assert evidence is not None
            expected = reference(matcher, evidence, subs)
            got = {
                (d.subscription_id, d.passage_id, d.score) for d in matcher.match(evidence, subs)
            }
            assert got == expected, article_id
            if article_id in first:
                assert not {s for s, _, _ in got} & late  # subscribed after it was stored
            total += len(got)
        assert total >= 20  # the comparison is not vacuous


def test_process_queue_enqueues_the_per_pair_matches(news):
    archive, store, outbox, _ = news
    subs = store.active()
    matcher = AlertMatcher(archive, store, outbox, archive.settings.alerts)
    expected = set()
    for article_id, queued_at in outbox.queued_articles(1000):
        evidence = matcher.evidence(article_id, queued_at)
        expected |= {(article_id, *hit) for hit in reference(matcher, evidence, subs)}
    assert len(expected) >= 10
    assert matcher.process_queue(batch=7) == len(expected)  # several batches, one index
    rows = archive.database.connection().execute(
        "SELECT article_id, subscription_id, passage_id, score FROM deliveries"
    )
    assert set(map(tuple, rows)) == expected


def test_the_index_is_rebuilt_only_when_the_subscriptions_change(news):
    archive, store, outbox, _ = news
    matcher = AlertMatcher(archive, store, outbox, archive.settings.alerts)
    index = matcher.subscription_index(store.active())
    assert matcher.subscription_index(store.active()) is index
    subscribe(store, ["cricket"], 500)
    rebuilt = matcher.subscription_index(store.active())
    assert rebuilt is not index and len(rebuilt.subscriptions) == len(index.subscriptions) + 1


def test_more_topics_than_the_vector_cache_holds(news, monkeypatch):
    # Regression: overflowing the topic vector cache cleared it, losing the vectors of the
    # other topics asked for in the same call (KeyError in process_queue).
    monkeypatch.setattr(alerts, "_TOPIC_CACHE_SIZE", 3)
    archive, store, outbox, _ = news
    matcher = AlertMatcher(archive, store, outbox, archive.settings.alerts)
    matcher.topic_vectors(["sport", "tax", "chelsea"])
    vectors = matcher.topic_vectors(["sport", "tax", "cricket"])
    assert len(vectors) == 3
