"""Evaluation sets and the archives built from them, cached on disk by content.

Questions and articles come in the formats of the RealTimeQA files (questions: `question,
answer, date, gold_urls`; articles: `url, title, published, source, text`, JSON Lines,
optionally gzipped), XQuAD (SQuAD JSON) and the seed set (a text article and questions whose
`answer` may be null). An archive is ingested through the product's own Ingestor into a
directory named by a hash of the articles file, the articles left out and every setting that
changes what is stored, so a second run with other retrieval settings reuses it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from config import Settings
from index import Ingestor, NewsArchive, SourceError, StoreError
from index.backends import keeps_data_dir
from index.embedding import Embedder
from index.sources import read_file
from index.text import Article
from retrieval.dates import DayError, end_of_day

log = logging.getLogger(__name__)

# Bump when the way an evaluation archive is built changes, so old caches are not reused.
ARCHIVE_FORMAT = 2  # 2: sentence vectors stored at ingest


@dataclass(frozen=True)
class EvalQuestion:
    """A question with the answer string a right quote must contain (None: unanswerable)."""

    question: str
    answer: str | None
    as_of: datetime | None = None
    id: str = ""
    answer_start: int | None = None  # XQuAD: offset of the answer span in its article's text
    article_text: str | None = None  # XQuAD: the paragraph holding the answer
    gold_urls: tuple[str, ...] = ()  # RealTimeQA: the articles the question was written from


def parse_question_date(value: object) -> datetime | None:
    """ "2022/06/10" or "2022-06-10" -> the end of that day in UTC (retrieval/dates.py); None
    when the question has no date."""
    if not value:
        return None
    try:
        return end_of_day(value)
    except DayError as error:
        raise SourceError(f"question date {error}") from None


def _open_text(path: Path):
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    opener = gzip.open if path.name.endswith(".gz") else open
    return opener(path, "rt", encoding="utf-8")


def load_questions(path: Path) -> list[EvalQuestion]:
    """Questions from JSON Lines (optionally gzipped), in file order."""
    questions = []
    with _open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text = str(record["question"])
            except (ValueError, KeyError, TypeError):
                raise SourceError(
                    f"{path} line {number}: needs a JSON object with 'question'"
                ) from None
            answer = record.get("answer")
            questions.append(
                EvalQuestion(
                    question=text,
                    answer=str(answer) if answer not in (None, "") else None,
                    as_of=parse_question_date(record.get("date")),
                    id=str(record.get("id") or number),
                    gold_urls=_urls(record.get("gold_urls")),
                )
            )
    if not questions:
        raise SourceError(f"{path}: no questions")
    return questions


def _urls(value: object) -> tuple[str, ...]:
    return tuple(str(u) for u in value) if isinstance(value, list) else ()


def load_articles(path: Path, limit: int | None = None) -> list[Article]:
    """Articles from a .jsonl(.gz) or .txt file, read the way `newsbot ingest` reads them."""
    articles = []
    for item in read_file(path):
        if not isinstance(item, Article):  # a line the reader skipped (logged there)
            continue
        articles.append(item)
        if limit is not None and len(articles) >= limit:
            break
    return articles


def load_xquad(path: Path) -> tuple[list[Article], list[EvalQuestion]]:
    """Each paragraph becomes one article (text kept exactly, so answer offsets hold)."""
    with _open_text(path) as handle:
        data = json.load(handle)
    articles, questions = [], []
    for entry in data["data"]:
        title = str(entry.get("title", "")).replace("_", " ")
        for paragraph in entry["paragraphs"]:
            context = paragraph["context"]
            articles.append(Article(title=title, text=context, source="xquad"))
            for qa in paragraph["qas"]:
                first = qa["answers"][0]
                questions.append(
                    EvalQuestion(
                        question=qa["question"],
                        answer=first["text"],
                        id=qa["id"],
                        answer_start=int(first["answer_start"]),
                        article_text=context,
                    )
                )
    return articles, questions


def file_digest(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_key(source_digest: str, settings: Settings, excluded: Iterable[str] = ()) -> str:
    """Names everything that changes what an ingested archive holds."""
    parts = {
        "format": ARCHIVE_FORMAT,
        "source": source_digest,
        "passages": asdict(settings.passages),
        "model": settings.embedding.model_path,
        "backend": settings.embedding.backend,
        "excluded": hashlib.sha1("\n".join(sorted(excluded)).encode()).hexdigest(),
    }
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def prepared_archive(
    name: str,
    articles: Iterable[Article],
    key: str,
    settings: Settings,
    cache_dir: Path,
    embedder: Embedder,
) -> NewsArchive:
    """The archive `cache_dir/name-key`, ingesting `articles` into it unless already complete.

    A directory without its READY marker (an interrupted build) is built again from scratch.
    Each archive is its own SQLite + FAISS directory: with `storage.url` every one of them
    would share one PostgreSQL database, and the READY marker would speak for data kept
    elsewhere, so that is refused.
    """
    if not keeps_data_dir(settings):
        raise StoreError(
            "newsbot eval builds its own archives in files; run it without storage.url "
            "(NEWSBOT_STORAGE_URL)"
        )
    data_dir = cache_dir / f"{name}-{key}"
    ready = data_dir / "READY"
    if not ready.exists():
        if data_dir.exists():
            shutil.rmtree(data_dir)
        archive = NewsArchive(settings.replace(data_dir=data_dir), embedder=embedder)
        report = Ingestor(archive).ingest(articles)
        log.info("evaluation archive %s: %s", data_dir, report.summary())
        ready.write_text(json.dumps({"report": report.summary()}) + "\n")
        return archive
    archive = NewsArchive(settings.replace(data_dir=data_dir), embedder=embedder)
    archive.reconcile()
    return archive
