"""OPML lists of feeds, read and written. Read with defusedxml: an outline is data from
whoever sent it, and a DOCTYPE with entities (the "billion laughs" bomb, an external entity
reaching for a local file) is refused rather than expanded; the list is bounded by the size
of what was read (fetch.max_bytes) and by the feeds the caller will take."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from index.errors import SourceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListedFeed:
    url: str
    title: str


def is_opml(body: bytes) -> bool:
    """Whether a fetched body is an OPML list (told apart from a page or a feed by its head)."""
    return b"<opml" in body[:2048].lstrip().lower()


def opml_feeds(data: bytes | str, origin: str) -> list[ListedFeed]:
    """The feeds (xmlUrl, and the outline's title or text) of an OPML list, each URL once, in
    order; SourceError if it is not one, or declares entities."""
    try:
        root = SafeElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise SourceError(f"{origin} is not valid OPML: {error}") from None
    except DefusedXmlException:
        raise SourceError(
            f"{origin} declares XML entities, which an OPML list never needs"
        ) from None
    except Exception:  # an unknown encoding declared, say
        log.warning("%s: OPML unreadable", origin, exc_info=True)
        raise SourceError(f"{origin} is not valid OPML") from None
    found: dict[str, str] = {}
    for outline in root.iter("outline"):
        url = str(outline.get("xmlUrl") or "").strip()
        if url and url not in found:
            found[url] = str(outline.get("title") or outline.get("text") or "").strip()
    if not isinstance(root.tag, str) or root.tag.lower() != "opml" or not found:
        raise SourceError(f"{origin} is not an OPML list of feeds")
    return [ListedFeed(url, title) for url, title in found.items()]


def parse_opml(data: bytes | str, origin: str) -> list[str]:
    """The feed URLs (xmlUrl) of an OPML outline; SourceError if it is not one."""
    return [feed.url for feed in opml_feeds(data, origin)]


def feeds_opml(feeds: Iterable[ListedFeed], title: str) -> bytes:
    """An OPML 2.0 list of these feeds, as feed readers import it (UTF-8, escaped)."""
    root = ElementTree.Element("opml", version="2.0")
    ElementTree.SubElement(ElementTree.SubElement(root, "head"), "title").text = title
    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        name = feed.title or feed.url
        ElementTree.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=feed.url)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
