"""Topics with the real model (how their text is read: retrieval/alerts/test_topic_rules.py):
the calibrated threshold, "ceasefire talks" matches the seed story and none of the BBC
articles (sport included); +word and -word narrow a match."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config import load_settings
from index import NewsArchive
from index.state import DeliveryOutbox, SubscriptionStore
from newsbot_testing.harness import ARCHIVE_BBC_IDS
from retrieval.alerts import AlertMatcher, parse_topic, preview_topic


@pytest.fixture
def matcher(indexed_dir, model) -> AlertMatcher:
    archive = NewsArchive(load_settings(env={}, overrides={"data_dir": str(indexed_dir)}), model)
    return AlertMatcher(
        archive,
        SubscriptionStore(archive.database),
        DeliveryOutbox(archive.database),
        archive.settings.alerts,
    )


def subscription(matcher: AlertMatcher, text: str):
    topic = parse_topic(text)
    return matcher.subscriptions.add(
        1, None, topic.text, topic.query, topic.required, topic.excluded
    )[0]


def test_ceasefire_talks_matches_the_seed_story_and_no_bbc_article(matcher, seed, bbc):
    topic = subscription(matcher, "ceasefire talks")
    hit = matcher.score(topic, matcher.evidence(seed.id))
    assert hit is not None and hit[1] >= matcher.model.threshold
    passage = matcher.archive.store.passages([hit[0]])[hit[0]]
    assert passage.article_id == seed.id
    for bbc_id in ARCHIVE_BBC_IDS:  # sport, politics, business, tech
        assert matcher.score(topic, matcher.evidence(bbc[bbc_id].id)) is None, bbc_id


def test_plus_and_minus_words_narrow_a_match(matcher, seed):
    evidence = matcher.evidence(seed.id)
    assert matcher.score(subscription(matcher, "ceasefire talks +ukraine"), evidence)
    assert matcher.score(subscription(matcher, "ceasefire talks +football"), evidence) is None
    assert matcher.score(subscription(matcher, "ceasefire talks -putin"), evidence) is None


def test_phrases_and_alternatives_narrow_a_match(matcher, seed):
    """`+"vladimir putin"` was the required word "vladimir" (and "putin" a word of meaning);
    `a OR b` three words of meaning."""
    evidence = matcher.evidence(seed.id)
    assert matcher.score(subscription(matcher, 'ceasefire talks +"vladimir putin"'), evidence)
    assert (
        matcher.score(subscription(matcher, 'ceasefire talks +"putin vladimir"'), evidence) is None
    )
    assert (
        matcher.score(subscription(matcher, 'ceasefire talks -"full ceasefire"'), evidence) is None
    )
    assert matcher.score(subscription(matcher, 'ceasefire talks -"partial ceasefire"'), evidence)
    assert matcher.score(subscription(matcher, "ceasefire talks +football OR +ukraine"), evidence)
    either = subscription(matcher, "ceasefire talks +football OR +tennis")
    assert matcher.score(either, evidence) is None


def test_maternity_pay_matches_the_bbc_politics_story(matcher, bbc):
    """The story tests/bot/test_reader_terms.py pauses this topic against."""
    evidence = matcher.evidence(bbc["bbc-politics-001"].id)
    assert matcher.score(subscription(matcher, "maternity pay"), evidence)


def test_an_outlet_alone_matches_every_story_from_it_and_with_words_both_must_hold(
    matcher, seed, bbc
):
    """`source:bbc.co.uk` was four words of meaning; an outlet could not be followed."""
    seed_evidence = matcher.evidence(seed.id)  # news.example.com, "Example News"
    bbc_evidence = [matcher.evidence(bbc[i].id) for i in ARCHIVE_BBC_IDS]  # www.bbc.co.uk
    every_bbc = subscription(matcher, "source:bbc.co.uk")
    assert all(matcher.score(every_bbc, e) for e in bbc_evidence)  # sport, politics, business…
    assert matcher.score(every_bbc, seed_evidence) is None
    for typed in ("example.com", '"Example News"', "https://news.example.com/feed.xml"):
        assert matcher.score(subscription(matcher, f"source:{typed}"), seed_evidence), typed
    assert matcher.score(subscription(matcher, "source:sport.example.com"), seed_evidence) is None
    # With words, the story must be from the outlet and match them.
    assert matcher.score(subscription(matcher, "source:example.com ceasefire talks"), seed_evidence)
    on_bbc = subscription(matcher, "source:bbc.co.uk ceasefire talks")
    assert matcher.score(on_bbc, seed_evidence) is None
    assert not any(matcher.score(on_bbc, e) for e in bbc_evidence)


def test_the_compiled_screening_follows_outlets_as_the_per_pair_rules_do(matcher, seed, bbc):
    texts = [
        "source:bbc.co.uk",
        "source:example.com",
        "source:reuters.com",
        "source:example.com ceasefire talks",
        "source:bbc.co.uk ceasefire talks",
        "source:example.com -putin",
    ]
    subs = [subscription(matcher, t) for t in texts]
    for article in (seed, *(bbc[i] for i in ARCHIVE_BBC_IDS)):
        # Stored before the subscriptions, queued after them: every one is eligible.
        evidence = replace(matcher.evidence(article.id), queued_at="9999")
        compiled = {d.subscription_id for d in matcher.match(evidence, subs)}
        assert compiled == {s.id for s in subs if matcher.score(s, evidence)}, article.id
        expected = {"source:example.com", "source:example.com ceasefire talks"}
        if article is not seed:
            expected = {"source:bbc.co.uk"}
        assert {s.topic for s in subs if s.id in compiled} == expected, article.id


def test_an_outlet_previews_its_newest_stories_and_is_no_flood(matcher, bbc):
    """A preview called following the BBC "a lot" and asked to narrow it."""
    settings = matcher.settings
    preview = preview_topic(matcher, parse_topic("source:bbc.co.uk"), settings)
    assert (preview.screened, preview.matched, preview.from_source) == (5, 4, 4)
    assert not preview.flood and not preview.suggestions and not preview.unknown_source
    assert preview.newest_first
    newest = [bbc[i].title for i in reversed(ARCHIVE_BBC_IDS)][: settings.preview_headlines]
    assert [s.title for s in preview.best] == newest
    elsewhere = preview_topic(matcher, parse_topic("source:reuters.com ukraine"), settings)
    assert elsewhere.unknown_source and elsewhere.source == "reuters.com"
