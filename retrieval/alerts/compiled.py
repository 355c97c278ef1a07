"""Subscriptions compiled into arrays, so that a batch of new articles is screened against
every subscription with a few matrix products instead of a Python loop per (article,
subscription) pair, which took tens of seconds for a busy bot's topics (benchmarks/README.md
"Performance", alert matching; benchmarks/alerts_speed.py).

The rules are AlertMatcher.score's (retrieval/alerts/matching.py); this module evaluates the same
rules for all subscriptions at once. A matrix product sums in another order than the
per-topic products of `AlertMatcher.score` and so may differ from them by ~1e-7: a decision
that close to its threshold is reported as unsure, and AlertMatcher settles it pair by pair,
so the deliveries are exactly those of the per-pair rules.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from index.state import Subscription
from retrieval.alerts.fitted import AlertModel
from retrieval.alerts.phrases import rule_keys
from retrieval.alerts.profiles import TopicProfile, article_vector, unit
from retrieval.alerts.topics import source_only, topic_thresholds
from retrieval.text_terms import content_terms, stem

# Far above the rounding of a float32 dot product of unit vectors (~1e-7), far below any
# difference between two thresholds that matters.
MARGIN = 1e-5
# Cosines held at once (passages x subscriptions, float32): 32 MB whatever the batch.
_MAX_CELLS = 1 << 23


@dataclass(frozen=True)
class ArticleEvidence:
    """What matching needs to know of one article."""

    article_id: str
    queued_at: str
    stems: frozenset[str]
    passage_ids: tuple[int, ...]
    vectors: np.ndarray  # one row per passage
    lead_stems: frozenset[str] = frozenset()  # of the title and the first passage


@dataclass(frozen=True)
class Screening:
    """Positions (in the index's subscriptions) an article matches for sure, and those whose
    decision is within MARGIN of a threshold."""

    matched: np.ndarray
    unsure: np.ndarray


_NOTHING = Screening(np.zeros(0, np.intp), np.zeros(0, np.intp))


class _WordSets:
    """One set of word stems per subscription, flattened to (stem, owner) pairs: testing
    every subscription against an article is then one bincount over the pairs."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        groups: Iterable[Iterable[str]],
        key: Callable[[str], str] = stem,
    ) -> None:
        stems: list[int] = []
        owners: list[int] = []
        sizes: list[int] = []
        for owner, group in enumerate(groups):
            # As has_word(): a word is present when its stem is among the article's stems,
            # so two words of one stem ("talk", "talks") are one test.
            distinct = {vocabulary.setdefault(key(w), len(vocabulary)) for w in group}
            stems.extend(distinct)
            owners.extend([owner] * len(distinct))
            sizes.append(len(distinct))
        self.stems = np.asarray(stems, dtype=np.intp)
        self.owners = np.asarray(owners, dtype=np.intp)
        self.sizes = np.asarray(sizes, dtype=np.intp)

    def all_present(self, present: np.ndarray) -> np.ndarray:
        absent = self.owners[~present[self.stems]]
        return np.bincount(absent, minlength=len(self.sizes)) == 0


class _Rules:
    """The +rules (or -rules) of each subscription (retrieval/alerts/phrases.py): a rule is met
    when all the keys of one of its alternatives are present, so per article that is one
    _WordSets test over the alternatives and two bincounts up to rules and subscriptions."""

    def __init__(self, vocabulary: dict[str, int], groups: Sequence[Sequence[str]]) -> None:
        self.count = len(groups)
        keys: list[tuple[str, ...]] = []
        rule_of: list[int] = []  # per alternative, its rule
        owner_of: list[int] = []  # per rule, its subscription
        for owner, rules in enumerate(groups):
            for rule in rules:
                for alternative in rule_keys(rule):
                    keys.append(alternative)
                    rule_of.append(len(owner_of))
                owner_of.append(owner)
        self.alternatives = _WordSets(vocabulary, keys, key=str)
        self.rule_of = np.asarray(rule_of, dtype=np.intp)
        self.owner_of = np.asarray(owner_of, dtype=np.intp)

    def _met(self, present: np.ndarray) -> np.ndarray:
        found = self.rule_of[self.alternatives.all_present(present)]
        return np.bincount(found, minlength=len(self.owner_of)) > 0

    def all_met(self, present: np.ndarray) -> np.ndarray:
        unmet = self.owner_of[~self._met(present)]
        return np.bincount(unmet, minlength=self.count) == 0

    def any_met(self, present: np.ndarray) -> np.ndarray:
        return np.bincount(self.owner_of[self._met(present)], minlength=self.count) > 0


class _ProfileTable:
    """The profiles of the subscriptions that have one, as arrays."""

    def __init__(self, profiles: Sequence[TopicProfile | None]) -> None:
        rows = [i for i, p in enumerate(profiles) if p is not None]
        chosen = [p for p in profiles if p is not None]
        self.rows = np.asarray(rows, dtype=np.intp)
        self.baseline = np.array([p.baseline for p in chosen], dtype=np.float64)
        self.spread = np.array([p.top - p.baseline for p in chosen], dtype=np.float64)
        self.floor = np.array([p.floor for p in chosen], dtype=np.float64)
        # Profiles learnt from one sample share its center (one array): grouped by it, an
        # article is centred once per sample, not once per profile.
        members: dict[int, list[int]] = {}
        centers: dict[int, np.ndarray] = {}
        for j, profile in enumerate(chosen):
            members.setdefault(id(profile.center), []).append(j)
            centers[id(profile.center)] = profile.center
        self.groups = [
            (centers[key], np.asarray(js, dtype=np.intp), np.stack([chosen[j].vector for j in js]))
            for key, js in members.items()
        ]

    def gaps(self, articles: Sequence[np.ndarray], threshold: float) -> np.ndarray:
        """articles x profiles: how far each profile score is above the profile match bar,
        in the units of the underlying dot product (the unit its rounding is in)."""
        dots = np.empty((len(articles), len(self.rows)), dtype=np.float64)
        for center, js, vectors in self.groups:
            # Centred exactly as TopicProfile.score centres one article.
            centred = np.stack([unit(article_vector(v) - center) for v in articles])
            dots[:, js] = centred @ vectors.T
        scores = (dots - self.baseline) / self.spread
        return (scores - np.maximum(threshold, self.floor)) * self.spread


class SubscriptionIndex:
    """Everything matching needs of a list of subscriptions, computed once for the list."""

    def __init__(
        self,
        subscriptions: Sequence[Subscription],
        topic_vectors: Sequence[np.ndarray],
        profiles: Sequence[TopicProfile | None],
        names: Sequence[bool] = (),
    ) -> None:
        self.subscriptions = tuple(subscriptions)
        self.names = tuple(names) or (False,) * len(self.subscriptions)
        self._names = np.asarray(self.names, dtype=bool)
        self._source_only = np.array(
            [source_only(s.query, s.required) for s in self.subscriptions], dtype=bool
        )
        self.topic_vectors = tuple(topic_vectors)
        self.profiles = tuple(profiles)
        count = len(self.subscriptions)
        self.topics = np.stack(self.topic_vectors) if count else np.zeros((0, 0), dtype=np.float32)
        self.vocabulary: dict[str, int] = {}
        self.terms = _WordSets(self.vocabulary, (content_terms(s.query) for s in subscriptions))
        self.required = _Rules(self.vocabulary, [s.required for s in subscriptions])
        self.excluded = _Rules(self.vocabulary, [s.excluded for s in subscriptions])
        self.profile_table = _ProfileTable(self.profiles)
        order = sorted(range(count), key=lambda i: self.subscriptions[i].created_at)
        self._created = [self.subscriptions[i].created_at for i in order]
        self._rank = np.empty(count, dtype=np.intp)
        self._rank[order] = np.arange(count)

    def fits(
        self,
        subscriptions: Sequence[Subscription],
        topic_vectors: Sequence[np.ndarray],
        profiles: Sequence[TopicProfile | None],
        names: Sequence[bool] = (),
    ) -> bool:
        """Whether this index was built from these very subscriptions, topic vectors,
        profiles and names (a profile refresh or a re-embedded topic makes new objects)."""
        return (
            tuple(subscriptions) == self.subscriptions
            and (tuple(names) or (False,) * len(self.subscriptions)) == self.names
            and all(a is b for a, b in zip(topic_vectors, self.topic_vectors, strict=True))
            and all(a is b for a, b in zip(profiles, self.profiles, strict=True))
        )

    def screen(self, articles: Sequence[ArticleEvidence], model: AlertModel) -> list[Screening]:
        """One Screening per article, in order."""
        if not self.subscriptions:
            return [_NOTHING] * len(articles)
        found: list[Screening] = []
        for chunk in self._chunks(articles):
            with_passages = [a for a in chunk if a.passage_ids]
            if not with_passages:
                found.extend(_NOTHING for _ in chunk)
                continue
            cosines = np.concatenate([a.vectors for a in with_passages]) @ self.topics.T
            profile_gaps = None
            if len(self.profile_table.rows):
                vectors = [a.vectors for a in with_passages]
                profile_gaps = self.profile_table.gaps(vectors, model.profile_threshold)
            start, row = 0, 0
            for article in chunk:
                if not article.passage_ids:
                    found.append(_NOTHING)
                    continue
                end = start + len(article.passage_ids)
                best = cosines[start:end].max(axis=0)
                gaps = profile_gaps[row] if profile_gaps is not None else None
                found.append(self._decide(article, best, gaps, model))
                start, row = end, row + 1
        return found

    def _decide(
        self,
        article: ArticleEvidence,
        best: np.ndarray,
        profile_gaps: np.ndarray | None,
        model: AlertModel,
    ) -> Screening:
        present = self._present(article.stems)
        # Subscribed after the article was stored: not matched (created_at > queued_at).
        eligible = self._rank < bisect.bisect_right(self._created, article.queued_at)
        # names_topic for every subscription at once.
        named = (self.terms.sizes > 0) & self.terms.all_present(present)
        gate = eligible & self.required.all_met(present) & ~self.excluded.any_met(present)
        gate &= ~self._names | named  # a name the story does not name cannot match
        needed = topic_thresholds(named, model)
        gap = best.astype(np.float64) - needed
        matched = gap >= MARGIN
        unsure = np.abs(gap) < MARGIN
        if profile_gaps is not None:
            rows = self.profile_table.rows
            matched[rows] |= profile_gaps >= MARGIN
            unsure[rows] |= np.abs(profile_gaps) < MARGIN
        # A name in the title or the opening matches whatever the cosines.
        named_lead = (self.terms.sizes > 0) & self.terms.all_present(
            self._present(article.lead_stems)
        )
        matched |= self._names & named_lead
        matched |= self._source_only  # an outlet followed without words: all its stories
        matched &= gate
        unsure &= gate & ~matched  # one sure way to match settles it
        return Screening(np.flatnonzero(matched), np.flatnonzero(unsure))

    def _present(self, stems: frozenset[str]) -> np.ndarray:
        """Which stems of the vocabulary the article has."""
        present = np.zeros(len(self.vocabulary), dtype=bool)
        vocabulary = self.vocabulary
        hits = [vocabulary[s] for s in stems if s in vocabulary]
        present[np.asarray(hits, dtype=np.intp)] = True
        return present

    def _chunks(self, articles: Sequence[ArticleEvidence]) -> Iterator[list[ArticleEvidence]]:
        most = max(_MAX_CELLS // len(self.subscriptions), 1)
        chunk: list[ArticleEvidence] = []
        passages = 0
        for article in articles:
            if chunk and passages + len(article.passage_ids) > most:
                yield chunk
                chunk, passages = [], 0
            chunk.append(article)
            passages += len(article.passage_ids)
        if chunk:
            yield chunk
