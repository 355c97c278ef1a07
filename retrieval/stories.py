"""What's new: the newest stories (on a topic or not) and a day's main stories, each story
shown once however many outlets carried it.

A story is a cluster of articles: an original with the near-copies ingest linked to it
(SimHash, index/text/near_duplicates.py), joined by the other originals of the listing whose
opening passages say the same thing (cosine of their vectors at least `same_story_cosine`),
since outlets rewrite a wire story more than SimHash forgives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from config import RetrievalSettings, StorySettings
from index import NewsArchive
from index.clock import utc_now
from index.storage import StoryRecord
from index.text import parse_published
from retrieval.answer import validate_question
from retrieval.search import HybridSearcher
from retrieval.text_terms import content_terms

# A listing reads this many articles per story it shows: enough for clusters to form.
READ_PER_STORY = 4
# An archive with nothing newer than this counts its days from its newest story.
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Story:
    """One story as a listing shows it: its newest article's title and link, and how many
    outlets and articles carried it."""

    title: str
    source: str
    url: str | None
    published: str | None
    outlets: tuple[str, ...]  # distinct, the shown article's outlet first
    articles: int

    @property
    def moment(self) -> datetime | None:
        return parse_published(self.published)


@dataclass
class _Cluster:
    lead: StoryRecord
    vector: np.ndarray | None
    members: list[StoryRecord] = field(default_factory=list)
    score: float = 0.0

    def story(self) -> Story:
        outlets = [self.lead.source]
        for member in self.members:
            outlets += [member.source, *member.copies]
        distinct = tuple(dict.fromkeys(o for o in outlets if o))
        articles = sum(1 + len(m.copies) for m in self.members)
        lead = self.lead
        return Story(lead.title, lead.source, lead.url, lead.published, distinct, articles)


@dataclass
class StoryFinder:
    """Lists stories from a NewsArchive: `latest` and `digest`."""

    archive: NewsArchive
    retrieval: RetrievalSettings
    settings: StorySettings
    searcher: HybridSearcher = field(init=False)

    def __post_init__(self) -> None:
        self.searcher = HybridSearcher(self.archive.store, self.retrieval)

    def latest(
        self, topic: str | None = None, as_of: datetime | None = None, count: int = 8
    ) -> list[Story]:
        """The newest `count` stories as of `as_of` (now); with a topic, the stories on it,
        best first by meaning and recency (the answerer's hybrid search and recency weight)."""
        as_of = as_of or utc_now()
        count = max(1, min(count, self.settings.max_listed))
        if topic and topic.strip():
            return self._on_topic(validate_question(topic), as_of, count)
        records = self._records("", as_of, count * READ_PER_STORY)
        clusters = self._cluster(records)
        return [c.story() for c in clusters[:count]]

    def digest(self, start: datetime, end: datetime, count: int = 10) -> list[Story]:
        """The main stories published in [start, end): the clusters most outlets carried
        first (then most articles, then newest)."""
        count = max(1, min(count, self.settings.max_listed))
        last = end - timedelta(seconds=1)
        records = self._records(start.date().isoformat(), last, self.settings.digest_articles)
        records = [r for r in records if (_moment(r) or start) >= start]
        stories = [c.story() for c in self._cluster(records)]
        # Stable: among equals, the newest first.
        stories.sort(key=lambda s: (len(s.outlets), s.articles), reverse=True)
        return stories[:count]

    def now(self, as_of: datetime | None = None) -> datetime:
        """The moment "today" and "yesterday" are counted from: `as_of` (now), or the end of
        the newest story's day when nothing was published in the day before `as_of`. An
        archive whose feeds stopped still has a "today" (its last day), as the answerer
        counts ages from its newest article (HybridSearcher.news_now)."""
        as_of = as_of or utc_now()
        newest = parse_published(self.archive.store.newest_published(_day_after(as_of)))
        if newest is None or as_of - newest <= STALE_AFTER:
            return as_of
        return newest.replace(hour=23, minute=59, second=59, microsecond=0)

    def _records(self, since: str, until: datetime, limit: int) -> list[StoryRecord]:
        records = self.archive.store.stories(since, _day_after(until), limit)
        # The query's bound is a day (stored dates may carry no time); drop the later hours.
        return [r for r in records if (_moment(r) or until) <= until]

    def _on_topic(self, topic: str, as_of: datetime, count: int) -> list[Story]:
        query_vector = self.archive.embedder.encode([topic])[0]
        candidates = self.searcher.search(
            self.archive.vectors,
            query_vector,
            content_terms(topic),
            as_of,
            count * READ_PER_STORY * 3,
        )
        best: dict[str, tuple[float, StoryRecord]] = {}
        for c in candidates:
            p = c.passage
            moment = parse_published(p.published)
            if c.dense < self.settings.topic_min_cosine or p.article_id in best:
                continue  # candidates come best first: the article's best passage counts
            if moment is not None and moment > as_of:
                continue  # the search keeps the day after as_of; a listing does not
            record = StoryRecord(p.article_id, p.title, p.source, p.url, p.published, p.id)
            best[p.article_id] = (c.score, record)
        copies = self.archive.store.copies_of(list(best))
        records = [
            StoryRecord(r.article_id, r.title, r.source, r.url, r.published, r.first_passage,
                        tuple(copies.get(r.article_id, ())))
            for _, r in best.values()
        ]  # fmt: skip
        clusters = self._cluster(records, scores=[s for s, _ in best.values()])
        clusters.sort(key=lambda c: c.score, reverse=True)
        return [c.story() for c in clusters[:count]]

    def _cluster(
        self, records: list[StoryRecord], scores: list[float] | None = None
    ) -> list[_Cluster]:
        """Greedy, in the records' order: each joins the first cluster whose opening vector
        is close enough, or starts one. The newest (or best) article leads its cluster."""
        ids = [r.first_passage or 0 for r in records]
        vectors = self.archive.vectors.vectors_for(ids) if ids else np.zeros((0, 1))
        clusters: list[_Cluster] = []
        leads = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        threshold = self.settings.same_story_cosine
        for index, record in enumerate(records):
            vector = vectors[index] if record.first_passage else None
            score = scores[index] if scores else 0.0
            joined = None
            if vector is not None and len(clusters):
                similar = leads @ vector
                best = int(np.argmax(similar))
                if similar[best] >= threshold:
                    joined = clusters[best]
            if joined is None:
                joined = _Cluster(record, vector, score=score)
                clusters.append(joined)
                row = vector if vector is not None else np.zeros(leads.shape[1], np.float32)
                leads = np.vstack([leads, row[None, :]])
            joined.members.append(record)
            joined.score = max(joined.score, score)
        return clusters


def _moment(record: StoryRecord) -> datetime | None:
    return parse_published(record.published)


def _day_after(moment: datetime) -> str:
    """The exclusive bound, as a date string, that keeps everything of `moment`'s day."""
    return (moment + timedelta(days=1)).date().isoformat()
