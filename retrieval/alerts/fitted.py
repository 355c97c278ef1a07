"""The alert matcher's fitted parameters, in one place: what benchmarks chose from data, not
what an operator tunes (those are `[alerts]` in config/default.toml).

A change here changes which articles match which topics, so it comes with a rerun of the
benchmark that chose the value and its figures in benchmarks/README.md; the benchmarks record
this dataclass whole (`asdict`) beside their figures. They were settings until issue 23, and
an old config file that still names one is refused with a pointer here (config/moved.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlertModel:
    """How an article is matched to a topic (retrieval/alerts/matching.py says the rules)."""

    # The topic's own words (retrieval/alerts/topics.py): the cosine of the topic to an
    # article's best passage that matches, between what specific topics score on their story
    # and the most an unrelated BBC story scores (benchmarks/README.md "Topic alerts") ...
    threshold: float
    # ... less this when the article contains every word of the topic: short topics score low
    # even on the stories that name them.
    lexical_relief: float
    # The topic's profile (retrieval/alerts/profiles.py): the score on the topic's own scale
    # that matches, chosen on the archive half of the news-sections benchmark
    # (benchmarks/alerts_sections.py; benchmarks/README.md "Topic alerts on news sections").
    profile_threshold: float
    # Feedback: the articles within this share of the topic's best match teach the profile ...
    feedback_relative_cosine: float
    # ... at most this many per round ...
    feedback_articles: int
    # ... over this many rounds, keeping this share of the topic's own vector (ablations:
    # benchmarks/alerts_quality.py, README "Topic alerts").
    feedback_rounds: int
    feedback_topic_weight: float
    # Drift guard and reach cap of a profile (chosen on the news sections, where 0.45, chosen
    # on BBC, took the profiles of a newspaper's small sections).
    profile_min_overlap: float
    profile_max_expansion: float
    # A topic is a name (retrieval/alerts/topics.py) when it has at most name_max_words words,
    # each written capitalised inside sentences name_capitalised_share of the time over at
    # least name_min_mentions mentions in the name_evidence_passages passages that best match
    # it (benchmarks/README.md "Topic alerts on news sections": "NFL" got every sports story).
    name_max_words: int
    name_capitalised_share: float
    name_min_mentions: int
    name_evidence_passages: int
    # 👍/👎 move the topic (retrieval/alerts/feedback.py, Rocchio): topic_weight x topic +
    # liked_weight x mean(liked) - disliked_weight x mean(disliked), each side scaled by
    # n / (n + vote_prior), the result kept within vote_min_cosine of the typed topic.
    vote_topic_weight: float
    vote_liked_weight: float
    vote_disliked_weight: float
    vote_prior: float
    vote_min_cosine: float
    # 👎 raise the profile bar by vote_dislike_raise x dislikes / (votes + vote_prior), chosen
    # on the news-sections benchmark's simulated votes (README "Topic alerts on news sections").
    vote_dislike_raise: float


# The values benchmarks/README.md reports: change them only with a rerun of
# benchmarks/alerts_sections.py and benchmarks/alerts_quality.py.
DEFAULT_ALERT_MODEL = AlertModel(
    threshold=0.45,
    lexical_relief=0.15,
    profile_threshold=0.479,
    feedback_relative_cosine=0.5,
    feedback_articles=200,
    feedback_rounds=3,
    feedback_topic_weight=0.0,
    profile_min_overlap=0.3,
    profile_max_expansion=2.0,
    name_max_words=3,
    name_capitalised_share=0.9,
    name_min_mentions=5,
    name_evidence_passages=50,
    vote_topic_weight=1.0,
    vote_liked_weight=0.5,
    vote_disliked_weight=0.5,
    vote_prior=2.0,
    vote_min_cosine=0.7,
    vote_dislike_raise=0.4,
)
