"""Follow-up questions ("and Putin?", "why?", "what did he say?"): whether a message leans on
the question before it, and the question it means once the earlier subject is carried over.

Three shapes, tried in order:
- another name in the same question ("and Putin?", "what about the EU?"): the earlier
  question with its first name replaced (or the new one added when it had none);
- a question word alone or nearly ("why?", "and when?", "how many?"): the earlier question
  with its question word swapped, so the subject stays and the answer type changes;
- a pronoun standing for the earlier subject ("what did he say?"): the pronoun replaced by
  the earlier question's first name (or the earlier content words added).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.answer import MAX_QUESTION_CHARS
from retrieval.text_terms import content_terms
from retrieval.time_phrases import names_a_time

# A message longer than this stands on its own.
MAX_FOLLOW_UP_WORDS = 8
_WH = r"(?:why|when|where|how\s+many|how\s+much|how\s+long|how|who|whom|whose|what|which)"
_SWAP = re.compile(
    r"^\s*(?:and|but|also|or)?\s*(?:what|how)\s+about\s+(?P<other>.+?)\s*[?.!]*\s*$"
    r"|^\s*(?:and|but|also|or)\s+(?P<other2>(?!" + _WH + r"\b).+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_BARE_WH = re.compile(
    r"^\s*(?:and|but|so|ok|okay)?[\s,]*"
    rf"(?P<wh>(?:(?:in|at|on|from|to|for|by|with)\s+)?{_WH})\b(?P<rest>[^?.!]{{0,40}})[?.!]*\s*$",
    re.IGNORECASE,
)
# Words a short follow-up may add to its question word and still lean ("who won?").
MAX_REST_WORDS = 2
# "this" and "these" are left out: they open phrases of their own ("this week").
_PRONOUN = re.compile(r"\b(?:he|she|they|him|her|them|it|his|its|their|that)\b", re.IGNORECASE)
# Pronouns that stand for a person or a group, replaced by the earlier question's first name
# ("this", "that", "it" stand for the event: the question word is swapped instead).
_PERSON = re.compile(r"\b(?:he|she|they|him|her|them|his|their)\b", re.IGNORECASE)
_CONJUNCTION = re.compile(r"^\s*(?:and|but|so|also|ok|okay)\b[\s,]*", re.IGNORECASE)
_LEADING_WH = re.compile(rf"^\s*{_WH}\b", re.IGNORECASE)
# A name: capitalised words (with a possessive, hyphens, initials) in a row.
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of\s+)?[A-Z][\w'’.-]*)*")
# Rest words that still lean on the earlier question ("why so?", "when was that?").
_LEANING_REST = frozenset("so exactly then that it was is did does do be".split())


@dataclass(frozen=True)
class FollowUp:
    question: str  # the question meant, subject carried over
    previous: str  # the question it leans on


def leans_on(message: str) -> bool:
    """Whether a message reads as a follow-up rather than a question of its own."""
    text = (message or "")[:MAX_QUESTION_CHARS]
    if not text.strip() or len(text.split()) > MAX_FOLLOW_UP_WORDS:
        return False
    if names_a_time(text):
        return False  # "what happened yesterday?", "what's new?": a question of its own
    if _SWAP.match(text):
        return True
    if _names(text):
        return False  # "Who is Luigi Mangione?": it names its own subject
    return bool(_BARE_WH.match(text) and _bare_rest_leans(text) or _PRONOUN.search(text))


def carry_over(previous: str, message: str) -> FollowUp | None:
    """The question `message` means after `previous`, or None when it stands alone."""
    previous = " ".join((previous or "")[:MAX_QUESTION_CHARS].split())
    text = " ".join((message or "")[:MAX_QUESTION_CHARS].split())
    if not previous or not leans_on(text):
        return None
    earlier = _names(previous)
    swap = _SWAP.match(text)
    if swap:
        other = (swap.group("other") or swap.group("other2") or "").strip()
        replaced = next((n for n in earlier if n.lower() != other.lower()), None)
        if replaced:
            question = previous.replace(replaced, other, 1)
        else:
            question = f"{previous.rstrip('?.! ')} {other}?"
        return FollowUp(question, previous)
    text = _CONJUNCTION.sub("", text) or text
    if earlier and _PERSON.search(text):
        person = max(earlier, key=lambda n: len(n.split()))  # a full name over an acronym
        return FollowUp(_PERSON.sub(person, text, count=1), previous)
    bare = _BARE_WH.match(text)
    if bare and _bare_rest_leans(text):
        subject = _LEADING_WH.sub("", previous, count=1).strip().rstrip("?.! ")
        asked = " ".join([bare.group("wh"), *_own_words(bare.group("rest"))])
        return FollowUp(f"{asked[0].upper()}{asked[1:]} {subject}?", previous)
    return FollowUp(f"{text.rstrip('?.! ')} {' '.join(content_terms(previous))}?", previous)


def _bare_rest_leans(text: str) -> bool:
    match = _BARE_WH.match(text)
    if match is None:
        return False
    return len(_own_words(match.group("rest"))) <= MAX_REST_WORDS


def _own_words(rest: str) -> list[str]:
    """The words a short follow-up adds besides those that only lean ("was that")."""
    words = re.findall(r"[\w'’-]+", rest)
    return [w for w in words if w.lower() not in _LEANING_REST and not _PRONOUN.fullmatch(w)]


def _names(text: str) -> list[str]:
    """Capitalised runs, the question's first word left out (capitalised by position)."""
    found = []
    for match in _NAME.finditer(text):
        name = match.group(0)
        if match.start() == len(text) - len(text.lstrip()):
            first, _, rest = name.partition(" ")
            if _LEADING_WH.match(first) or first.lower() in _OPENERS:
                if not rest:
                    continue
                name = rest
        found.append(name.rstrip(".'’"))
    return [n for n in found if n.lower() not in _OPENERS]


_OPENERS = frozenset(
    "what why when where who whom whose which how is are was were did does do can could "
    "will would should has have had and but so tell show give i the a an".split()
)
