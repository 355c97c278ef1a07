"""Articles from local files: plain text, Markdown, HTML, and JSON Lines (optionally gzipped)."""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from index.articles import Article, clean_text, normalise_date
from index.errors import SourceError
from index.web_sources import extract_article

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".text", ".md", ".markdown", ".html", ".htm", ".jsonl", ".jsonl.gz")

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_MD_PREFIX = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")


def is_supported_file(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES) or path.suffix.lower() == ".opml"


def read_file(path: Path) -> Iterator[Article]:
    """Yield the articles in a file; SourceError if it cannot be read or holds none."""
    name = path.name.lower()
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if not path.is_file():
        raise SourceError(f"{path}: not a file")
    if name.endswith((".jsonl", ".jsonl.gz")):
        yield from _read_jsonl(path)
        return
    raw = _read_text(path)
    if name.endswith((".md", ".markdown")):
        yield _article_from_lines(path, _strip_markdown(raw))
    elif name.endswith((".html", ".htm")):
        yield extract_article(raw, url=None, fallback_source=path.name)
    elif name.endswith((".txt", ".text")):
        yield _article_from_lines(path, raw)
    else:
        raise SourceError(f"{path}: unsupported file type (use {', '.join(SUFFIXES)} or .opml)")


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text") from None


def _article_from_lines(path: Path, raw: str) -> Article:
    """Plain text: the title on the first non-empty line, the article after it."""
    text = clean_text(raw)
    title, _, body = text.partition("\n")
    if not body.strip():
        raise SourceError(f"{path}: needs a title line followed by the article text")
    return Article(title=title.strip(), text=body.strip(), url=None, source=path.name)


def _strip_markdown(raw: str) -> str:
    lines = []
    for line in raw.splitlines():
        if line.strip().startswith("```") or re.fullmatch(r"\s*([-*_]\s*){3,}", line):
            continue
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_PREFIX.sub("", line)
        line = _MD_EMPHASIS.sub(r"\2", line)
        lines.append(line)
    return "\n".join(lines)


def _read_jsonl(path: Path) -> Iterator[Article]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    found = 0
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                article = _article_from_json(line, path, number)
                if article is not None:
                    found += 1
                    yield article
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise SourceError(f"{path}: cannot be read ({error})") from None
    if not found:
        raise SourceError(f"{path}: no articles (one JSON object with a 'text' per line)")


def _article_from_json(line: str, path: Path, number: int) -> Article | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        log.warning("%s line %d: not JSON, skipped", path, number)
        return None
    if not isinstance(record, dict) or not str(record.get("text") or "").strip():
        log.warning("%s line %d: no 'text', skipped", path, number)
        return None
    text = clean_text(str(record["text"]))
    title = clean_text(str(record.get("title") or "")) or text.split("\n", 1)[0][:120]
    return Article(
        title=title,
        text=text,
        url=str(record["url"]) if record.get("url") else None,
        source=str(record.get("source") or ""),
        published=normalise_date(str(record["published"])) if record.get("published") else None,
    )
