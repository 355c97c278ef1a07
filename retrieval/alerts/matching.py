"""Topic alerts: parse a topic, match each new article against the subscriptions, and put the
matches in the outbox.

A topic that is a name ("NFL", "Taylor Swift", "gaza": retrieval/alerts/topics.py) matches
only stories that name it (every word of it, by stem, anywhere in the story); a story that
names it in its title or opening (first passage) is about it and matches outright. Without
this a name matched its whole neighbourhood ("NFL" got every sports story).

An article matches a topic in either of two ways (`+word` must appear and `-word` must not;
phrases and alternatives as retrieval/alerts/phrases.py reads them; a topic that follows an
outlet with no words, `source:bbc.co.uk`, matches every story from it outright:
retrieval/alerts/sources.py):
- close to the topic's own words: the cosine of the topic's embedding to the article's best
  passage reaches the model's `threshold`, or `threshold - lexical_relief` when the article also
  contains every word of the topic. Precise for specific topics ("ceasefire talks"), and the
  only way while the archive is too small to learn from;
- close to the topic's profile (retrieval/alerts/profiles.py): the topic expanded by the stored
  articles that match it best, scored on the topic's own scale, reaches
  `profile_threshold` (and the profile's reach cap). A topic whose feedback drifted
  away from its own closest articles has no profile. This is what finds the articles of broad
  topics ("sport", "business and the economy"), whose words alone sit at low cosines to them.

Calibration, absolute rule: the threshold sits between what a specific topic scores on the
story it is about and the most any unrelated BBC story scores for it. Short topics score low
even on articles about them; such articles name the topic, which the relief
(retrieval/alerts/topics.py) rewards, while stories that merely share a word ("talks") still
need the full threshold. Profile rule: its threshold is chosen on the archive half of the
news-sections benchmark (one- and two-word topics as people type them) and reported on its
news half and on BBC; chosen on BBC, it is reported on the news sections too. Figures:
benchmarks/README.md "Topic alerts" and "Topic alerts on news sections"
(benchmarks/alerts_quality.py, benchmarks/alerts_sections.py). The fitted values are one
AlertModel (retrieval/alerts/fitted.py); the operator's settings are AlertSettings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from config import AlertSettings
from index import NewsArchive
from index.state import NewDelivery, Outbox, Subscription, Subscriptions
from index.text import passage_sentences
from retrieval.alerts.compiled import ArticleEvidence, Screening, SubscriptionIndex
from retrieval.alerts.fitted import DEFAULT_ALERT_MODEL, AlertModel
from retrieval.alerts.phrases import rule_met, text_keys
from retrieval.alerts.profiles import TopicProfile, TopicProfiles
from retrieval.alerts.sources import source_keys
from retrieval.alerts.topics import (
    names_topic,
    source_only,
    topic_threshold,
    typed_as_name,
    written_as_name,
)
from retrieval.answer import Quote
from retrieval.marking_rule import mark, term_weights
from retrieval.text_terms import content_terms, stem, words

log = logging.getLogger(__name__)

# Topic embeddings are cached (1.5 KB each): above the subscriptions a busy bot has, since
# every batch asks for all of them and a cache smaller than that re-embeds them each time.
_TOPIC_CACHE_SIZE = 50_000

# Moves subscriptions' topics: (subscriptions, their queries, the queries' vectors) -> each
# one's topic key and vector (retrieval/alerts/feedback.py: readers' votes).
TopicAdjuster = Callable[
    [Sequence[Subscription], list[str], list[np.ndarray]], tuple[list[str], list[np.ndarray]]
]


class AlertMatcher:
    """Matches queued articles to subscriptions and enqueues the deliveries."""

    def __init__(
        self,
        archive: NewsArchive,
        subscriptions: Subscriptions,
        outbox: Outbox,
        settings: AlertSettings,
        adjust_topics: TopicAdjuster | None = None,
        paused_topics: Callable[[], set[tuple[int, str]]] | None = None,
        model: AlertModel = DEFAULT_ALERT_MODEL,
    ) -> None:
        """`settings`: the operator's; `model`: the fitted values (benchmarks pass others)."""
        self.archive = archive
        self.subscriptions = subscriptions
        self.outbox = outbox
        self.settings = settings
        self.model = model
        self._topic_vectors: dict[str, np.ndarray] = {}
        self._names: dict[str, bool] = {}
        self.profiles = TopicProfiles(archive, settings, model)
        self._index: SubscriptionIndex | None = None
        self.adjust_topics = adjust_topics
        # (subscription id, topic) of the topics chats paused (/pause): matched to nothing.
        self.paused_topics = paused_topics

    def process_queue(self, batch: int = 100) -> int:
        """Match every queued article; returns how many deliveries were enqueued. Blocking."""
        enqueued = 0
        while True:
            queued = self.outbox.queued_articles(batch)
            if not queued:
                return enqueued
            # Another process (`newsbot ingest`) may have stored these articles: their
            # vectors are then on disk but not in this process's index yet.
            self.archive.reconcile()
            subscriptions = self.subscriptions.active()
            if self.paused_topics is not None:
                paused = self.paused_topics()
                subscriptions = [s for s in subscriptions if (s.id, s.topic) not in paused]
            if self.profiles.refresh_if_due():
                self._names.clear()  # what the archive says of a word may have changed
            index = self.subscription_index(subscriptions)
            found = [self.evidence(article_id, queued_at) for article_id, queued_at in queued]
            screenings = iter(self._screen(index, [e for e in found if e is not None]))
            for (article_id, _), evidence in zip(queued, found, strict=True):
                matches = self._deliveries(index, evidence, next(screenings)) if evidence else []
                added = self.outbox.settle(article_id, matches)
                log.info("article %s matched: %d new alerts", article_id, added)
                enqueued += added

    def match(
        self, evidence: ArticleEvidence, subscriptions: Sequence[Subscription]
    ) -> list[NewDelivery]:
        """The subscriptions this article matches, with its best passage for each: those for
        which `score` is not None, skipping chats that subscribed after the article was
        stored, in the order of `subscriptions`."""
        index = self.subscription_index(subscriptions)
        return self._deliveries(index, evidence, self._screen(index, [evidence])[0])

    def subscription_index(self, subscriptions: Sequence[Subscription]) -> SubscriptionIndex:
        """The subscriptions compiled for matching; rebuilt only when they, their topic
        vectors or their profiles (a refresh) changed, as the queue is polled every few
        seconds against the same list."""
        keys, vectors = self.subscription_topics(subscriptions)
        profiles = self.profiles.profiles(keys, vectors)
        names = self.name_topics([s.query for s in subscriptions])
        if self._index is None or not self._index.fits(subscriptions, vectors, profiles, names):
            self._index = SubscriptionIndex(subscriptions, vectors, profiles, names)
        return self._index

    def compile(self, subscriptions: Sequence[Subscription]) -> SubscriptionIndex:
        """These subscriptions compiled as the matcher screens them, built afresh (a preview
        screens topics nobody follows yet)."""
        keys, vectors = self.subscription_topics(subscriptions)
        return SubscriptionIndex(
            subscriptions,
            vectors,
            self.profiles.profiles(keys, vectors),
            self.name_topics([s.query for s in subscriptions]),
        )

    def _screen(
        self, index: SubscriptionIndex, evidence: Sequence[ArticleEvidence]
    ) -> list[Screening]:
        return index.screen(evidence, self.model)

    def _deliveries(
        self, index: SubscriptionIndex, evidence: ArticleEvidence, screening: Screening
    ) -> list[NewDelivery]:
        unsure = set(screening.unsure.tolist())
        found = []
        for position in np.union1d(screening.matched, screening.unsure).tolist():
            subscription = index.subscriptions[position]
            if position in unsure:  # too close to a threshold to trust float32 rounding
                hit = self.score(subscription, evidence)
            else:  # the passage and cosine exactly as `score` finds them
                hit = _best_passage(evidence, index.topic_vectors[position], subscription)
            if hit is not None:
                passage_id, score = hit
                found.append(
                    NewDelivery(
                        subscription.chat_id,
                        subscription.thread_id,
                        subscription.id,
                        passage_id,
                        score,
                    )
                )
        return found

    def score(
        self, subscription: Subscription, evidence: ArticleEvidence
    ) -> tuple[int, float] | None:
        """(best passage id, cosine) when the article matches the subscription, else None."""
        found = self.relevance(subscription, evidence)
        if found is None:
            return None
        passage_id, cosine, profile_score = found
        if source_only(subscription.query, subscription.required):
            return passage_id, cosine  # every story from the outlet, whatever it is about
        key = self.subscription_topics([subscription])[0][0]
        query = subscription.query
        if self.own_match(query, evidence, cosine) or self.profile_match(key, profile_score):
            return passage_id, cosine
        return None

    def own_match(self, query: str, evidence: ArticleEvidence, cosine: float) -> bool:
        """Whether the article matches the topic's own words (no profile): a name in its
        title or opening, or its best passage at the model's threshold (less the relief when it
        names the topic)."""
        if self.name_topics([query])[0] and names_topic(evidence.lead_stems, query):
            return True  # a name in the title or the opening: the story is about it
        return cosine >= topic_threshold(names_topic(evidence.stems, query), self.model)

    def profile_match(self, query: str, profile_score: float | None) -> bool:
        """Whether a profile score is a match: above the threshold and within the profile's
        reach cap (which keeps narrow topics from taking their whole category)."""
        if profile_score is None:
            return False
        profile = self.topic_profiles([query])[0]
        floor = profile.floor if profile is not None else -np.inf
        return profile_score >= max(self.model.profile_threshold, floor)

    def relevance(
        self, subscription: Subscription, evidence: ArticleEvidence
    ) -> tuple[int, float, float | None] | None:
        """(best passage id, its cosine to the topic, profile score or None when the topic has
        no profile yet), or None when the article cannot match (+/- words, no passages)."""
        if not evidence.passage_ids:
            return None
        if not all(rule_met(evidence.stems, r) for r in subscription.required):
            return None
        if any(rule_met(evidence.stems, r) for r in subscription.excluded):
            return None
        if self.name_topics([subscription.query])[0] and not names_topic(
            evidence.stems, subscription.query
        ):
            return None  # a name the story does not name
        (key,), (vector,) = self.subscription_topics([subscription])
        passage_id, cosine = _best_passage(evidence, vector, subscription)
        profile = self.topic_profiles([key])[0]
        profile_score = profile.score(evidence.vectors) if profile is not None else None
        return passage_id, cosine, profile_score

    def subscription_topics(
        self, subscriptions: Sequence[Subscription]
    ) -> tuple[list[str], list[np.ndarray]]:
        """Each subscription's topic key and vector: its query and the query's embedding, or
        what `adjust_topics` moved them to (a key of its own, so the profile is learnt from
        the moved vector; the moved vector is then what `topic_vectors(key)` returns)."""
        queries = [s.query for s in subscriptions]
        vectors = self.topic_vectors(queries)
        if self.adjust_topics is None:
            return queries, vectors
        keys, vectors = self.adjust_topics(subscriptions, queries, vectors)
        self._topic_vectors.update(zip(keys, vectors, strict=True))
        return keys, vectors

    def topic_profiles(self, queries: Sequence[str]) -> list[TopicProfile | None]:
        """The profile of each topic, learnt from the archive (None while it is too small)."""
        return self.profiles.profiles(queries, self.topic_vectors(queries))

    def name_topics(self, queries: Sequence[str]) -> list[bool]:
        """Whether each topic is a name (retrieval/alerts/topics.py), read from the archive
        once per topic and again after each profile refresh. Blocking."""
        missing = [q for q in dict.fromkeys(queries) if q not in self._names]
        if len(self._names) + len(missing) > _TOPIC_CACHE_SIZE:
            self._names.clear()
            missing = list(dict.fromkeys(queries))
        for query in missing:
            self._names[query] = typed_as_name(query) or self._written_as_name(query)
        return [self._names[q] for q in queries]

    def _written_as_name(self, query: str) -> bool:
        terms = content_terms(query)
        model = self.model
        if not terms or len(terms) > model.name_max_words:
            return False
        store = self.archive.store
        for term in terms:
            hits = store.lexical_search([term], model.name_evidence_passages)
            texts = [r.text for r in store.passages([h[0] for h in hits]).values()]
            if not written_as_name(
                term, texts, model.name_min_mentions, model.name_capitalised_share
            ):
                return False
        return True

    def topic_vectors(self, queries: Sequence[str]) -> list[np.ndarray]:
        missing = list(dict.fromkeys(q for q in queries if q not in self._topic_vectors))
        if missing:
            excess = len(self._topic_vectors) + len(missing) - _TOPIC_CACHE_SIZE
            if excess > 0:
                # Evict just enough of the oldest topics not asked for now: emptying the
                # cache would lose the other queries asked for (a KeyError below), and for
                # one new topic re-embed every subscribed one on the next batch.
                wanted = set(queries)
                stale = [q for q in self._topic_vectors if q not in wanted][:excess]
                for query in stale:
                    del self._topic_vectors[query]
            for query, vector in zip(missing, self.archive.embedder.encode(missing), strict=True):
                self._topic_vectors[query] = vector
        return [self._topic_vectors[q] for q in queries]

    def evidence(self, article_id: str, queued_at: str = "") -> ArticleEvidence | None:
        """What matching needs of a stored article (None if gone or a duplicate). Blocking."""
        store = self.archive.store
        # The ingestor stores an article and adds its vectors under this lock; holding it
        # here means a queued article's vectors are always there to read.
        with self.archive.write_lock:
            article = store.article(article_id)
            if article is None or article.get("duplicate_of"):
                return None
            passages = store.article_passages(article_id)
            ids = tuple(p.id for p in passages)
            vectors = self.archive.vectors.vectors_for(list(ids))
        title = article.get("title") or ""
        stems = text_keys(words(f"{title}\n{article.get('text') or ''}")) | source_keys(
            article.get("url"), article.get("feed_url"), article.get("source")
        )
        opening = passages[0].text if passages else ""
        lead = frozenset(stem(w) for w in words(f"{title}\n{opening}"))
        return ArticleEvidence(article_id, queued_at, stems, ids, vectors, lead)

    def quote(self, passage_id: int, topic_query: str) -> Quote | None:
        """The passage as a Quote, its sentence closest to the topic marked. Blocking."""
        record = self.archive.store.passages([passage_id]).get(passage_id)
        if record is None:
            return None
        spans = passage_sentences(record.text)
        terms = content_terms(topic_query)
        if terms:
            sentences = [record.text[s:e] for s, e in spans]
            vector = self.topic_vectors([topic_query])[0]
            cosines = self.archive.embedder.encode(sentences) @ vector
            total = max(self.archive.vectors.count, 1)
            weights = term_weights(terms, self.archive.store.document_frequencies(terms), total)
            marking = mark(record.text, spans, weights, cosines)
        else:  # an outlet followed without words: its opening sentence
            marking = mark(record.text, spans, {})
        return Quote.of(record, tuple((m.start, m.end) for m in marking.spans), marking.score)


def _best_passage(
    evidence: ArticleEvidence, topic_vector: np.ndarray, subscription: Subscription
) -> tuple[int, float]:
    """The article's passage closest to the topic, and its cosine; for an outlet followed
    without words its opening (what the story is, whatever it is about)."""
    cosines = evidence.vectors @ topic_vector
    if source_only(subscription.query, subscription.required):
        return evidence.passage_ids[0], float(cosines[0])
    best = int(np.argmax(cosines))
    return evidence.passage_ids[best], float(cosines[best])
