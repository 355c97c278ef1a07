"""Articles from local files: plain text, Markdown, HTML, and JSON Lines (optionally gzipped)."""

from __future__ import annotations

import codecs
import gzip
import json
import logging
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from config import SourceSettings
from index.errors import SourceError
from index.sources.web import SourceFailure, extract_article
from index.text.articles import Article, bounded_article, clean_text, normalise_date

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".text", ".md", ".markdown", ".html", ".htm", ".jsonl", ".jsonl.gz")

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_MD_PREFIX = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")


_DEFAULTS = SourceSettings()
_LOGGED_SKIPS = 100  # skipped lines logged one by one per file; the rest are counted


def read_file(path: Path, limits: SourceSettings = _DEFAULTS) -> Iterator[Article | SourceFailure]:
    """Yield the articles in a file; SourceError if it cannot be read or holds none. In a
    JSON Lines file a bad line is a SourceFailure ("FILE line N: reason") and the rest goes on."""
    name = path.name.lower()
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if not path.is_file():
        raise SourceError(f"{path}: not a file")
    if name.endswith((".jsonl", ".jsonl.gz")):
        yield from _read_jsonl(path, limits)
        return
    if not name.endswith((".md", ".markdown", ".html", ".htm", ".txt", ".text")):
        raise SourceError(f"{path}: unsupported file type (use {', '.join(SUFFIXES)} or .opml)")
    raw = _read_text(path, _file_bytes(limits))
    if name.endswith((".md", ".markdown")):
        yield _article_from_lines(path, _strip_markdown(raw), limits)
    elif name.endswith((".html", ".htm")):
        yield extract_article(raw, url=None, fallback_source=path.name, limits=limits)
    else:
        yield _article_from_lines(path, raw, limits)


def read_folder(
    folder: Path, limits: SourceSettings = _DEFAULTS
) -> Iterator[Article | SourceFailure]:
    """Every supported file under `folder` (sub-folders too, hidden ones left out), in name
    order, as `read_file` reads each: a file that cannot be read is a SourceFailure and the
    rest goes on. SourceError, before anything is read, for a folder holding more than
    `limits.max_folder_files` supported files or none."""
    files: list[Path] = []
    # Walked lazily and stopped at the bound: a huge tree costs no more than the bound.
    for root, folders, names in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".")]
        for name in names:
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            files.append(Path(root, name))
            if len(files) > limits.max_folder_files:
                raise SourceError(
                    f"{folder}: more than {limits.max_folder_files:,} files to read; ingest it"
                    " in parts (sources.max_folder_files)"
                )
    files.sort()
    if not files:
        raise SourceError(f"{folder}: no files to read (use {', '.join(SUFFIXES)})")
    for path in files:
        try:
            yield from read_file(path, limits)
        except SourceError as error:
            yield SourceFailure(str(path), str(error).removeprefix(f"{path}: "))


def _file_bytes(limits: SourceSettings) -> int:
    """How much of a one-article file is read: enough for the longest article and title even
    in four-byte characters or markup; the article is cut to its bound after that."""
    return 4 * 4 * (limits.max_article_chars + limits.max_title_chars)


def read_prefix(path: Path, max_bytes: int) -> tuple[bytes, bool]:
    """At most `max_bytes` of a local file, and whether that is all of it: never more is read
    into memory, whatever the file's size. SourceError when it cannot be read."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise SourceError(f"{path}: cannot be read ({error.strerror})") from None
    return data[:max_bytes], len(data) <= max_bytes


def _read_text(path: Path, max_bytes: int) -> str:
    data, complete = read_prefix(path, max_bytes)
    if not complete:
        log.info("%s: only the first %d bytes read (sources.max_article_chars)", path, max_bytes)
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data, complete)
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text") from None


def _article_from_lines(path: Path, raw: str, limits: SourceSettings) -> Article:
    """Plain text: the title on the first non-empty line, the article after it."""
    text = clean_text(raw)
    title, _, body = text.partition("\n")
    if not body.strip():
        raise SourceError(f"{path}: needs a title line followed by the article text")
    return bounded_article(title, body, None, path.name, None, limits)


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


def _read_jsonl(path: Path, limits: SourceSettings) -> Iterator[Article | SourceFailure]:
    """Line by line as bytes, so a bad byte, line or field costs that line only; a broken
    gzip stream keeps the lines before it and is one failure."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    found, skipped, first_reason = 0, 0, ""
    number = 0
    try:
        with opener(path, "rb") as handle:
            for number, line in _lines(handle, _line_bytes(limits)):
                if line is not None and not line.strip():
                    continue
                try:
                    article = _article_from_json(line, limits)
                except SourceError as error:
                    reason = str(error)
                except Exception as error:  # never the file for one line
                    log.warning("%s line %d unreadable", path, number, exc_info=True)
                    reason = f"unreadable ({type(error).__name__})"
                else:
                    found += 1
                    yield article
                    continue
                skipped += 1
                first_reason = first_reason or f"line {number}: {reason}"
                if skipped <= _LOGGED_SKIPS:  # the caller reports the failure itself
                    log.info("%s line %d skipped: %s", path, number, reason)
                yield SourceFailure(f"{path} line {number}", reason)
    except (OSError, EOFError, zlib.error) as error:
        if not found and not skipped and number == 0:
            raise SourceError(f"{path}: cannot be read ({error})") from None
        log.warning("%s: cannot be read after line %d: %s", path, number, error)
        yield SourceFailure(f"{path} line {number + 1}", f"cannot be read further ({error})")
        return
    if skipped > _LOGGED_SKIPS:
        log.warning(
            "%s: %d lines skipped in all (the first %d logged)", path, skipped, _LOGGED_SKIPS
        )
    if not found:
        detail = f"; {skipped} lines skipped, {first_reason}" if skipped else ""
        raise SourceError(f"{path}: no articles (one JSON object with a 'text' per line){detail}")


def _line_bytes(limits: SourceSettings) -> int:
    """The longest line read: a whole article, \\u-escaped, with its other fields."""
    return 8 * limits.max_article_chars + 1_000_000


def _lines(handle: BinaryIO, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(number, line) for each line; None for a line longer than max_bytes, which is read past
    in pieces instead of being held."""
    number = 0
    while line := handle.readline(max_bytes + 1):
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield number, None
        else:
            yield number, line


_FIELDS = ("title", "url", "source", "published")


def _article_from_json(line: bytes | None, limits: SourceSettings) -> Article:
    """One JSON Lines record as an Article; SourceError saying what is wrong with it."""
    if line is None:
        raise SourceError(f"line longer than {_line_bytes(limits):,} bytes")
    try:
        record = json.loads(line.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SourceError("not UTF-8") from None
    except (json.JSONDecodeError, RecursionError):
        raise SourceError("not JSON") from None
    if not isinstance(record, dict):
        raise SourceError("not a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise SourceError("no 'text' string")
    for name in _FIELDS:
        if record.get(name) is not None and not isinstance(record[name], str):
            raise SourceError(f"'{name}' is not a string")
    published = None
    if (record.get("published") or "").strip():
        published = normalise_date(record["published"])
        if published is None:
            raise SourceError(f"'published' is not a date: {record['published'][:100]!r}")
    return bounded_article(
        title=record.get("title") or "",
        text=text,
        url=record.get("url") or None,
        source=record.get("source") or "",
        published=published,
        limits=limits,
    )
