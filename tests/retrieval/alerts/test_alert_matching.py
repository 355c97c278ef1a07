"""Alert matching with the real model on a small BBC archive.

Broad topics ("sport", "business and the economy") are matched through their profile, learnt
from the archive; the full measurement is benchmarks/alerts_quality.py. Here a few articles per
category pin the behaviour: fresh articles reach the chat of their own category, and a topic
has no profile while the archive is too small to learn from. A narrow topic whose feedback
drifts to a category ("ceasefire talks" -> politics) gets no profile, so politics news does not
flood it while the story it names still reaches it.
"""

from __future__ import annotations

import itertools
import shutil

import pytest

from config import load_settings
from index import Ingestor, NewsArchive
from index.sources import read_file
from index.state import DeliveryOutbox, SubscriptionStore
from newsbot_testing.bbc_news import ARCHIVED, CATEGORY_TOPICS, alert_settings, bbc_by_category
from retrieval.alerts import AlertMatcher, VotedTopics, parse_topic, raised_bar
from retrieval.text_terms import words

TOPICS = CATEGORY_TOPICS
FRESH = 3  # per category: the news that arrives after the chats subscribed


@pytest.fixture
def setup(tmp_path, embedder, shared_data, bbc_alert_archive):
    """A copy of the session's BBC archive (ARCHIVED per category, newsbot_testing/bbc_news.py),
    one chat subscribed to each category, and the fresh news still to come."""
    data_dir = shutil.copytree(bbc_alert_archive, tmp_path / "data")
    settings = alert_settings(data_dir)
    archive = NewsArchive(settings, embedder)
    articles = bbc_by_category(shared_data, ARCHIVED + FRESH)
    store, outbox = SubscriptionStore(archive.database), DeliveryOutbox(archive.database)
    chats = {}
    for chat_id, (key, text) in enumerate(TOPICS.items(), 1):
        topic = parse_topic(text)
        store.add(chat_id, None, topic.text, topic.query)
        chats[chat_id] = key
    matcher = AlertMatcher(archive, store, outbox, settings.alerts)
    return archive, matcher, articles, chats


def test_fresh_articles_reach_the_chat_of_their_category(setup):
    archive, matcher, articles, chats = setup
    assert all(p is not None for p in matcher.topic_profiles(list(TOPICS.values())))
    fresh = {a.id: k for k in TOPICS for a in articles[k][ARCHIVED:]}
    Ingestor(archive).ingest([a for k in TOPICS for a in articles[k][ARCHIVED:]])
    matcher.process_queue()
    sent = archive.database.connection().execute("SELECT chat_id, article_id FROM deliveries")
    got: dict[str, set[str]] = {k: set() for k in TOPICS}
    for chat_id, article_id in sent:
        got[chats[chat_id]].add(article_id)
    for key in TOPICS:
        mine = {i for i, k in fresh.items() if k == key}
        assert len(got[key] & mine) >= FRESH - 1, (key, got[key], mine)  # recall
        assert len(got[key] - mine) <= 1, (key, got[key] - mine)  # precision


def test_a_near_empty_archive_gives_no_profile(make_archive, embedder, shared_data):
    archive = make_archive()
    Ingestor(archive).ingest(bbc_by_category(shared_data, 3)["sport"])
    matcher = AlertMatcher(
        archive,
        SubscriptionStore(archive.database),
        DeliveryOutbox(archive.database),
        archive.settings.alerts,
    )
    assert matcher.topic_profiles(["sport"]) == [None]


def test_a_narrow_topic_without_a_profile_gets_only_its_story(setup, shared_data):
    """The fast part of the test below, on the shared 50-article archive: with no profile
    (the archive is under the test below's 200 articles), "ceasefire talks" is matched on
    its own words and gets the ceasefire story, not the categories' fresh news. The drift
    guard, which decides whether it gets a profile at all, needs the larger corpus below."""
    archive, matcher, articles, _ = setup
    matcher = AlertMatcher(
        archive,
        matcher.subscriptions,
        matcher.outbox,
        load_settings(env={}, overrides={"alerts.profile_min_articles": 200}).alerts,
    )
    topic = parse_topic("ceasefire talks")
    matcher.subscriptions.add(99, None, topic.text, topic.query)
    seed = list(read_file(shared_data / "seed" / "zelensky-putin-meeting.txt"))
    Ingestor(archive).ingest([*(a for k in TOPICS for a in articles[k][ARCHIVED:]), *seed])
    matcher.process_queue()
    got = {
        r[0]
        for r in archive.database.connection().execute(
            "SELECT article_id FROM deliveries WHERE chat_id = 99"
        )
    }
    assert seed[0].id in got
    assert len(got - {seed[0].id}) <= 1, got


NARROW_ARCHIVED = 60  # per category: drift only shows once a category outnumbers the feedback


# 300 articles embedded with the real model (about a minute): the drift it guards against
# needs a category that outnumbers the topic's feedback; the test above is the fast version.
@pytest.mark.slow
def test_a_narrow_topic_is_not_flooded_by_its_category(tmp_path, embedder, shared_data):
    # Feedback once turned "ceasefire talks" into "politics" (its closest BBC stories only
    # share "talks") and sent it every political story. In an archive this small the drift
    # guard may or may not leave it a profile (at 90/180-word passages it did not, at 120/200
    # it does); what must hold is that only the ceasefire news reaches the chat. The guards'
    # effect at scale is in benchmarks/README.md ("Topic alerts": 142 alerts -> 0).
    settings = load_settings(
        env={},
        overrides={"data_dir": str(tmp_path / "data"), "alerts.profile_min_articles": 200},
    )
    archive = NewsArchive(settings, embedder)
    articles = bbc_by_category(shared_data, NARROW_ARCHIVED + FRESH)
    Ingestor(archive).ingest([a for k in TOPICS for a in articles[k][:NARROW_ARCHIVED]])
    store, outbox = SubscriptionStore(archive.database), DeliveryOutbox(archive.database)
    for article_id, _ in outbox.queued_articles(1000):
        outbox.settle(article_id, [])
    topic = parse_topic("ceasefire talks")
    store.add(1, None, topic.text, topic.query)
    matcher = AlertMatcher(archive, store, outbox, settings.alerts)
    seed = list(read_file(shared_data / "seed" / "zelensky-putin-meeting.txt"))
    fresh = [a for k in TOPICS for a in articles[k][NARROW_ARCHIVED:]]
    Ingestor(archive).ingest([*fresh, *seed])
    matcher.process_queue()
    got = {r[0] for r in archive.database.connection().execute("SELECT article_id FROM deliveries")}
    assert seed[0].id in got
    assert len(got - {seed[0].id}) <= 1, got  # 3 fresh politics stories among the news


def _alerts_by_chat(archive) -> dict[int, set[str]]:
    got: dict[int, set[str]] = {}
    for chat_id, article_id in archive.database.connection().execute(
        "SELECT chat_id, article_id FROM deliveries"
    ):
        got.setdefault(chat_id, set()).add(article_id)
    return got


# One word, its paraphrase and a descriptive phrase of one category, each a chat of its own.
PHRASINGS = {
    "business": ["business", "economy", "business and the economy"],
    "sport": ["sport", "sports", "sports and athletes"],
}


def test_one_word_topics_and_paraphrases_get_the_same_alerts(setup):
    """The whole measurement is benchmarks/alerts_sections.py ("business" / "economy" /
    "money" on news sections); here each phrasing gets its category's fresh news and little
    else, so they largely agree."""
    archive, matcher, articles, _ = setup
    chats = {}
    for chat_id, (key, text) in enumerate(
        ((k, t) for k, texts in PHRASINGS.items() for t in texts), 100
    ):
        topic = parse_topic(text)
        matcher.subscriptions.add(chat_id, None, topic.text, topic.query)
        chats[chat_id] = (key, text)
    Ingestor(archive).ingest([a for k in TOPICS for a in articles[k][ARCHIVED:]])
    matcher.process_queue()
    got = _alerts_by_chat(archive)
    alerts = {text: got.get(chat_id, set()) for chat_id, (_, text) in chats.items()}
    for key, texts in PHRASINGS.items():
        mine = {a.id for a in articles[key][ARCHIVED:]}
        for text in texts:
            assert len(alerts[text] & mine) >= FRESH - 1, (text, alerts[text], mine)
            assert len(alerts[text] - mine) <= 1, (text, alerts[text] - mine)
        for a, b in itertools.combinations(texts, 2):
            union = alerts[a] | alerts[b]
            assert len(alerts[a] & alerts[b]) >= 0.5 * len(union), (a, b)


def test_a_name_topic_gets_only_stories_that_name_it(setup):
    """ "Michael Howard" is a name (typed so): politics stories that do not name him are near
    it but are not about him; stories naming him in the title or opening reach the chat."""
    archive, matcher, articles, _ = setup
    topic = parse_topic("Michael Howard")
    matcher.subscriptions.add(99, None, topic.text, topic.query)
    fresh = [a for k in TOPICS for a in articles[k][ARCHIVED:]]
    Ingestor(archive).ingest(fresh)
    matcher.process_queue()
    got = _alerts_by_chat(archive).get(99, set())
    naming = {a.id for a in fresh if {"michael", "howard"} <= set(words(f"{a.title} {a.text}"))}
    opening = {a.id for a in fresh if "Michael Howard" in f"{a.title}\n{a.text[:600]}"}
    assert matcher.name_topics([topic.query]) == [True]
    assert opening, "the fixture's news names him in an opening"
    assert opening <= got <= naming, (got, naming, opening)


def test_dislikes_raise_a_voted_topics_profile_bar_and_likes_do_not(setup):
    """Readers' 👎 raise their subscription's profile match bar a bounded step (the rule the
    benchmark measures: benchmarks/alerts_sections.py votes); the chat next door, same topic
    without votes, keeps the default bar, and 👍 alone move the profile without raising it."""
    archive, matcher, articles, _ = setup
    state = archive.open_state()
    matcher.subscriptions = state.subscriptions
    settings = matcher.settings
    matcher.adjust_topics = VotedTopics(archive, state.alert_votes, settings, matcher.profiles)
    topic = parse_topic("sport")
    disliked, _ = state.subscriptions.add(200, None, topic.text, topic.query)
    liked, _ = state.subscriptions.add(201, None, topic.text, topic.query)
    plain, _ = state.subscriptions.add(202, None, topic.text, topic.query)
    stored = [a.id for a in articles["sport"][:ARCHIVED]]
    for n, article_id in enumerate(stored[:6]):
        state.alert_votes.record(n, disliked.id, 7, article_id, -1, chat_id=disliked.chat_id)
        state.alert_votes.record(100 + n, liked.id, 7, article_id, 1, chat_id=liked.chat_id)
    keys, vectors = matcher.subscription_topics([disliked, liked, plain])
    profiles = matcher.profiles.profiles(keys, vectors)
    assert all(p is not None for p in profiles)
    model = matcher.model
    bar = model.profile_threshold + raised_bar(0, 6, model)
    assert raised_bar(0, 6, model) > 0
    assert profiles[0].floor >= bar - 1e-9
    assert profiles[1].floor < bar and profiles[2].floor < bar
    assert keys[2] == topic.query  # no votes: the topic as typed
    # Through the matcher: a fresh sport story the plain chat gets reaches the 👎 chat only
    # when it clears the raised bar.
    Ingestor(archive).ingest(articles["sport"][ARCHIVED:])
    for article in articles["sport"][ARCHIVED:]:
        evidence = matcher.evidence(article.id)
        score = profiles[0].score(evidence.vectors)
        own = matcher.own_match(topic.query, evidence, matcher.relevance(disliked, evidence)[1])
        got = matcher.score(disliked, evidence) is not None
        assert got == (own or score >= max(bar, profiles[0].floor)), article.title
    assert raised_bar(0, 10_000, model) < model.vote_dislike_raise  # bounded
