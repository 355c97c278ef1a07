"""What kind of answer a question asks for, and which sentences could give it.

A question often restates the sentence it was written from, while the answer is a name or a
number that question lacks ("Liz Cheney lost to which Trump-backed Republican?" is answered by
"... lost to Harriet Hageman", not by "Cheney has lost her seat after voters elected a
Trump-backed candidate"). Three numbers per sentence let the answer selection
(retrieval/selection.py) see that: whether a question asking for a quantity or a date meets a
sentence with one, whether one asking "who / which / where" meets a sentence naming someone or
something the question does not, and how much of the sentence is new to the question. Measured
in benchmarks/README.md "The answering sentence".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.text_terms import content_terms, terms_of_words, words

_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|old|long|far|big|large|tall|often)|when"
    r"|what (year|percentage|percent|number|age|date|time|day|month))\b",
    re.IGNORECASE,
)
_NAME_QUESTION = re.compile(
    r"\b(who|whom|whose|which|where|what (is|was) the name"
    r"|what (company|country|city|team|state|organi[sz]ation|airline|brand|app|firm|group))\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion"
    r"|dozen|January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
# A capitalised word that does not open a sentence: a name, most of the time.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+")
# Three new names are as telling as more: a sentence listing many should not win on count.
_NAMES_COUNTED = 3

ANSWER_TYPE_FEATURES = (
    "quantity_for_quantity",  # the question asks how many / when, the sentence has a number or date
    "names_for_name",  # it asks who / which / where, the sentence names what the question does not
    "novelty",  # share of the sentence's content words the question lacks
)


@dataclass(frozen=True)
class QuestionCues:
    """What the answer selection needs from the question's text, read once per question."""

    wants_quantity: bool
    wants_name: bool
    words: frozenset[str]  # every word of the question, lower-cased
    terms: frozenset[str]  # its content terms


def question_cues(question: str) -> QuestionCues:
    return QuestionCues(
        wants_quantity=bool(_QUANTITY_QUESTION.search(question)),
        wants_name=bool(_NAME_QUESTION.search(question)),
        words=frozenset(words(question)),
        terms=frozenset(content_terms(question)),
    )


def answer_type_rows(
    cues: QuestionCues, sentences: Sequence[str], split: Sequence[Sequence[str]]
) -> np.ndarray:
    """One row of ANSWER_TYPE_FEATURES per sentence; `split` is each one's `words`."""
    rows = np.zeros((len(sentences), len(ANSWER_TYPE_FEATURES)), dtype=np.float32)
    for i, (sentence, sentence_words) in enumerate(zip(sentences, split, strict=True)):
        if cues.wants_quantity and _QUANTITY.search(sentence):
            rows[i, 0] = 1.0
        if cues.wants_name:
            rows[i, 1] = _new_names(sentence, cues.words) / _NAMES_COUNTED
        rows[i, 2] = _novelty(sentence_words, cues.terms)
    return rows


def _new_names(sentence: str, known: Collection[str]) -> int:
    count = 0
    for name in _NAME.findall(sentence):
        # Split as `words` would ("Trump-backed" is known to a question saying "Trump"),
        # without its full rules: a name is a run of word characters, apostrophes, hyphens.
        parts = name.lower().replace("’", "'").split("-")
        if any(part.strip("'") not in known for part in parts if part):
            count += 1
            if count == _NAMES_COUNTED:
                break
    return count


def _novelty(sentence_words: Sequence[str], known: Collection[str]) -> float:
    terms = set(terms_of_words(sentence_words))
    if not terms:
        return 0.0
    return len(terms.difference(known)) / len(terms)
