"""A small archive of real news over a few weeks, for what's-new tests: the RealTimeQA dev
articles published from 25 November to 19 December 2024 (USA Today, CNN, The Week), each cut
to its opening paragraphs, and one wire copy of a story under another outlet (a near-copy,
so the story counts two outlets). The archive's last day is 19 December 2024."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from index.text import Article

FIRST_DAY, LAST_DAY = "2024/11/25", "2024/12/19"
OPENING_CHARS = 2500
COPIED_TITLE = "UnitedHealthcare CEO killing: Suspect charged with murder"
COPY_OUTLET = "Wire Daily"


def opening(text: str, limit: int = OPENING_CHARS) -> str:
    """The first paragraphs of a text, up to about `limit` characters."""
    kept: list[str] = []
    for paragraph in text.split("\n"):
        if kept and sum(len(p) for p in kept) + len(paragraph) > limit:
            break
        kept.append(paragraph)
    return "\n".join(kept)


def news_days(shared_data: Path) -> list[Article]:
    path = shared_data / "realtimeqa" / "realtimeqa-dev-articles.jsonl.gz"
    articles = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if FIRST_DAY <= record["published"] <= LAST_DAY:
                articles.append(
                    Article(
                        record["title"],
                        opening(record["text"]),
                        record["url"],
                        record["source"],
                        record["published"].replace("/", "-"),
                    )
                )
    original = next(a for a in articles if a.title == COPIED_TITLE)
    copy = Article(
        original.title,
        original.text.replace(".", " .", 1),  # a wire copy: one character apart
        "https://wire.example.com/unitedhealthcare-suspect-charged",
        COPY_OUTLET,
        original.published,
    )
    return [*articles, copy]
