"""Settings that are no longer settings, and where their values went.

Issue 23 moved the alert matcher's fitted values out of `[alerts]` into the model they belong
to. A config file (or NEWSBOT_ALERTS_* variable) that still names one is refused with this
pointer rather than ignored: an operator who tuned `alerts.threshold` must learn that the
file no longer does what it says, and a warning in a log nobody reads would let the bot run
on the fitted value while the file claims another.
"""

from __future__ import annotations

_ALERT_MODEL = "a value fitted by the alert benchmarks, now in retrieval/alerts/fitted.py"

MOVED: dict[tuple[str, str], str] = {
    ("alerts", name): _ALERT_MODEL
    for name in (
        "threshold",
        "profile_threshold",
        "feedback_relative_cosine",
        "feedback_articles",
        "feedback_rounds",
        "feedback_topic_weight",
        "profile_min_overlap",
        "profile_max_expansion",
        "name_max_words",
        "name_capitalised_share",
        "name_min_mentions",
        "name_evidence_passages",
        "vote_topic_weight",
        "vote_liked_weight",
        "vote_disliked_weight",
        "vote_prior",
        "vote_min_cosine",
        "vote_dislike_raise",
    )
}


def moved_message(path: tuple[str, ...], source: str) -> str | None:
    """The line that tells an operator a setting moved, or None if `path` never was one."""
    where = MOVED.get(path) if len(path) == 2 else None
    if where is None:
        return None
    name = ".".join(path)
    return (
        f"setting {name} in {source or 'the settings'} is no longer a setting: it is {where}"
        f" (see benchmarks/README.md); remove it"
    )
