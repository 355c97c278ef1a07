"""Answer latency (benchmarks/README.md "Performance"): p50/p99 of a full answer, in-process, no Telegram:
embed the question, hybrid search (FAISS + FTS5), mark the answering sentences, render HTML.

    .venv/bin/python benchmarks/latency.py --data-dir DIR [--backend torch|onnx-int8]
        [--questions 600] [--profile out.html] [--smoke]

DIR is an archive already built (the RealTimeQA dev corpus, or the 1M-passage archive made
by synthetic_archive.py). Questions are the RealTimeQA dev questions, each asked as of its
own date. The model runs without the embedding cache, so every question is embedded for
real. Besides the totals it prints where the time goes: the model (question and sentences),
the vector search, the lexical search, and everything else.

--backend onnx-int8 on an archive embedded with torch queries the torch vectors with int8
question vectors: valid for speed (the vectors differ slightly: benchmarks/README.md "Answer
quality", int8 against torch), not for quality.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

from measuring import (
    SpeedOnlyEmbedder,
    TimedEmbedder,
    add_backend_argument,
    build_smoke_archive,
    format_ms,
    machine,
    make_bare_embedder,
    peak_rss_mb,
    percentiles,
    rtqa_questions,
)

from bot.views import render_answer_html
from config import load_settings
from index import NewsArchive
from index.storage import VectorIndex, metadata_path
from retrieval import Answerer
from retrieval.reader import load_reader

WARM_UP = 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="an archive built beforehand")
    add_backend_argument(parser)
    parser.add_argument("--questions", type=int, default=600)
    parser.add_argument(
        "--profile", type=Path, help="write a pyinstrument profile here (.html or text)"
    )
    parser.add_argument(
        "--hnsw",
        action="store_true",
        help="rebuild an exact index as HNSW in memory first (as past approximate_after)",
    )
    parser.add_argument(
        "--stored-sentence-vectors",
        action="store_true",
        help="what-if: sentence vectors read from storage instead of embedded per answer",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a retrieval setting for this run, e.g. retrieval.max_per_article=1",
    )
    parser.add_argument("--smoke", action="store_true", help="a tiny archive, 4 questions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsbot-latency-") as work:
        embedder = make_bare_embedder(args.backend, Path(work) / "models")
        if args.smoke:
            archive = build_smoke_archive(Path(work) / "data", embedder)
            questions = rtqa_questions(4)
        else:
            if args.data_dir is None:
                parser.error("--data-dir is required unless --smoke")
            archive = open_archive(args.data_dir, embedder, dict(o.split("=", 1) for o in args.set))
            questions = rtqa_questions(args.questions)
        if args.hnsw and archive.vectors.kind == "flat":
            as_hnsw(archive)
        if args.stored_sentence_vectors:
            archive.embedder = StoredSentenceVectors(archive, questions)
        timed = TimedEmbedder(archive.embedder)
        archive.embedder = timed
        print(f"machine: {machine()}")
        print(
            f"archive: {archive.vectors.count} passages, {archive.vectors.kind} index, "
            f"backend {args.backend}, {len(questions)} questions"
        )
        run(archive, questions, timed, args.profile)
    return 0


def open_archive(data_dir: Path, embedder, overrides: dict[str, str]) -> NewsArchive:
    """Open an existing archive with this embedder, whatever model its vectors came from."""
    import json

    settings = load_settings(env={}, overrides={"data_dir": str(data_dir), **overrides})
    built_with = json.loads(metadata_path(data_dir / "vectors.faiss").read_text())["model"]
    if built_with != embedder.model_name:
        print(f"note: vectors built with {built_with}; questions embedded with the chosen backend")
        embedder = SpeedOnlyEmbedder(embedder, built_with)
    return NewsArchive(settings, embedder=embedder)


def as_hnsw(archive: NewsArchive) -> None:
    """Swap the archive's exact index for an HNSW one with the configured parameters."""
    flat = archive.vectors
    ids = flat.ids()
    settings = dataclasses.replace(archive.settings.vectors, approximate_after=1)
    hnsw = VectorIndex(flat.dimension, flat.model_name, settings)
    began = time.perf_counter()
    for start in range(0, len(ids), 50_000):
        chunk = ids[start : start + 50_000]
        hnsw.add(chunk, flat.vectors_for(chunk.tolist()))
    archive._vectors = hnsw  # the archive has no public setter; this is a benchmark
    print(f"index rebuilt as HNSW in memory: {time.perf_counter() - began:.0f} s")


class StoredSentenceVectors:
    """What-if for a proposed change: marking reads sentence vectors stored at ingest.

    A first, untimed pass over the questions embeds every sentence the answers mark; the
    timed pass then gets those from memory, while each question is still embedded by the
    model. The SQLite read the real change would add (a dozen rows by passage id) is not
    included; it costs well under a millisecond.
    """

    def __init__(self, archive: NewsArchive, questions) -> None:
        self.inner = archive.embedder
        self.model_name = self.inner.model_name
        self.dimension = self.inner.dimension
        self.stored: dict[str, object] = {}
        asked = {" ".join(q.split()) for q, _ in questions}
        recording = _Recording(self.inner)
        archive.embedder = recording
        answerer = Answerer(archive, archive.settings.retrieval)
        for question, when in questions:
            answerer.answer(question, as_of=when)
        archive.embedder = self
        self.stored = {t: v for t, v in recording.seen.items() if t not in asked}

    def encode(self, texts: list[str]):
        import numpy as np

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        missing = [i for i, t in enumerate(texts) if t not in self.stored]
        if missing:
            out[missing] = self.inner.encode([texts[i] for i in missing])
        for i, text in enumerate(texts):
            if text in self.stored:
                out[i] = self.stored[text]
        return out


class _Recording:
    def __init__(self, inner) -> None:
        self.inner, self.seen = inner, {}
        self.model_name, self.dimension = inner.model_name, inner.dimension

    def encode(self, texts: list[str]):
        vectors = self.inner.encode(texts)
        self.seen.update(zip(texts, vectors, strict=True))
        return vectors


class TimedReader:
    """The reader, timed: seconds and sentences read since the last `take`."""

    def __init__(self, inner) -> None:
        self.inner, self.seconds, self.sentences = inner, 0.0, 0

    def score(self, question, sentences):
        began = time.perf_counter()
        try:
            return self.inner.score(question, sentences)
        finally:
            self.seconds += time.perf_counter() - began
            self.sentences += len(sentences)

    def take(self) -> tuple[float, int]:
        taken = (self.seconds, self.sentences)
        self.seconds, self.sentences = 0.0, 0
        return taken


def run(archive: NewsArchive, questions, timed: TimedEmbedder, profile: Path | None) -> None:
    reader = TimedReader(load_reader()) if archive.settings.retrieval.reader else None
    answerer = Answerer(archive, archive.settings.retrieval, reader)
    stages = StageTimer(archive)
    for question, asked in questions[: min(WARM_UP, len(questions) // 4)]:
        render_answer_html(answerer.answer(question, as_of=asked))
    timed.take()
    stages.take()
    if reader:
        reader.take()
    reading, read = [], []

    profiler = _start_profiler() if profile else None
    totals, model, vector, lexical, texts, answered = [], [], [], [], [], 0
    for question, asked in questions:
        began = time.perf_counter()
        answer = answerer.answer(question, as_of=asked)
        render_answer_html(answer)
        totals.append(time.perf_counter() - began)
        seconds, count, _ = timed.take()
        model.append(seconds)
        texts.append(count)
        v, lex = stages.take()
        vector.append(v)
        lexical.append(lex)
        if reader:
            seconds, count = reader.take()
            reading.append(seconds)
            read.append(count)
        answered += answer.answered
    if profiler:
        profiler.stop()
        as_html = profile.suffix == ".html"
        profile.write_text(profiler.output_html() if as_html else profiler.output_text())
        print(f"profile written to {profile}")

    reading = reading or [0.0] * len(totals)
    rest = [
        t - m - v - x - r
        for t, m, v, x, r in zip(totals, model, vector, lexical, reading, strict=True)
    ]
    print(f"answer total:   {format_ms(percentiles(totals))}")
    print(f"  model:        {format_ms(percentiles(model))}")
    if read:
        print(f"  reader:       {format_ms(percentiles(reading))}")
        print(f"  sentences read per answer: median {statistics.median(read):.0f}")
    print(f"  vector search:{format_ms(percentiles(vector))}")
    print(f"  lexical (FTS):{format_ms(percentiles(lexical))}")
    print(f"  rest:         {format_ms(percentiles(rest))}")
    print(
        f"texts given to the embedder per answer: median {statistics.median(texts):.0f} "
        f"(the question plus the sentences of the passages being marked)"
    )
    print(f"answered {answered}/{len(questions)}; peak RSS {peak_rss_mb():.0f} MB")


class StageTimer:
    """Times the archive's vector and lexical searches by wrapping them on this instance."""

    def __init__(self, archive: NewsArchive) -> None:
        self.vector = self.lexical = 0.0
        vectors, store = archive.vectors, archive.store
        vectors.search = self._timed(vectors.search, "vector")
        store.lexical_search = self._timed(store.lexical_search, "lexical")
        store.document_frequencies = self._timed(store.document_frequencies, "lexical")

    def _timed(self, call, stage: str):
        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                setattr(self, stage, getattr(self, stage) + time.perf_counter() - began)

        return timed

    def take(self) -> tuple[float, float]:
        taken = (self.vector, self.lexical)
        self.vector = self.lexical = 0.0
        return taken


def _start_profiler():
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("--profile needs pyinstrument: .venv/bin/pip install pyinstrument")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    return profiler


if __name__ == "__main__":
    sys.exit(main())
