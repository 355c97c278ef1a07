"""A topic as a chat subscribes to it, the one rule that lowers its threshold, and what makes
a topic a name.

The rule ("lexical relief"): an article that contains every content word of a topic (stemmed)
names it, and its best passage then needs only `threshold - lexical_relief` instead of
`threshold` (AlertModel, retrieval/alerts/fitted.py). Short topics score low even on articles
about them, and such articles name the topic; stories that merely share one word still need
the full threshold (retrieval/alerts/matching.py explains the calibration). AlertMatcher
applies the rule pair by pair, SubscriptionIndex to arrays of subscriptions; both take it
from here.

Names ("NFL", "Taylor Swift", "Gaza") are matched differently (retrieval/alerts/matching.py):
the story must name them. A topic is a name when it is typed as one (an acronym, a word with
a capital inside, or two or more capitalised words: `typed_as_name`), or when the archive
writes each of its words with a capital inside sentences (`written_as_name`): "gaza" and
"Gaza" are names, "Sports" typed by a phone that capitalises the first letter is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from retrieval.alerts.fitted import AlertModel
from retrieval.alerts.phrases import RuleError, read_rules, rule_words
from retrieval.alerts.sources import SourceError, is_source_rule, read_source
from retrieval.text_terms import content_terms, stem

MAX_TOPIC_CHARS = 200


class TopicError(ValueError):
    """A topic that cannot be subscribed to as written; the message says why."""


@dataclass(frozen=True)
class Topic:
    text: str  # as typed, whitespace tidied
    query: str  # the words whose meaning is matched
    required: tuple[str, ...]
    excluded: tuple[str, ...]


def parse_topic(text: str) -> Topic:
    """`ceasefire talks +ukraine -football` -> query "ceasefire talks", +ukraine, -football;
    phrases and alternatives as retrieval/alerts/phrases.py reads them, `source:…` as
    retrieval/alerts/sources.py does (a source alone: no words, every story from it)."""
    text = " ".join((text or "").split())
    if not text:
        raise TopicError("Please name a topic, e.g. ceasefire talks.")
    if len(text) > MAX_TOPIC_CHARS:
        raise TopicError(f"Please keep a topic under {MAX_TOPIC_CHARS} characters.")
    try:
        words_text, source = read_source(text)
        rules = read_rules(words_text)
    except (RuleError, SourceError) as error:
        raise TopicError(str(error)) from None
    required, excluded = rules.required, rules.excluded
    query_text = " ".join(rules.query) or " ".join(rule_words(required))
    if source is not None:  # first, so "from: …" leads how the topic is shown
        required = (source, *required)
    if not content_terms(query_text) and not required:
        raise TopicError("That topic has no words to match; try something like ceasefire talks.")
    if set(required) & set(excluded):
        raise TopicError("A word cannot be both required (+) and excluded (-).")
    return Topic(text, query_text, required, excluded)


def source_only(query: str, required: tuple[str, ...]) -> bool:
    """Whether a topic follows an outlet with no words: every new story from it matches,
    whatever its meaning."""
    return not content_terms(query) and any(is_source_rule(r) for r in required)


def has_word(stems: frozenset[str], word: str) -> bool:
    """Whether an article with these word stems contains `word` (compared by stem)."""
    return stem(word) in stems


def names_topic(stems: frozenset[str], query: str) -> bool:
    """Whether an article with these word stems contains every content word of the topic
    (a topic without content words is never named)."""
    terms = content_terms(query)
    return bool(terms) and all(has_word(stems, t) for t in terms)


def topic_threshold(named: bool, model: AlertModel) -> float:
    """The cosine a topic's best passage must reach: the model's threshold, less its
    lexical_relief when the article names the topic."""
    return model.threshold - model.lexical_relief if named else model.threshold


def topic_thresholds(named: np.ndarray, model: AlertModel) -> np.ndarray:
    """topic_threshold for an array of `named` flags, value for value."""
    return np.where(named, topic_threshold(True, model), topic_threshold(False, model))


def typed_as_name(query: str) -> bool:
    """Whether the topic as typed is a name: every content word capitalised, and an acronym
    ("NFL"), a capital inside a word ("iPod") or two or more such words ("Taylor Swift").
    One capitalised word ("Gaza", "Sports") is left to `written_as_name`."""
    tokens = [t for t in query.split() if content_terms(t)]
    if not tokens or not all(t[0].isdigit() or any(c.isupper() for c in t) for t in tokens):
        return False
    inner_capital = any(any(c.isupper() for c in t[1:]) for t in tokens)
    return inner_capital or len(tokens) >= 2


# A sentence (or a heading, a quote, a list item) starts after these: a capital there says
# nothing about the word.
_SENTENCE_START = re.compile(r"(^|[.!?:;\"“”‘(\[\n*•–—-])\s*$")


def written_as_name(word: str, texts: Iterable[str], min_mentions: int, share: float) -> bool:
    """Whether these texts write `word` (or its plural or possessive) with a capital inside
    sentences at least `share` of the time, over at least `min_mentions` such mentions."""
    pattern = re.compile(rf"(?<![\w'’]){re.escape(word)}(?:s|es|'s|’s)?(?![\w])", re.IGNORECASE)
    capitalised = mentions = 0
    for text in texts:
        for found in pattern.finditer(text):
            if _SENTENCE_START.search(text[max(found.start() - 3, 0) : found.start()]) or (
                found.start() == 0
            ):
                continue
            mentions += 1
            capitalised += any(c.isupper() for c in found.group())  # "Gaza", "iPod"
    return mentions >= min_mentions and capitalised >= share * mentions
