"""Ingest: articles -> passages -> embeddings -> SQLite + FAISS, a batch of articles at a time.

Embedding a whole batch in one call keeps the model busy (the model is the bottleneck). Each
article is then written in its own SQLite transaction and added to FAISS while the batch holds
the archive's write lock: a failure loses that article only and leaves everything stored
before it intact. The lock is taken per batch, never for the whole ingest, so another process
writing the same archive takes turns with this one; the index is saved at the end and at
least every storage.save_every_seconds, so a crash or kill loses little embedding work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from index.archive import NewsArchive
from index.errors import IndexError_
from index.sources.web import SourceFailure
from index.text.articles import Article
from index.text.passages import chunk_text

log = logging.getLogger(__name__)

KEPT_FAILURES = 1_000  # failures kept with their reason in a report; the rest are counted


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)  # ids of new articles, in order
    duplicates: int = 0  # near-identical copies of stories already stored
    unchanged: int = 0  # already stored (same id)
    passages: int = 0
    failures: list[SourceFailure] = field(default_factory=list)  # the first KEPT_FAILURES
    failed: int = 0  # every failure, kept or not

    def fail(self, failure: SourceFailure) -> None:
        """Count a failure; keep its reason while fewer than KEPT_FAILURES are kept, so a file
        of a million bad lines costs a counter, not a million records."""
        self.failed += 1
        if len(self.failures) < KEPT_FAILURES:
            self.failures.append(failure)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} new article{'s' if len(self.added) != 1 else ''}",
            f"{self.passages} passage{'s' if self.passages != 1 else ''}",
        ]
        if self.unchanged:
            parts.append(f"{self.unchanged} already stored")
        if self.duplicates:
            parts.append(
                f"{self.duplicates} duplicate{'s' if self.duplicates != 1 else ''} of stored stories"
            )
        if self.failed:
            parts.append(f"{self.failed} failed")
        return ", ".join(parts)


class Ingestor:
    """Writes articles into an archive."""

    def __init__(self, archive: NewsArchive, batch_articles: int = 64) -> None:
        self.archive = archive
        self.batch_articles = batch_articles

    def ingest(
        self,
        items: Iterable[Article | SourceFailure],
        feed_url: str | None = None,
        on_article: Callable[[IngestReport], None] | None = None,
        save: bool = True,
    ) -> IngestReport:
        report = IngestReport()
        batch: list[Article] = []
        every = self.archive.settings.storage.save_every_seconds if save else float("inf")
        saved_at = time.monotonic()
        for item in items:
            if isinstance(item, SourceFailure):
                report.fail(item)
                continue
            batch.append(item)
            if len(batch) >= self.batch_articles:
                if self._ingest_batch(batch, feed_url, report, on_article, saved_at + every):
                    saved_at = time.monotonic()
                batch = []
        if batch:
            self._ingest_batch(batch, feed_url, report, on_article, saved_at + every)
        if save and report.passages:
            self.archive.save_vectors()
        return report

    def _ingest_batch(
        self,
        articles: list[Article],
        feed_url: str | None,
        report: IngestReport,
        on_article: Callable[[IngestReport], None] | None,
        save_after: float,
    ) -> bool:
        """Embed and store one batch; save the index too if time.monotonic() is past
        `save_after`. Returns whether it saved."""
        store = self.archive.store
        fresh, seen = [], set()
        for article in articles:
            if article.id in seen or store.has_article(article.id):
                report.unchanged += 1
            else:
                seen.add(article.id)
                fresh.append(article)
        spans = [chunk_text(a.text, self.archive.settings.passages) for a in fresh]
        pairs = [
            (a.title, a.text[s.start : s.end])
            for a, article_spans in zip(fresh, spans, strict=True)
            for s in article_spans
        ]
        vectors, sentences = self.archive.embed([t for t, _ in pairs], [x for _, x in pairs])
        offset = 0
        saved = False
        with self.archive.write_lock:
            for article, article_spans in zip(fresh, spans, strict=True):
                article_vectors = vectors[offset : offset + len(article_spans)]
                article_sentences = (
                    sentences[offset : offset + len(article_spans)] if sentences else None
                )
                offset += len(article_spans)
                self._store_one(
                    article, article_spans, article_vectors, article_sentences, feed_url, report
                )
                if on_article:
                    on_article(report)
            if fresh and time.monotonic() >= save_after:
                self.archive.save_vectors()
                saved = True
        if on_article and len(fresh) < len(articles):
            on_article(report)
        return saved

    def _store_one(
        self, article, spans, vectors: np.ndarray, sentences, feed_url, report: IngestReport
    ) -> None:
        label = article.url or article.title
        if not spans:
            report.fail(SourceFailure(label, "no text to index"))
            return
        with self.archive.write_lock:
            try:
                stored = self.archive.store.add_article(article, spans, feed_url, sentences)
            except IndexError_ as error:
                report.fail(SourceFailure(label, str(error)))
                return
            except Exception as error:
                # Text a backend refuses (a driver's DataError, an encoding error) costs this
                # article only: its transaction rolled back, the rest of the batch goes on.
                log.exception("could not store %s", label)
                report.fail(SourceFailure(label, f"not stored ({type(error).__name__})"))
                return
            if not stored.added:
                report.unchanged += 1
                return
            if stored.duplicate_of:
                report.duplicates += 1
                return
            try:
                self.archive.vectors.add(np.array(stored.passage_ids), vectors)
            except Exception as error:
                # Keep SQLite and FAISS in step: without vectors the article is not stored.
                self.archive.store.delete_article(stored.id)
                log.exception("could not add vectors for %s", label)
                report.fail(SourceFailure(label, f"vector index error: {error}"))
                return
        report.added.append(stored.id)
        report.passages += len(stored.passage_ids)
