"""What the performance benchmarks share: the machine they ran on, percentiles, the RealTimeQA
files, a tiny archive for --smoke runs, and an embedder wrapper that times the model."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DATA = Path(os.environ.get("NEWSBOT_SHARED_DATA", REPO.parent / "shared" / "data"))
RTQA_ARTICLES = DATA / "realtimeqa" / "realtimeqa-dev-articles.jsonl.gz"
RTQA_QUESTIONS = DATA / "realtimeqa" / "realtimeqa-dev-questions.jsonl.gz"


def machine() -> str:
    """One line naming the machine, so a figure is never read without its context."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, load average {load}, Python {platform.python_version()}"


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50/p90/p99/mean in milliseconds."""
    ms = np.asarray(seconds) * 1000
    return {
        "p50": float(np.percentile(ms, 50)),
        "p90": float(np.percentile(ms, 90)),
        "p99": float(np.percentile(ms, 99)),
        "mean": float(ms.mean()),
    }


def format_ms(figures: dict[str, float]) -> str:
    return "  ".join(
        f"{name} {value:.2f} ms" if value < 10 else f"{name} {value:.1f} ms"
        for name, value in figures.items()
    )


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rtqa_articles(limit: int | None = None) -> Iterator[dict]:
    with gzip.open(RTQA_ARTICLES, "rt", encoding="utf-8") as handle:
        for line in itertools.islice(handle, limit):
            yield json.loads(line)


def rtqa_questions(limit: int | None = None) -> list[tuple[str, datetime]]:
    """(question, the date it was asked) pairs, in file order."""
    from retrieval import end_of_day

    out = []
    with gzip.open(RTQA_QUESTIONS, "rt", encoding="utf-8") as handle:
        for line in itertools.islice(handle, limit):
            row = json.loads(line)
            # As of the end of that day, as `newsbot eval` asks them (retrieval/dates.py).
            asked = end_of_day(row["date"])
            out.append((row["question"], asked))
    return out


def write_jsonl(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


class TimedEmbedder:
    """Wraps an embedder and adds up the time spent in it and the texts it was given."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self._lock = threading.Lock()
        self.seconds = 0.0
        self.texts = 0
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        start = time.perf_counter()
        vectors = self.inner.encode(texts)
        elapsed = time.perf_counter() - start
        with self._lock:
            self.seconds += elapsed
            self.texts += len(texts)
            self.calls += 1
        return vectors

    def take(self) -> tuple[float, int, int]:
        """(seconds, texts, calls) since the last take."""
        with self._lock:
            taken = (self.seconds, self.texts, self.calls)
            self.seconds, self.texts, self.calls = 0.0, 0, 0
        return taken


class SpeedOnlyEmbedder:
    """Another backend's encoder presented under the archive's model name.

    Lets an archive embedded with torch be queried through ONNX int8 to time it; the vectors
    differ slightly (benchmarks/README.md "Answer quality", int8 against torch), so use it for
    speed, not for quality figures.
    """

    def __init__(self, inner, model_name: str) -> None:
        self.inner = inner
        self.model_name = model_name
        self.dimension = inner.dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.inner.encode(texts)


def add_backend_argument(parser) -> None:
    """--backend, defaulting to the product's (config/default.toml)."""
    from config import load_settings

    parser.add_argument(
        "--backend",
        default=load_settings(env={}).embedding.backend,
        choices=["torch", "onnx-int8"],
        help="default: the product's (config/default.toml)",
    )


def make_bare_embedder(backend: str, data_dir: Path, batch_size: int = 64):
    """The backend's model without the embedding cache (a cache would time lookups instead)."""
    from config import EmbeddingSettings
    from index.embedding import make_embedder

    embedder = make_embedder(
        EmbeddingSettings(backend=backend, batch_size=batch_size, cache_path=""), data_dir
    )
    embedder.encode(["warm up"])
    return embedder


def build_smoke_archive(data_dir: Path, embedder, articles: int = 12):
    """A few RealTimeQA articles ingested for real: enough for every code path, in seconds."""
    from config import load_settings
    from index import Ingestor, NewsArchive
    from index.sources import read_file

    # Short ones: the first articles of the file are photo galleries of 50+ passages.
    short = [row for row in rtqa_articles(300) if len(row["text"]) < 4000][:articles]
    source = write_jsonl(short, data_dir.parent / "smoke-articles.jsonl")
    settings = load_settings(env={}, overrides={"data_dir": str(data_dir)})
    archive = NewsArchive(settings, embedder=embedder)
    Ingestor(archive).ingest(read_file(source))
    return archive


def smoke_or_background(smoke: bool, background: Path | None, work: Path, backend: str):
    """(settings, embedder) of the archive a benchmark runs on: a dozen articles built in
    `work` for --smoke, else a copy of `background` (never written) in `work`."""
    from alerts_speed import copy_background

    from config import load_settings

    data_dir = work / "data"
    embedder = make_bare_embedder(backend, work / "models")
    if smoke:
        build_smoke_archive(data_dir, embedder)
    else:
        embedder = copy_background(background, data_dir, embedder)
    overrides = {"data_dir": str(data_dir), "embedding.backend": backend}
    return load_settings(env={}, overrides=overrides), embedder
