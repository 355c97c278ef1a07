"""Telegram's HTML parse mode as the fake server checks it (stricter than Telegram where
Telegram is lax), UTF-16 offsets, and the entities Telegram detects in incoming text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from newsbot_testing.fake_bot_api.protocol import ApiError, bad_request


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's offsets and length limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def entity_text(text: str, entity: dict) -> str:
    """The part of ``text`` covered by a MessageEntity dict (UTF-16 offsets)."""
    raw = text.encode("utf-16-le", "surrogatepass")
    start = 2 * entity["offset"]
    return raw[start : start + 2 * entity["length"]].decode("utf-16-le", "surrogatepass")


def _utf16_index(text: str, index: int) -> int:
    return utf16_len(text[:index])


# --------------------------------------------------------------------------- HTML parse mode

_SPACES = " \t\r\n\v\f\0"
_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip
_SUPPORTED_TAGS = frozenset(_SIMPLE_TAGS) | {"a", "code", "pre", "blockquote", "tg-emoji"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(
    r"&(?:#x(?P<hex>[0-9a-fA-F]{1,6})|#(?P<dec>[0-9]{1,7})|(?P<name>[A-Za-z][A-Za-z0-9]*));"
)
_TG_USER_RE = re.compile(r"tg://user\?id=(\d+)$", re.IGNORECASE)
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?")
_TG_SCHEMES = ("tg", "ton", "tonsite")


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_index: int
    byte_offset: int


class _HtmlParser:
    """Telegram's HTML subset, following tdlib's ``parse_html`` (plus strict ``&``)."""

    def __init__(self, source: str):
        self.src = source
        self.out: list[str] = []
        self.utf16 = 0
        self.entities: list[dict] = []
        self.stack: list[_OpenTag] = []

    def parse(self) -> tuple[str, list[dict]]:
        i = 0
        while i < len(self.src):
            char = self.src[i]
            if char == "&":
                decoded, i = self._read_entity(i)
                self._emit(decoded)
            elif char == "<":
                i = self._read_tag(i)
            else:
                self._emit(char)
                i += 1
        if self.stack:
            name = self.stack[-1].name
            raise self._fail(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    # -- helpers

    def _emit(self, text: str) -> None:
        for char in text:
            self.out.append(char)
            self.utf16 += 2 if ord(char) > 0xFFFF else 1

    def _char(self, i: int) -> str:
        return self.src[i] if i < len(self.src) else "\0"

    def _at(self, i: int) -> str:
        offset = len(self.src[:i].encode("utf-8", "surrogatepass"))
        return f"at byte offset {offset}"

    @staticmethod
    def _fail(reason: str) -> ApiError:
        return bad_request(f"can't parse entities: {reason}")

    def _skip_spaces(self, i: int) -> int:
        while i < len(self.src) and self.src[i] in _SPACES:
            i += 1
        return i

    # -- character references

    def _read_entity(self, i: int) -> tuple[str, int]:
        match = _ENTITY_RE.match(self.src, i)
        if match is None:
            if self._char(i + 1) in " \t\r\n" and i + 1 < len(self.src):
                return "&", i + 1  # a lone "&" before whitespace is harmless
            raise self._fail(f'Unescaped "&", use "&amp;" {self._at(i)}')
        if match["name"] is not None:
            if match["name"] not in _NAMED_ENTITIES:
                raise self._fail(f'Unsupported HTML entity "{match[0]}" {self._at(i)}')
            return _NAMED_ENTITIES[match["name"]], match.end()
        code = int(match["hex"], 16) if match["hex"] is not None else int(match["dec"])
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self._fail(f'Invalid character reference "{match[0]}" {self._at(i)}')
        return chr(code), match.end()

    # -- tags

    def _read_tag(self, begin: int) -> int:
        if self._char(begin + 1) == "/":
            return self._read_end_tag(begin)
        i = begin + 1
        while self._char(i) not in _SPACES and self._char(i) != ">":
            i += 1
        if i >= len(self.src):
            raise self._fail(f"Unclosed start tag {self._at(begin)}")
        name = self.src[begin + 1 : i].lower()
        if name not in _SUPPORTED_TAGS:
            raise self._fail(f'Unsupported start tag "{name}" {self._at(begin)}')
        i, attributes = self._read_attributes(i, name, begin)
        argument = self._tag_argument(name, attributes, begin)
        self.stack.append(_OpenTag(name, argument, self.utf16, len(self.out), begin))
        return i + 1

    def _read_attributes(self, i: int, tag: str, begin: int) -> tuple[int, dict]:
        attributes: dict[str, str | None] = {}
        while True:
            i = self._skip_spaces(i)
            if i >= len(self.src):
                raise self._fail(f'Unclosed start tag "{tag}" {self._at(begin)}')
            if self.src[i] == ">":
                return i, attributes
            start = i
            while self._char(i) not in _SPACES and self._char(i) not in "=>":
                i += 1
            name = self.src[start:i].lower()
            if not name:
                raise self._fail(f'Empty attribute name in the tag "{tag}" {self._at(begin)}')
            i = self._skip_spaces(i)
            if self._char(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    attributes[name] = None
                    continue
                raise self._fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" {self._at(begin)}'
                )
            i, attributes[name] = self._read_attribute_value(self._skip_spaces(i + 1), tag, begin)

    def _read_attribute_value(self, i: int, tag: str, begin: int) -> tuple[int, str]:
        if i >= len(self.src):
            raise self._fail(f'Unclosed start tag "{tag}" {self._at(begin)}')
        quote = self.src[i]
        if quote not in "\"'":
            start = i  # an unquoted name token: letters, digits, "." and "-"
            while self._char(i).isalnum() or self._char(i) in ".-":
                i += 1
            if i >= len(self.src):
                raise self._fail(f'Unclosed start tag "{tag}" {self._at(begin)}')
            if self.src[i] not in _SPACES and self.src[i] != ">":
                raise self._fail(f"Unexpected end of name token {self._at(start)}")
            return i, self.src[start:i].lower()
        value: list[str] = []
        i += 1
        while i < len(self.src) and self.src[i] != quote:
            if self.src[i] == "&":
                decoded, i = self._read_entity(i)
                value.append(decoded)
            else:
                value.append(self.src[i])
                i += 1
        if i >= len(self.src):
            raise self._fail(f"Unclosed start tag {self._at(begin)}")
        return i + 1, "".join(value)

    def _tag_argument(self, tag: str, attributes: dict, begin: int) -> str:
        if tag == "a":
            return attributes.get("href") or ""
        if tag == "code":
            css_class = attributes.get("class") or ""
            return css_class.removeprefix("language-") if css_class.startswith("language-") else ""
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise self._fail(f'Tag "span" must have class "tg-spoiler" {self._at(begin)}')
        if tag == "tg-emoji":
            emoji_id = attributes.get("emoji-id") or ""
            if not emoji_id.isdigit() or int(emoji_id) == 0:
                raise self._fail("Invalid custom emoji identifier specified")
            return emoji_id
        if tag == "blockquote":
            return "expandable" if "expandable" in attributes else ""
        return ""

    def _read_end_tag(self, begin: int) -> int:
        if not self.stack:
            raise self._fail(f"Unexpected end tag {self._at(begin)}")
        i = begin + 2
        while self._char(i) not in _SPACES and self._char(i) != ">":
            i += 1
        end_name = self.src[begin + 2 : i].lower()
        i = self._skip_spaces(i)
        if self._char(i) != ">":
            raise self._fail(f"Unclosed end tag {self._at(begin)}")
        open_tag = self.stack[-1]
        if end_name and end_name != open_tag.name:
            raise self._fail(
                f'Unmatched end tag {self._at(begin)}, expected "</{open_tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        if self.utf16 > open_tag.utf16_offset:
            self._close_entity(open_tag)
        return i + 1

    # -- entities

    def _close_entity(self, tag: _OpenTag) -> None:
        offset, length = tag.utf16_offset, self.utf16 - tag.utf16_offset
        last = self.entities[-1] if self.entities else None
        same_range = last is not None and (last["offset"], last["length"]) == (offset, length)
        if tag.name in _SIMPLE_TAGS:
            self._add(_SIMPLE_TAGS[tag.name], offset, length)
        elif tag.name == "a":
            self._close_link(tag, offset, length)
        elif tag.name == "pre" and same_range and last["type"] == "code":
            last["type"] = "pre"  # <pre><code class="language-x">: one pre entity
            if last.get("_lang"):
                last["language"] = last.pop("_lang")
        elif tag.name == "pre":
            self._add("pre", offset, length)
        elif tag.name == "code" and same_range and last["type"] == "pre":
            if tag.argument:
                last["language"] = tag.argument
        elif tag.name == "code":
            self._add("code", offset, length, _lang=tag.argument)
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if tag.argument else "blockquote"
            self._add(kind, offset, length)
        elif tag.name == "tg-emoji":
            self._add("custom_emoji", offset, length, custom_emoji_id=tag.argument)

    def _close_link(self, tag: _OpenTag, offset: int, length: int) -> None:
        url = tag.argument or "".join(self.out[tag.text_index :])
        user = _TG_USER_RE.match(url)
        if user:
            mentioned = {"id": int(user[1]), "is_bot": False, "first_name": "User"}
            self._add("text_mention", offset, length, user=mentioned)
            return
        normalized = normalize_link(url)
        if normalized is not None:  # like Telegram, an invalid link is silently dropped
            self._add("text_link", offset, length, url=normalized)

    def _add(self, kind: str, offset: int, length: int, **extra: Any) -> None:
        entity = {"type": kind, "offset": offset, "length": length}
        entity.update({k: v for k, v in extra.items() if v not in (None, "")})
        self.entities.append(entity)


def normalize_link(url: str) -> str | None:
    """Telegram's view of a link: None if invalid, else normalised (``http://`` added,
    ``/`` appended to a bare host)."""
    url = url.strip()
    if not url or any(c in _SPACES for c in url):
        return None
    match = _SCHEME_RE.match(url)
    if match and (match[2] or match[1].lower() in ("mailto", *_TG_SCHEMES)):
        scheme, rest = match[1].lower(), url[match.end() :]
    else:
        scheme, rest = "http", url
    if scheme == "mailto":
        return url if "@" in rest else None
    if scheme in _TG_SCHEMES:
        return f"{scheme}://{rest}" if rest else None
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if scheme not in ("http", "https") or not host:
        return None
    if "." not in host and not host.startswith(("localhost", "[")):
        return None
    return f"{scheme}://{rest}/" if host == rest else f"{scheme}://{rest}"


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into ``(plain_text, entities)``; raises ApiError(400)."""
    text, entities = _HtmlParser(source).parse()
    for entity in entities:
        entity.pop("_lang", None)
    return text, entities


def strip_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram trims leading/trailing whitespace of a message, clipping entities."""
    stripped = text.strip(" \t\r\n\v\f")
    lead = len(text) - len(text.lstrip(" \t\r\n\v\f"))
    size = utf16_len(stripped)
    clipped = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return stripped, clipped


# --------------------------------------------------------------------------- incoming text

_INCOMING_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/]))"
    r"|(?P<mention>(?<![A-Za-z0-9_@])@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_]))"
)


def detect_entities(text: str) -> list[dict]:
    """bot_command and mention entities, as Telegram adds them to users' messages."""
    entities = []
    for match in _INCOMING_ENTITY_RE.finditer(text):
        offset = _utf16_index(text, match.start())
        length = utf16_len(match[0])
        entities.append({"type": match.lastgroup, "offset": offset, "length": length})
    return entities
