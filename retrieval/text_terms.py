"""Words of a question worth searching for, and a light stemmer to compare them with sentences."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves out
    over own same shan't she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was wasn't we we'd we'll
    we're we've were weren't what what's when when's where where's which while who who's
    whom why why's will with won't would wouldn't you you'd you'll you're you've your yours
    yourself yourselves s t also just said says say tell told one two among according week
    weeks this last latest recent recently new news year years month today yesterday
    following these those whose happened
    """.split()
)
_WORD = re.compile(r"[\w][\w'’-]*", re.UNICODE)


# Lower-casing a whole text gives each word as lower-casing it alone would, except for these
# two: "İ" grows a combining dot (which splits the word) and "Σ" depends on what follows.
_CONTEXT_CASED = ("\u0130", "\u03a3")


def words(text: str) -> list[str]:
    """The text's words, lower-cased, apostrophes made straight and trimmed, hyphens split."""
    text = text.replace("-", " ")
    if not any(c in text for c in _CONTEXT_CASED):
        # One lower() and one replace() for the text instead of per word: every answer
        # splits ~80 candidate sentences (benchmarks/README.md "The answering sentence").
        return [w.strip("'") for w in _WORD.findall(text.lower().replace("’", "'"))]
    return [w.lower().replace("’", "'").strip("'") for w in _WORD.findall(text)]


def content_terms(text: str) -> list[str]:
    """Lower-cased words that carry meaning, in order, without repeats."""
    return terms_of_words(words(text))


def terms_of_words(split: Sequence[str]) -> list[str]:
    """content_terms of a text already split by `words` (a caller that needs both)."""
    return list(
        dict.fromkeys(
            word.removesuffix("'s")
            for word in split
            if word and word not in STOPWORDS and (len(word) > 1 or word.isdigit())
        )
    )


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Strip common English inflections so "talks"/"talk" and "proposed"/"proposal" meet.
    Cached: marking stems every word of a dozen passages per answer, mostly the same words."""
    word = word.removesuffix("'s")
    for suffix in (
        "ations",
        "ation",
        "ings",
        "ing",
        "ies",
        "ied",
        "edly",
        "ed",
        "es",
        "s",
        "al",
        "ly",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word
