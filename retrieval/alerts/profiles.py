"""Topic profiles: a subscribed topic sharpened by the archive it is matched against.

A plain topic ("sport", "business and the economy") is a poor probe on its own: all-MiniLM-L6-v2
puts its few words at a low cosine to most articles about it, and to many that are not (no
single threshold separates them well: benchmarks/README.md "Topic alerts"). So a
profile replaces the topic's vector by one learnt from the stored articles, with no labels and
no word lists (pseudo-relevance feedback, Rocchio):

1. an article is represented by the mean of its passage vectors, minus the mean article of the
   sample (centring removes the direction every news text shares, which otherwise dominates);
2. the topic's vector finds its k closest articles in the sample; their centroid, mixed with
   the topic (`feedback_topic_weight`), becomes the new vector; this is repeated
   `feedback_rounds` times, so the vector settles on the articles the topic is about. At
   first k is the number of articles whose best passage comes within
   `feedback_relative_cosine` of the topic's best match (10 to `feedback_articles`), so
   narrow topics learn from few articles; after each round k is read again the same way from
   the new vector's own scores. Paraphrases that settle on the same articles ("business",
   "economy", "money") then learn from as many of them and share one scale, instead of each
   keeping the k its words gave it (benchmarks/README.md "Topic alerts on news sections");
3. an article's profile score is read against the topic's own distribution over the sample:
   0 = the average stored article, 1 = the average of the feedback articles. One threshold then
   fits topics whose raw cosines differ a lot.

Feedback drifts: a topic the archive has no articles about ("ceasefire talks" over BBC news)
still has k closest articles (stories that share "talks"), and their centroid is a whole
category (politics). Two guards (benchmarks/README.md, "Topic alerts"):
- drift: the final feedback set and the topic's own first-k closest articles (by best
  passage) must share `profile_min_overlap` of the smaller of the two; broad topics keep much
  more of it than a topic the archive has no stories about. A drifted topic gets no profile
  and is matched by its own words only. (At 0.45, chosen on BBC's five even categories, it
  took the profile of every small section of a newspaper, "travel", "tech", "money", which
  then got almost no alerts; 0.3 is chosen on the news sections);
- reach: an article matches by profile only if it would rank within `profile_max_expansion`
  x k of the sample (`TopicProfile.floor`), k the larger of the first and the last. Narrow topics ("ipod", "tax") would match more
  of the sample than broad ones: the cap bounds how far a narrow topic spills into its
  category.

The sample is the `alerts.profile_articles` most recently stored articles, read once per
refresh and shared by every topic. Below `alerts.profile_min_articles` there is no profile: a
near-empty archive cannot say what a topic's articles look like, and matching falls back to
the topic alone. The other names above are fitted values of AlertModel
(retrieval/alerts/fitted.py).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from config import AlertSettings
from index import NewsArchive
from retrieval.alerts.fitted import AlertModel

_BUILD_CHUNK = 64
_MIN_FEEDBACK = 10


def unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def article_vector(passage_vectors: np.ndarray) -> np.ndarray:
    """One vector for an article: the unit mean of its passages (which are unit vectors)."""
    return unit(passage_vectors.mean(axis=0))


@dataclass(frozen=True)
class TopicProfile:
    vector: np.ndarray  # lives in the centred space of the sample it was learnt from
    center: np.ndarray  # the sample's mean article, subtracted before comparing
    baseline: float  # mean score of the sample's articles
    top: float  # mean score of the feedback articles
    # Least score (on the topic's scale) that still matches besides the model's
    # `profile_threshold`: what ranks within the reach cap in the sample, or above the bar
    # readers' 👎 raised.
    floor: float = -np.inf

    def score(self, passage_vectors: np.ndarray) -> float:
        """The article's score on the topic's own scale (0 = typical article, 1 = top match)."""
        centred = unit(article_vector(passage_vectors) - self.center)
        return (float(centred @ self.vector) - self.baseline) / (self.top - self.baseline)


@dataclass
class _Sample:
    center: np.ndarray
    articles: np.ndarray  # centred unit article vectors, one row per article
    passages: np.ndarray  # the articles' passage vectors, article after article
    starts: np.ndarray  # where each article's passages begin in `passages`
    built_at: float
    last_passage_id: int


# How a moved profile's vector is made from the profile it moves (in that profile's space).
ProfileShift = Callable[[TopicProfile], np.ndarray]


@dataclass(frozen=True)
class _Move:
    base_key: str  # the topic whose profile is moved
    base_vector: np.ndarray
    shift: ProfileShift
    raised_bar: float  # added to the model's `profile_threshold` for this profile's matches


class TopicProfiles:
    """Builds and caches the profiles of topics; rebuilt every `profile_refresh_minutes`."""

    def __init__(self, archive: NewsArchive, settings: AlertSettings, model: AlertModel) -> None:
        self.archive = archive
        self.settings = settings
        self.model = model
        self._sample: _Sample | None = None
        self._profiles: dict[str, TopicProfile | None] = {}
        self._moves: dict[str, _Move] = {}

    def profiles(
        self, queries: Sequence[str], vectors: Sequence[np.ndarray]
    ) -> list[TopicProfile | None]:
        """The profile of each topic query (None while the archive is too small): learnt,
        or for a key given to `move`, the moved profile. Blocking."""
        if self._sample is None:
            self.refresh_if_due()
        missing = [
            (q, v)
            for q, v in zip(queries, vectors, strict=True)
            if q not in self._profiles and q not in self._moves
        ]
        if missing:
            built = self._build([v for _, v in missing])
            self._profiles.update(zip((q for q, _ in missing), built, strict=True))
        for q in queries:
            if q not in self._profiles:
                self._profiles[q] = self._moved(self._moves[q])
        return [self._profiles[q] for q in queries]

    def move(
        self,
        key: str,
        base_key: str,
        base_vector: np.ndarray,
        shift: ProfileShift,
        raised_bar: float = 0.0,
    ) -> None:
        """From now on the profile of `key` is the profile of `base_key` with its vector
        moved by `shift` and its scale read again over the sample; learnt again from the base
        at every refresh. Readers' votes move what decides a broad topic's matches this way:
        a profile learnt afresh from a moved topic vector settles back on the same articles
        (benchmarks/README.md "Topic alerts on news sections", votes). `raised_bar` > 0: the
        moved profile matches only from the model's `profile_threshold` + raised_bar (its floor),
        as readers' 👎 ask for fewer of its alerts."""
        self._moves[key] = _Move(base_key, base_vector, shift, raised_bar)
        self._profiles.pop(key, None)

    def forget(self, key: str) -> None:
        """Drop a moved profile (its votes changed or its subscription went)."""
        self._moves.pop(key, None)
        self._profiles.pop(key, None)

    def _moved(self, move: _Move) -> TopicProfile | None:
        base = self.profiles([move.base_key], [move.base_vector])[0]
        sample = self._sample
        if base is None or sample is None:
            return None
        moved = self._shifted(base, move.shift, sample)
        if move.raised_bar <= 0:
            return moved
        bar = self.model.profile_threshold + move.raised_bar
        return dataclasses.replace(moved, floor=max(moved.floor, bar))

    def _shifted(self, base: TopicProfile, shift: ProfileShift, sample: _Sample) -> TopicProfile:
        vector = unit(np.asarray(shift(base), dtype=np.float32))
        scores = sample.articles @ vector
        k = _reach_count(
            scores,
            self.model.feedback_relative_cosine,
            _most_feedback(self.model, len(scores)),
        )
        baseline = float(scores.mean())
        top_mean = float(-np.sort(-scores)[:k].mean())
        if top_mean <= baseline + 1e-6:
            return base
        reach = int(self.model.profile_max_expansion * k)
        floor = -np.inf
        if reach < len(scores):
            floor = (float(-np.partition(-scores, reach)[reach]) - baseline) / (top_mean - baseline)
        return TopicProfile(vector, base.center, baseline, top_mean, floor)

    def refresh_if_due(self) -> bool:
        """Learn the profiles again when they are old, or when the archive was too small to
        learn from and has grown since (True then). Called once per batch of articles, not
        per match."""
        sample = self._sample
        if sample is not None:
            fresh = time.monotonic() - sample.built_at < self.settings.profile_refresh_minutes * 60
            # A sample too small to learn from is read again as soon as articles arrive.
            grown = len(sample.articles) < self.settings.profile_min_articles and (
                self.archive.store.passage_summary()[1] != sample.last_passage_id
            )
            if fresh and not grown:
                return False
        self._sample = self._read_sample()
        self._profiles.clear()
        return True

    def _read_sample(self) -> _Sample:
        dimension = self.archive.embedder.dimension
        with self.archive.write_lock:
            last_passage_id = self.archive.store.passage_summary()[1]
            passages = self.archive.store.recent_article_passage_ids(self.settings.profile_articles)
            ids = [i for article in passages.values() for i in article]
            vectors = self.archive.vectors.vectors_for(ids)
        rows, offset = [], 0
        for article in passages.values():
            rows.append(article_vector(vectors[offset : offset + len(article)]))
            offset += len(article)
        articles = np.asarray(rows, dtype=np.float32).reshape(-1, dimension)
        center = articles.mean(axis=0) if len(articles) else np.zeros(dimension, np.float32)
        starts = np.cumsum([0] + [len(a) for a in passages.values()])[:-1]
        return _Sample(
            center,
            unit(articles - center),
            vectors,
            starts.astype(np.int64),
            time.monotonic(),
            last_passage_id,
        )

    def _build(self, topic_vectors: list[np.ndarray]) -> list[TopicProfile | None]:
        sample = self._sample
        if sample is None or len(sample.articles) < self.settings.profile_min_articles:
            return [None] * len(topic_vectors)
        built: list[TopicProfile | None] = []
        # In chunks: sizing the feedback holds topics x sample passages cosines at once.
        for start in range(0, len(topic_vectors), _BUILD_CHUNK):
            built.extend(self._build_chunk(sample, topic_vectors[start : start + _BUILD_CHUNK]))
        return built

    def _build_chunk(
        self, sample: _Sample, topic_vectors: list[np.ndarray]
    ) -> list[TopicProfile | None]:
        model = self.model
        matrix = sample.articles
        topics = unit(np.asarray(topic_vectors, dtype=np.float32))
        best, sizes = self._feedback_sizes(sample, topics)
        weight = model.feedback_topic_weight
        built: list[TopicProfile | None] = []
        most = _most_feedback(model, len(matrix))
        for topic, own, first_k in zip(topics, best, sizes, strict=True):
            vector, k = topic, first_k
            for _ in range(model.feedback_rounds):
                top = np.argpartition(-(matrix @ vector), k - 1)[:k]
                vector = unit(weight * topic + (1 - weight) * unit(matrix[top].mean(axis=0)))
                # k read again from the profile itself: phrasings that settle on the same
                # articles ("business", "economy") then learn from as many and get one scale.
                k = _reach_count(matrix @ vector, model.feedback_relative_cosine, most)
            scores = matrix @ vector
            feedback = np.argpartition(-scores, k - 1)[:k]
            # Drift: the profile's first_k best articles against the topic's own first_k.
            settled = np.argpartition(-scores, first_k - 1)[:first_k]
            closest = np.argpartition(-own, first_k - 1)[:first_k]
            kept = len(np.intersect1d(settled, closest)) / first_k
            baseline = float(scores.mean())
            top_mean = float(scores[feedback].mean())
            if kept < model.profile_min_overlap or top_mean <= baseline + 1e-6:
                built.append(None)  # drifted away from the topic: its own words decide
                continue
            reach = int(model.profile_max_expansion * max(k, first_k))
            floor = -np.inf
            if reach < len(scores):
                floor = float(-np.partition(-scores, reach)[reach])
                floor = (floor - baseline) / (top_mean - baseline)
            built.append(TopicProfile(vector, sample.center, baseline, top_mean, floor))
        return built

    def _feedback_sizes(self, sample: _Sample, topics: np.ndarray) -> tuple[np.ndarray, list[int]]:
        """Each topic's best-passage cosine to every sample article, and how many articles
        teach each topic: those whose best passage reaches
        `feedback_relative_cosine` of the topic's best match in the sample. A specific topic
        ("chelsea") has a few close matches far above the rest and learns from few articles;
        a broad one ("sport") matches many articles about equally and learns from many."""
        best = np.maximum.reduceat(topics @ sample.passages.T, sample.starts, axis=1)
        most = _most_feedback(self.model, len(sample.articles))
        relative = self.model.feedback_relative_cosine
        return best, [_reach_count(row, relative, most) for row in best]


def _most_feedback(model: AlertModel, sample_size: int) -> int:
    # Never more than a fifth of the sample: feedback is about what stands out.
    return max(min(model.feedback_articles, sample_size // 5), 1)


def _reach_count(scores: np.ndarray, relative: float, most: int) -> int:
    """How many articles score at least `relative` of the best score (the feedback size),
    from _MIN_FEEDBACK (or `most`, if fewer) to `most`."""
    reach = int((scores >= relative * scores.max()).sum())
    return int(np.clip(reach, min(_MIN_FEEDBACK, most), most))
