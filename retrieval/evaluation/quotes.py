"""Quote precision: of the quotes a reply shows, the share that answer.

A quote answers when its article is one the question was written from (a gold URL) or holds
the answer string anywhere in its text. Every question is asked with the later quotes' bar
switched off (`retrieval.quote_below` = 0) and each quote's score recorded, so the bar is
applied afterwards exactly as the Answerer applies it (quote 1 always; each later quote when
its own score reaches the bar), and one run gives the whole curve. Only answered questions
count: an abstention shows no quote.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from typing import Protocol

# The later quotes that answer which a bar must still show: the rule abstain_below is
# calibrated by (the highest value that keeps >= 90% of the right answers).
KEPT_SHARE = 0.9
BAR_GRID = tuple(round(0.01 * i, 2) for i in range(0, 71))


class Scored(Protocol):
    evidence: float
    quote_scores: tuple[float, ...]
    quote_relevant: tuple[bool, ...]


def normalised_url(url: str | None) -> str:
    """The same article whatever its scheme, "www.", case or trailing "/" or "!"."""
    text = (url or "").strip().rstrip("!").lower()
    return re.sub(r"^https?://(www\.)?", "", text).rstrip("/")


def answers(article: dict | None, answer: str | None, gold: frozenset[str]) -> bool:
    """Whether a quote from this stored article (PassageStore.article) answers."""
    if article is None:
        return False
    if gold and normalised_url(article.get("url")) in gold:
        return True
    return bool(answer) and answer.lower() in str(article.get("text") or "").lower()


def shown(result: Scored, bar: float, count: int) -> list[bool]:
    """Whether each quote shown answers, with the later quotes held to `bar`."""
    flags = list(result.quote_relevant[:1])
    for score, relevant in zip(result.quote_scores[1:], result.quote_relevant[1:], strict=True):
        if len(flags) >= count:
            break
        if score >= bar:
            flags.append(relevant)
    return flags


def precision_at(results: Sequence[Scored], threshold: float, bar: float, count: int) -> dict:
    answered = [r for r in results if r.quote_scores and r.evidence >= threshold]
    rows = [shown(r, bar, count) for r in answered]
    quotes = [flag for row in rows for flag in row]
    later_right = sum(sum(row[1:]) for row in rows)
    return {
        "bar": bar,
        "quote_precision": round(sum(quotes) / len(quotes), 4) if quotes else 0.0,
        "quotes_shown_mean": round(statistics.fmean(len(row) for row in rows), 3) if rows else 0.0,
        "later_right": later_right,
    }


def quote_precision(
    results: Sequence[Scored], threshold: float, bar: float, count: int
) -> dict[str, object]:
    """At the product's bar, without one, the calibrated bar, and the curve."""
    curve = [precision_at(results, threshold, b, count) for b in BAR_GRID]
    unbarred = precision_at(results, threshold, 0.0, count)
    keeping = [
        point["bar"]
        for point in curve
        if point["later_right"] >= KEPT_SHARE * unbarred["later_right"]
    ]
    return {
        **precision_at(results, threshold, bar, count),
        "quotes": count,
        "without_bar": unbarred,
        "calibrated_bar": max(keeping) if keeping else 0.0,
        "curve": curve,
    }
