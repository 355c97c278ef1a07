"""Following an outlet: `source:bbc.co.uk`, `source:"BBC News"` or `source:<a feed's URL>` in a
topic, read into one required rule and matched against what each article says of its origin.

A source rule is stored among a subscription's required rules as `source:<key>` (no schema
change), and an article offers the keys of its origin alongside its word stems (see
`source_keys`), so both matching paths test it like any other required word: pair by pair
(`rule_met`) and compiled (the rule's key is looked up verbatim, never stemmed).

Keys: a domain (any typed URL becomes its host, `www.` dropped, lower case) or an outlet
name (the article's `source` field, case and spacing ignored). An article offers its URL's
host and every parent domain of it of two or more labels (a story on news.bbc.co.uk is from
bbc.co.uk; without a public suffix list, `source:co.uk` would match every .co.uk story),
the same for the feed it came from (a feed on feeds.bbci.co.uk, stories on bbc.co.uk), and
its outlet name.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PREFIX = "source:"
MAX_SOURCE_CHARS = 100  # a domain, outlet name or feed URL as typed
# `source:` then a quoted name (an unclosed quote runs to the end) or one token.
SOURCE_TOKEN = re.compile(r'(?<!\S)source:(?:["“”]([^"“”]*)["“”]?|(\S*))', re.IGNORECASE)
_KEY_PART = re.compile(r"[\w.]+")  # spaces split a rule's words, | its alternatives: neither
_DOMAIN_PATH = re.compile(r"[\w-]+(?:\.[\w-]+)+/")  # bbc.co.uk/news: a URL without its scheme


class SourceError(ValueError):
    """A source that cannot be followed as written; the message says why."""


def read_source(text: str) -> tuple[str, str | None]:
    """`text` without its `source:` token, and the rule of that source (None without one).
    SourceError for an empty, too long or second source."""
    found = list(SOURCE_TOKEN.finditer(text))
    if not found:
        return text, None
    if len(found) > 1:
        raise SourceError("Please follow one source per topic, e.g. source:bbc.co.uk ukraine.")
    typed = (found[0].group(1) if found[0].group(1) is not None else found[0].group(2)).strip()
    if not typed:
        raise SourceError("Please name the source, e.g. source:bbc.co.uk.")
    if len(typed) > MAX_SOURCE_CHARS:
        raise SourceError(f"Please keep a source under {MAX_SOURCE_CHARS} characters.")
    key = source_key(typed)
    if not key:
        raise SourceError("Please name the source, e.g. source:bbc.co.uk.")
    rest = " ".join(f"{text[: found[0].start()]} {text[found[0].end() :]}".split())
    return rest, PREFIX + key


def source_key(typed: str) -> str:
    """What a typed source is matched by: a URL's host, a domain, or an outlet name, folded
    ("" when nothing in it can be followed)."""
    folded = typed.casefold().strip()
    if "://" in folded or _DOMAIN_PATH.match(folded):
        folded = _host(folded if "//" in folded else f"//{folded}") or ""
    return _fold(folded)


def _fold(text: str) -> str:
    """Lower-case words and dots joined by "-" (a key has no spaces and no |), `www.` off."""
    key = "-".join(_KEY_PART.findall(text.casefold())).strip(".-")
    while key.startswith("www."):
        key = key[4:].strip(".-")
    return key


def is_source_rule(rule: str) -> bool:
    return rule.startswith(PREFIX)


def shown_source(rule: str) -> str:
    """A source rule for people: `bbc.co.uk`."""
    return rule[len(PREFIX) :]


def source_keys(url: str | None, feed_url: str | None, outlet: str | None) -> frozenset[str]:
    """The keys an article offers source rules: its URL's and its feed's domains with their
    parents, and its outlet name."""
    keys: set[str] = set()
    for address in (url, feed_url):
        host = _host(address) if address else None  # an address without // has no host
        if host:
            labels = host.split(".")
            keys.update(_fold(".".join(labels[i:])) for i in range(len(labels) - 1))
            keys.add(_fold(host))
    if outlet:
        keys.add(_fold(outlet))
    return frozenset(PREFIX + k for k in keys if k)


def _host(address: str) -> str | None:
    try:
        host = urlsplit(address).hostname
    except ValueError:
        return None
    return host.casefold().rstrip(".") if host else None
