"""What a topic would have sent: the archive's recent stories screened by the alert matcher.

Before a chat subscribes, `preview_topic` counts the stories of the last `alerts.preview_days`
(those stored in that window, newest first, at most `alerts.preview_max_articles`) that the
topic would have matched, and picks the best headlines. It goes through the matcher's own
code: each story's evidence (`AlertMatcher.evidence`), the compiled screening of the
subscriptions (`SubscriptionIndex.screen`) with the matcher's topic vectors and profiles,
and `AlertMatcher.score` for decisions within rounding of a threshold, so a change of the
matching rule changes the preview with it.

A topic that matches nothing, or more than `alerts.preview_flood_share` of the stories, gets
variants screened the same way in the same pass: for none, the topic without each +word and
each word of it alone; for a flood, +word and -word for the words that stand out in the
matched stories' headlines (frequent there, rarer in the others). Each suggestion carries
how many stories it would have matched.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta

from config import AlertSettings
from index.clock import timestamp, utc_now
from index.state import Subscription
from retrieval.alerts.compiled import ArticleEvidence
from retrieval.alerts.matching import AlertMatcher
from retrieval.alerts.phrases import read_rules, rule_met, rule_words, typed_rule
from retrieval.alerts.sources import is_source_rule, read_source, shown_source
from retrieval.alerts.topics import Topic, TopicError, parse_topic, source_only
from retrieval.text_terms import content_terms, stem

# Words of the matched headlines tried as +word / -word for a flood (each costs one more
# topic in the one screening pass) and shown at most.
_FLOOD_WORDS = 4
_SHOWN_SUGGESTIONS = 3


@dataclass(frozen=True)
class PreviewStory:
    title: str
    url: str | None
    source: str | None
    published: str | None
    cosine: float  # of its best passage to the topic: the order of the headlines


@dataclass(frozen=True)
class Suggestion:
    topic: str  # the topic as the user would type it
    matched: int  # how many of the screened stories it would have matched


@dataclass(frozen=True)
class TopicPreview:
    days: float
    screened: int  # stories stored in the window, the newest preview_max_articles at most
    capped: bool  # the window held more stories than were screened
    matched: int
    best: tuple[PreviewStory, ...]
    flood: bool  # matched more than preview_flood_share of the screened stories
    suggestions: tuple[Suggestion, ...] = ()
    source: str | None = None  # the outlet the topic follows, as shown (`bbc.co.uk`)
    from_source: int = 0  # how many of the screened stories are from it
    newest_first: bool = False  # `best` are the newest matches (an outlet without words)

    @property
    def unknown_source(self) -> bool:
        """The topic follows an outlet none of the screened stories is from."""
        return self.source is not None and self.from_source == 0

    @property
    def none(self) -> bool:
        return self.screened > 0 and self.matched == 0


class RecentStories:
    """The evidence and headline of the archive's newest stories, kept from one preview to
    the next: a preview reads only the stories stored since the last one (reading a story's
    evidence is most of a preview's cost). Holds at most `preview_max_articles` stories.
    Thread-safe; blocking."""

    def __init__(self, matcher: AlertMatcher, settings: AlertSettings) -> None:
        self.matcher = matcher
        self.settings = settings
        self._stories: dict[str, tuple[str, ArticleEvidence, PreviewStory]] = {}
        self._lock = threading.Lock()

    def read(self) -> tuple[list[tuple[ArticleEvidence, PreviewStory]], bool]:
        """The stories stored in the last `preview_days`, newest first, at most
        `preview_max_articles`; and whether the window held more than that."""
        since = timestamp(utc_now() - timedelta(days=self.settings.preview_days))
        limit = self.settings.preview_max_articles
        store = self.matcher.archive.store
        with self._lock:
            newest = store.recent_article_passage_ids(limit)
            kept = {}
            for article_id, passage_ids in newest.items():
                known = self._stories.get(article_id)
                if known is None or known[1].passage_ids != tuple(passage_ids):
                    known = self._story(article_id)
                if known is not None:
                    kept[article_id] = known
            self._stories = kept
        found = [(e, story) for stored, e, story in kept.values() if stored >= since]
        oldest = next(reversed(kept.values()), None)
        return found, len(newest) == limit and oldest is not None and oldest[0] >= since

    def _story(self, article_id: str) -> tuple[str, ArticleEvidence, PreviewStory] | None:
        article = self.matcher.archive.store.article(article_id)
        if article is None:
            return None
        stored = article.get("ingested_at") or ""
        evidence = self.matcher.evidence(article_id, stored)
        if evidence is None or not evidence.passage_ids:
            return None
        story = PreviewStory(
            article.get("title") or "",
            article.get("url"),
            article.get("source"),
            article.get("published"),
            0.0,
        )
        return stored, evidence, story


def preview_topic(
    matcher: AlertMatcher,
    topic: Topic,
    settings: AlertSettings,
    stories: RecentStories | None = None,
) -> TopicPreview:
    """The topic screened against the archive's recent stories (`stories`, kept between
    previews; read afresh when None), with suggestions when it would have matched none or
    a flood of them. Blocking."""
    recent, capped = (stories or RecentStories(matcher, settings)).read()
    evidence = [e for e, _ in recent]
    base = _as_subscription(topic.text, topic.query, topic.required, topic.excluded)
    matched = _screen(matcher, [base], evidence)[0]
    count, screened = len(matched), len(evidence)
    # An outlet followed without words asked for all its stories: no flood, the newest first.
    every = source_only(topic.query, topic.required)
    flood = screened > 0 and count > settings.preview_flood_share * screened and not every
    order = sorted(matched) if every else sorted(matched, key=lambda i: -matched[i])
    best = order[: settings.preview_headlines]
    stories = tuple(replace(recent[i][1], cosine=matched[i]) for i in best)
    preview = TopicPreview(
        settings.preview_days, screened, capped, count, stories, flood, newest_first=every
    )
    source = next((r for r in topic.required if is_source_rule(r)), None)
    if source is not None:
        from_source = sum(rule_met(e.stems, source) for e in evidence)
        preview = replace(preview, source=shown_source(source), from_source=from_source)
    if screened == 0 or not (flood or count == 0):
        return preview
    variants = _none_variants(topic) if count == 0 else _flood_variants(topic, recent, matched)
    if not variants:
        return preview
    found = _screen(matcher, [_as_subscription(*_parts(v)) for v in variants], evidence)
    ranked = [Suggestion(v, len(m)) for v, m in zip(variants, found, strict=True)]
    if count == 0:
        useful = sorted((s for s in ranked if s.matched), key=lambda s: -s.matched)
    else:  # fewer stories, but not none, and the most specific first
        limit = settings.preview_flood_share * screened
        useful = sorted((s for s in ranked if 0 < s.matched <= limit), key=lambda s: s.matched)
    return replace(preview, suggestions=tuple(useful[:_SHOWN_SUGGESTIONS]))


def _screen(
    matcher: AlertMatcher,
    topics: list[Subscription],
    evidence: list[ArticleEvidence],
) -> list[dict[int, float]]:
    """For each topic: {story position: cosine of its best passage} of the stories it
    matches, decided as AlertMatcher decides deliveries (the compiled screening, and the
    pair's own rule for a decision within rounding of a threshold)."""
    index = matcher.compile(topics)
    vectors = index.topic_vectors
    found: list[dict[int, float]] = [{} for _ in topics]
    for position, (article, screening) in enumerate(
        zip(evidence, index.screen(evidence, matcher.model), strict=True)
    ):
        for t in screening.matched.tolist():  # the cosine only orders the headlines
            found[t][position] = float((article.vectors @ vectors[t]).max())
        for t in screening.unsure.tolist():
            hit = matcher.score(topics[t], article)
            if hit is not None:
                found[t][position] = hit[1]
    return found


def _as_subscription(
    text: str, query: str, required: tuple[str, ...], excluded: tuple[str, ...]
) -> Subscription:
    # Not stored (id 0: no votes) and older than every story, so every story is eligible.
    return Subscription(0, 0, None, text, query, required, excluded, "")


def _parts(text: str) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    topic = parse_topic(text)
    return topic.text, topic.query, topic.required, topic.excluded


def _none_variants(topic: Topic) -> list[str]:
    """Broader phrasings: the topic without each +rule, each of its words alone."""
    typed = read_rules(read_source(topic.text)[0]).query
    variants = [
        " ".join(
            [
                *typed,
                *(typed_rule(r, "+") for r in topic.required if r != dropped),
                *(typed_rule(e, "-") for e in topic.excluded),
            ]
        )
        for dropped in topic.required
    ]
    terms = content_terms(topic.query)
    if len(terms) > 1:
        variants += terms
    return [v for v in dict.fromkeys(variants) if v and v != topic.text and _parses(v)]


def _flood_variants(
    topic: Topic,
    recent: list[tuple[ArticleEvidence, PreviewStory]],
    matched: dict[int, float],
) -> list[str]:
    """+word and -word for the headline words that stand out among the matched stories."""
    rules = rule_words((*topic.required, *topic.excluded))
    own = {stem(w) for w in (*content_terms(topic.query), *rules)}
    inside: Counter[str] = Counter()
    everywhere: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for position, (_, story) in enumerate(recent):
        stems = set()
        for word in content_terms(story.title):
            if len(word) > 2 and word.isalpha() and stem(word) not in own:
                stems.add(stem(word))
                shown.setdefault(stem(word), word)
        everywhere.update(stems)
        if position in matched:
            inside.update(stems)
    total, hits = len(recent), len(matched)
    # Lift over the other stories, weighted by how many matched stories carry the word.
    scores = {
        s: n * (n / hits) / ((everywhere[s] - n + 1) / (total - hits + 1))
        for s, n in inside.items()
        if n > 1
    }
    chosen = [shown[s] for s in sorted(scores, key=lambda s: -scores[s])[:_FLOOD_WORDS]]
    variants = [f"{topic.text} {sign}{word}" for word in chosen for sign in "+-"]
    return [v for v in variants if _parses(v)]


def _parses(text: str) -> bool:
    try:
        parse_topic(text)
    except TopicError:
        return False
    return True
