"""Votes on alerts: the Rocchio rule that moves a topic (bounded, a plain function of vectors)
and the store that keeps one vote per reader and alert, removed with its subscription."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.state import AlertVotes, Subscriptions
from newsbot_testing.postgres import both_backends
from retrieval.alerts import (
    DEFAULT_ALERT_MODEL,
    TopicProfile,
    move_topic,
    profile_shift,
    raised_bar,
)

MODEL = DEFAULT_ALERT_MODEL
DIMENSION = 16


def unit_vectors(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_without_votes_the_topic_stays_where_it_is():
    topic = unit_vectors(1, 0)[0]
    assert np.allclose(move_topic(topic, [], [], MODEL), topic, atol=1e-6)


def test_likes_move_the_topic_towards_the_liked_stories_and_dislikes_away():
    topic, liked, disliked = unit_vectors(1, 1)[0], unit_vectors(3, 2), unit_vectors(3, 3)
    towards = move_topic(topic, liked, [], MODEL)
    away = move_topic(topic, [], disliked, MODEL)
    assert (liked @ towards).mean() > (liked @ topic).mean()
    assert (disliked @ away).mean() < (disliked @ topic).mean()


def test_more_votes_move_further():
    topic, disliked = unit_vectors(1, 4)[0], unit_vectors(1, 5)
    cosines = [
        float(move_topic(topic, [], np.repeat(disliked, n, axis=0), MODEL) @ topic)
        for n in (1, 5, 10)
    ]
    assert cosines[0] > cosines[1] > cosines[2]


@given(
    st.integers(0, 10**6),
    st.integers(0, 20),
    st.integers(0, 20),
    st.floats(0, 1),
    st.floats(0, 50),
    st.floats(0, 50),
)
def test_a_moved_topic_is_a_unit_vector_within_reach_of_the_topic(
    seed, liked, disliked, min_cosine, liked_weight, disliked_weight
):
    settings = replace(
        MODEL,
        vote_min_cosine=min_cosine,
        vote_liked_weight=liked_weight,
        vote_disliked_weight=disliked_weight,
    )
    vectors = unit_vectors(1 + liked + disliked, seed)
    topic = vectors[0]
    moved = move_topic(topic, vectors[1 : 1 + liked], vectors[1 + liked :], settings)
    assert moved.shape == topic.shape
    assert np.isclose(np.linalg.norm(moved), 1.0, atol=1e-4)
    assert float(moved @ topic) >= min_cosine - 1e-4


def test_straight_opposition_cannot_flip_the_topic():
    topic = unit_vectors(1, 6)[0]
    moved = move_topic(topic, [], np.repeat(-topic[None], 50, axis=0), MODEL)
    assert float(moved @ topic) >= MODEL.vote_min_cosine - 1e-4


@pytest.fixture
def stores(state_database) -> tuple[Subscriptions, AlertVotes]:
    state = state_database().open_state()
    return state.subscriptions, state.alert_votes


@both_backends
def test_a_second_vote_on_an_alert_by_the_same_reader_replaces_the_first(stores):
    subscriptions, votes = stores
    subscription, _ = subscriptions.add(1, None, "doping", "doping")
    assert votes.record(10, subscription.id, 7, "a", 1, chat_id=1) is False
    first = votes.versions()[subscription.id]
    assert votes.record(10, subscription.id, 7, "a", -1, chat_id=1) is True
    assert votes.record(10, subscription.id, 8, "a", 1, chat_id=1) is False  # another reader
    assert [(v.user_id, v.vote) for v in votes.for_subscription(subscription.id)] == [
        (7, -1),
        (8, 1),
    ]
    assert votes.versions()[subscription.id] != first


@both_backends
def test_votes_go_with_their_subscription_and_none_is_kept_for_a_removed_one(stores):
    subscriptions, votes = stores
    subscription, _ = subscriptions.add(1, None, "doping", "doping")
    votes.record(10, subscription.id, 7, "a", 1, chat_id=1)
    subscriptions.remove(1, [subscription.id])
    assert votes.versions() == {}
    with pytest.raises(ValueError):
        votes.record(11, subscription.id, 7, "b", -1, chat_id=1)
    with pytest.raises(ValueError):
        votes.record(11, 999, 7, "b", 2, chat_id=1)


def test_a_profile_moved_by_votes_scores_the_liked_story_higher_and_the_disliked_lower():
    # The rule the bot applies to a learnt profile (and the benchmark measures): move_topic
    # in the profile's centred space, so its scale reads the stories as matching does.
    vectors = unit_vectors(5, 7)
    center = vectors[4] * 0.3
    profile_vector = vectors[0] - center
    profile = TopicProfile(profile_vector / np.linalg.norm(profile_vector), center, 0.0, 1.0)
    liked, disliked = vectors[1:2], vectors[2:3]
    moved = profile_shift(liked, disliked, MODEL)(profile)
    after = replace(profile, vector=moved)
    assert after.score(liked) > profile.score(liked)
    assert after.score(disliked) < profile.score(disliked)
    unmoved = profile_shift(np.empty((0, DIMENSION)), np.empty((0, DIMENSION)), MODEL)(profile)
    assert np.allclose(unmoved, profile.vector, atol=1e-6)


@given(st.integers(0, 60), st.integers(0, 60))
def test_dislikes_raise_the_bar_more_the_more_of_the_votes_they_are_and_never_past_the_step(
    liked, disliked
):
    raised = raised_bar(liked, disliked, MODEL)
    assert 0.0 <= raised < MODEL.vote_dislike_raise
    assert (raised > 0) == (disliked > 0)
    assert raised_bar(liked, disliked + 1, MODEL) > raised
    if disliked:
        assert raised_bar(liked + 1, disliked, MODEL) < raised
