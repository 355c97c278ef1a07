"""A topic's rules as typed: `+word`, `-word`, quoted phrases (`+"new york"`, `-"opinion
piece"`) and alternatives (`ukraine OR kyiv`), read into the rules matching applies.

A rule is stored as text, so subscriptions keep their two columns of rules: a required rule
("clause") is its alternatives joined by "|", an alternative is one word or a phrase (its
words joined by a space), and an excluded rule is one word or phrase. A one-word rule is
stored as it always was.

Matching compares stems (retrieval/text_terms.py): a word is present when its stem is among
the article's; a phrase when each of its consecutive word pairs is (`text_keys` adds the
pairs of the article's words to its stems). A phrase of three or more words is thus read as
overlapping pairs, which two separate mentions could in principle satisfy together; for the
names and set phrases people follow this does not happen in practice, and it keeps an
article's evidence one set whatever the topics.

Grammar (`read_rules`): a token is a word or a quoted phrase (straight or curly quotes; an
unclosed quote runs to the end), optionally signed + or -; `OR` (upper case) between two
tokens joins them into alternatives. A group of alternatives is required (one of them must
appear); its unsigned members are also words of the topic's meaning. A group of -tokens
excludes each of them. An `OR` with nothing on one side is an ordinary word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.alerts.sources import is_source_rule, shown_source
from retrieval.text_terms import stem, words

ALTERNATIVES = "|"  # joins a required rule's alternatives in storage
_QUOTES = '"“”„«»'
_TOKEN = re.compile(rf"([+-]?)(?:[{_QUOTES}]([^{_QUOTES}]*)[{_QUOTES}]?|(\S+))")


class RuleError(ValueError):
    """Rules that cannot be followed as written; the message says why."""


@dataclass(frozen=True)
class Rules:
    query: tuple[str, ...]  # the unsigned words and phrases, as typed: the topic's meaning
    required: tuple[str, ...]  # clauses: each must be met by one of its alternatives
    excluded: tuple[str, ...]  # words and phrases none of which may appear


@dataclass(frozen=True)
class _Item:
    sign: str
    words: tuple[str, ...]
    typed: str  # for the query: the token as typed, without its sign


def _items(text: str) -> list[_Item | None]:
    """The tokens of `text` (None for each `OR`), in order; tokens without words dropped."""
    items: list[_Item | None] = []
    for found in _TOKEN.finditer(text):
        sign, phrase, word = found.group(1), found.group(2), found.group(3)
        if phrase is None and not sign and word == "OR":
            items.append(None)
            continue
        split = tuple(w for w in words(phrase if phrase is not None else word) if w)
        if not split:
            continue
        if phrase is not None:
            items.append(_Item(sign, split, f'"{" ".join(split)}"'))
        elif sign:  # `+new-york`: each word a rule of its own, as it always was
            items.extend(_Item(sign, (w,), w) for w in split)
        else:
            items.append(_Item("", split, word))
    return items


def _groups(items: list[_Item | None]) -> list[list[_Item]]:
    """Items joined by OR into groups; an OR without an item on both sides is a word."""
    groups: list[list[_Item]] = []
    joining = False
    for position, item in enumerate(items):
        if item is None:
            between = 0 < position < len(items) - 1 and items[position + 1] is not None
            if between and groups and not joining:
                joining = True
            else:
                groups.append([_Item("", ("or",), "OR")])
                joining = False
            continue
        if joining:
            groups[-1].append(item)
        else:
            groups.append([item])
        joining = False
    return groups


def read_rules(text: str) -> Rules:
    """The query words and the rules of a topic as typed. RuleError for a group that mixes
    -words with others."""
    query: list[str] = []
    required: list[str] = []
    excluded: list[str] = []
    for group in _groups(_items(text)):
        signs = {item.sign for item in group}
        if len(group) > 1 and "-" in signs and signs != {"-"}:
            raise RuleError("A -word cannot be one of the alternatives of OR; write it apart.")
        if signs == {"-"}:
            excluded.extend(" ".join(item.words) for item in group)
            continue
        if len(group) == 1 and signs == {""}:
            query.append(group[0].typed)
            continue
        query.extend(item.typed for item in group if not item.sign)
        alternatives = dict.fromkeys(" ".join(item.words) for item in group)
        required.append(ALTERNATIVES.join(alternatives))
    return Rules(tuple(query), tuple(dict.fromkeys(required)), tuple(dict.fromkeys(excluded)))


def alternatives(rule: str) -> list[tuple[str, ...]]:
    """The alternatives of a stored rule, each as its words."""
    return [tuple(a.split()) for a in rule.split(ALTERNATIVES) if a.strip()]


def rule_words(rules: Iterable[str]) -> list[str]:
    """Every word of these rules (not their sources), in order, without repeats."""
    return list(
        dict.fromkeys(
            w
            for rule in rules
            if not is_source_rule(rule)
            for alt in alternatives(rule)
            for w in alt
        )
    )


def _keys(alternative: tuple[str, ...]) -> tuple[str, ...]:
    stems = [stem(w) for w in alternative]
    if len(stems) == 1:
        return (stems[0],)
    return tuple(f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False))


def rule_keys(rule: str) -> list[tuple[str, ...]]:
    """Per alternative of the rule, the keys an article must all have (see `text_keys`; a
    source rule is its own key, retrieval/alerts/sources.py)."""
    if is_source_rule(rule):
        return [(rule,)]
    return [_keys(alt) for alt in alternatives(rule)]


def text_keys(split: list[str]) -> frozenset[str]:
    """What an article's words (`words(text)`) offer the rules: their stems, and each pair of
    consecutive stems joined by a space (the pairs phrases are matched on)."""
    stems = [stem(w) for w in split]
    return frozenset(stems) | {f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)}


def rule_met(keys: frozenset[str], rule: str) -> bool:
    """Whether an article with these keys meets the rule (one of its alternatives appears)."""
    return any(all(k in keys for k in alt) for alt in rule_keys(rule))


def show_rule(rule: str) -> str:
    """A stored rule for people: `“new york”`, `ukraine or kyiv`, `from: bbc.co.uk`."""
    if is_source_rule(rule):
        return f"from: {shown_source(rule)}"
    return " or ".join(
        f"“{' '.join(alt)}”" if len(alt) > 1 else alt[0] for alt in alternatives(rule)
    )


def typed_rule(rule: str, sign: str) -> str:
    """A stored rule as it is typed, signed: `+"new york"`, `+ukraine OR +kyiv`,
    `source:bbc.co.uk` (never signed)."""
    if is_source_rule(rule):
        return rule
    return " OR ".join(
        f'{sign}"{" ".join(alt)}"' if len(alt) > 1 else f"{sign}{alt[0]}"
        for alt in alternatives(rule)
    )
