"""What the CLI's command modules share: their errors, the archive they open, the `--as-of`
day and bounded local files. Kept apart from main.py so each command module imports it
without importing the parser that imports them."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from config import Settings


class CommandError(Exception):
    """A command could not do what was asked; the message is shown as is."""


class UsageError(CommandError):
    """The command was asked for something it does not do (exit 2, as argparse's mistakes)."""


def parse_day(text: str) -> datetime:
    """--as-of: the end of that day in UTC, as every "as of a day" (retrieval/dates.py)."""
    from retrieval import DayError, end_of_day

    try:
        return end_of_day(text)
    except DayError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def open_archive(settings: Settings):
    from index import NewsArchive

    archive = NewsArchive(settings)
    archive.reconcile()
    return archive


def read_bounded(path: Path, limit: int) -> bytes:
    """A local file of at most `limit` bytes (an OPML list); SourceError otherwise."""
    from index import SourceError
    from index.sources import read_prefix

    data, complete = read_prefix(path, limit)
    if not complete:
        raise SourceError(f"{path}: larger than {limit:,} bytes")
    return data
