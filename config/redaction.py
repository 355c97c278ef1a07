"""The one place a storage URL is made fit to show: in messages, log lines, settings errors
and `stats` its password never appears.

The URL may be malformed (that is often why it is being shown), so it is taken apart by hand,
leniently, never by the driver: everything between "scheme://" and the last "@" is the
user and password, and a `password=` anywhere (a query parameter, a key=value conninfo) is
a password too. When in doubt more is hidden, never less.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

HIDDEN = "***"
_DELIMITERS = re.compile(r"[@/:?#\s'\"%&=\[\]]+")
_PASSWORD_PARAMETER = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)", re.IGNORECASE)


def redacted_url(url: str) -> str:
    """`url` with its password replaced by ***: postgresql://user:***@host:5432/db."""
    text = _PASSWORD_PARAMETER.sub(rf"\1{HIDDEN}", url)
    scheme, separator, rest = text.partition("://")
    if not separator:
        return text
    userinfo, at, place = rest.rpartition("@")
    if not at:
        return text
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':' + HIDDEN if colon else ''}@{place}"


def passwords_in(url: str) -> list[str]:
    """Every form the URL's password can take in a message (as written, percent-decoded,
    stripped), longest first: what `scrubbed` removes."""
    found = [m.group(2).strip("'") for m in _PASSWORD_PARAMETER.finditer(url)]
    _, separator, rest = url.partition("://")
    if separator:
        userinfo, at, _ = rest.rpartition("@")
        if at and ":" in userinfo:
            found.append(userinfo.partition(":")[2])
    forms = {form for raw in found for form in (raw, raw.strip(), unquote(raw)) if form}
    # libpq, splitting a malformed URL where it can, may show a piece of the password as a
    # host or a port ("p@ss" read as user "p", host "ss@…"): each piece is hidden too.
    pieces = {piece for form in forms for piece in _DELIMITERS.split(form) if len(piece) >= 3}
    return sorted(forms | pieces, key=len, reverse=True)


def scrubbed(text: str, url: str) -> str:
    """`text` (a driver's message about `url`, say) with the URL shown redacted and its
    password hidden wherever else it appears."""
    if not url:
        return text
    for form in (url, url.strip()):
        if form:
            text = text.replace(form, redacted_url(form))
    for password in passwords_in(url):
        text = text.replace(password, HIDDEN)
    return text
