"""Readers' votes teach a subscription: 👍/👎 on its alerts move its topic vector (Rocchio).

    moved = unit(a * topic + b' * mean(liked) - c' * mean(disliked))

with a = `vote_topic_weight`, and b' (c') = `vote_liked_weight` (`vote_disliked_weight`)
scaled by n / (n + `vote_prior`) for the n liked (disliked) articles, so a single stray tap
moves a topic little. The move is bounded: the moved vector keeps a cosine of at least
`vote_min_cosine` to the topic as typed (past it, it is turned back towards the topic along
the same plane), so no run of votes drags a subscription onto another subject. An article
is represented as profiles do it: the unit mean of its passage vectors. Only a subscription's
latest `alerts.vote_memory` votes count, so it follows what its readers want now, in bounded
work. The other weights are fitted values of AlertModel (retrieval/alerts/fitted.py).

`move_topic` is the rule, a plain function of vectors, and `profile_shift` the same rule on a
learnt profile (the alert benchmark simulates votes with both); `VotedTopics` applies it to
the subscriptions whose readers voted and is the hook AlertMatcher calls for each
subscription's topic, so both matching routes (the topic's cosine, its profile) use the moved
topic from the next round.

A broad topic matches mostly by its profile (retrieval/alerts/profiles.py), and a profile
learnt afresh from a moved topic vector settles back on the same stories: votes would teach it
nothing. So the votes move the profile too: the topic's own profile, its vector moved by the
same rule in the profile's space (`TopicProfiles.move`), its scale read again over the
archive's sample, and learnt again from the topic as typed at every refresh, so a broad topic
keeps its profile whatever its readers vote. And 👎 raise that profile's match bar a bounded
step (`raised_bar`): moving the vector re-ranks the stories, but where a small section's
profile cuts them is still the typed topic's bar (benchmarks/README.md "Topic alerts on news
sections", votes).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from config import AlertSettings
from index import NewsArchive
from index.state import AlertVotes, Subscription
from retrieval.alerts.fitted import AlertModel
from retrieval.alerts.profiles import (
    ProfileShift,
    TopicProfile,
    TopicProfiles,
    article_vector,
    unit,
)

# Separates a query from the vote version in a moved topic's key (a query has no controls).
_KEY_MARK = "\x1f"


def move_topic(
    topic: np.ndarray,
    liked: Sequence[np.ndarray] | np.ndarray,
    disliked: Sequence[np.ndarray] | np.ndarray,
    model: AlertModel,
) -> np.ndarray:
    """The topic vector moved towards the liked article vectors and away from the disliked
    ones (Rocchio, bounded as the module says); the topic itself (as a unit vector) when
    there are no votes."""
    topic = unit(np.asarray(topic, dtype=np.float32))
    moved = model.vote_topic_weight * topic
    for vectors, weight in (
        (liked, model.vote_liked_weight),
        (disliked, -model.vote_disliked_weight),
    ):
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, topic.shape[-1])
        count = len(vectors)
        if count and weight:
            share = count / (count + model.vote_prior)
            moved = moved + weight * share * unit(unit(vectors).mean(axis=0))
    return _within_reach(topic, unit(moved), model.vote_min_cosine)


def profile_shift(liked: np.ndarray, disliked: np.ndarray, model: AlertModel) -> ProfileShift:
    """How votes move a topic's learnt profile (`TopicProfiles.move`): `move_topic` applied
    to the profile's vector, in the profile's own (centred) space, with the liked and
    disliked article vectors centred as the profile centres every article. The alert
    benchmark measures votes with this very function."""

    def shift(profile: TopicProfile) -> np.ndarray:
        return move_topic(
            profile.vector,
            _centred(liked, profile.center),
            _centred(disliked, profile.center),
            model,
        )

    return shift


def raised_bar(liked: int, disliked: int, model: AlertModel) -> float:
    """How far `disliked` 👎 (of liked + disliked votes) raise a voted topic's profile match
    bar above the model's `profile_threshold`: `vote_dislike_raise` x disliked / (votes +
    `vote_prior`), so always less than `vote_dislike_raise` however many 👎. A topic its
    readers mostly dislike gets fewer, closer alerts: moving the profile alone leaves its bar
    where the typed topic had it, and a small section's profile then keeps most of the
    neighbouring stories (benchmarks/README.md "Topic alerts on news sections", votes)."""
    if not disliked:
        return 0.0
    return model.vote_dislike_raise * disliked / (liked + disliked + model.vote_prior)


def _centred(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    return unit(vectors - center) if len(vectors) else vectors


def _within_reach(topic: np.ndarray, moved: np.ndarray, min_cosine: float) -> np.ndarray:
    """`moved`, or the vector between it and `topic` whose cosine to `topic` is min_cosine."""
    cosine = float(moved @ topic)
    if cosine >= min_cosine:
        return moved.astype(np.float32)
    aside = moved - cosine * topic  # the part of the move away from the topic
    norm = float(np.linalg.norm(aside))
    if norm < 1e-6:  # straight back (or nothing left): no direction to lean in
        return topic.astype(np.float32)
    turned = min_cosine * topic + np.sqrt(1 - min_cosine**2) * (aside / norm)
    return turned.astype(np.float32)


class VotedTopics:
    """The topic key and vector of each subscription, moved by its readers' votes.

    Called by AlertMatcher with the subscriptions' queries and query vectors; returns them
    unchanged for subscriptions without votes, and for the others a key of their own (so the
    profile learnt from the moved vector is cached apart from the query's) and the moved
    vector. Moved vectors are cached by the votes' version, so an unchanged subscription
    gets the very same array (AlertMatcher keeps its compiled index while they do not
    change). Blocking (reads SQLite and the vector store)."""

    def __init__(
        self,
        archive: NewsArchive,
        votes: AlertVotes,
        settings: AlertSettings,
        profiles: TopicProfiles,
    ) -> None:
        """`profiles`: the matcher's own (AlertMatcher.profiles), so a moved topic's profile
        is learnt and cached where the matcher looks it up, and votes move topics by the
        matcher's model (`profiles.model`)."""
        self.archive = archive
        self.votes = votes
        self.settings = settings
        self.profiles = profiles
        self._moved: dict[int, tuple[tuple[int, int], np.ndarray, str, np.ndarray]] = {}
        self._lock = threading.Lock()

    def __call__(
        self,
        subscriptions: Sequence[Subscription],
        keys: list[str],
        vectors: list[np.ndarray],
    ) -> tuple[list[str], list[np.ndarray]]:
        versions = self.votes.versions()
        with self._lock:  # forget subscriptions whose votes are gone (unsubscribed)
            for gone in self._moved.keys() - versions.keys():
                self.profiles.forget(self._moved.pop(gone)[2])
        keys, vectors = list(keys), list(vectors)
        for i, subscription in enumerate(subscriptions):
            version = versions.get(subscription.id)
            if version is not None:
                keys[i], vectors[i] = self._topic(subscription, version, vectors[i])
        return keys, vectors

    def _topic(
        self, subscription: Subscription, version: tuple[int, int], base: np.ndarray
    ) -> tuple[str, np.ndarray]:
        query = subscription.query
        with self._lock:
            cached = self._moved.get(subscription.id)
        if cached is not None and cached[0] == version and cached[1] is base:
            return cached[2], cached[3]
        votes = self.votes.for_subscription(subscription.id)[-self.settings.vote_memory :]
        liked = self._article_vectors([v.article_id for v in votes if v.vote > 0])
        disliked = self._article_vectors([v.article_id for v in votes if v.vote < 0])
        moved = move_topic(base, liked, disliked, self.profiles.model)
        key = f"{query}{_KEY_MARK}{subscription.id}:{version[0]}:{version[1]}"
        shift = profile_shift(liked, disliked, self.profiles.model)
        likes = sum(1 for v in votes if v.vote > 0)
        bar = raised_bar(likes, len(votes) - likes, self.profiles.model)
        self.profiles.move(key, query, base, shift, bar)
        with self._lock:
            if cached is not None:
                self.profiles.forget(cached[2])
            self._moved[subscription.id] = (version, base, key, moved)
        return key, moved

    def _article_vectors(self, article_ids: list[str]) -> np.ndarray:
        """One vector per article still stored (unit mean of its passages)."""
        found = []
        store = self.archive.store
        with self.archive.write_lock:
            for article_id in article_ids:
                ids = [p.id for p in store.article_passages(article_id)]
                if ids:
                    found.append(article_vector(self.archive.vectors.vectors_for(ids)))
        return np.asarray(found, dtype=np.float32).reshape(-1, self.archive.embedder.dimension)
