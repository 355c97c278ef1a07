"""Approximate index (benchmarks/README.md "Performance"): recall@10 of HNSW against exact search on the RealTimeQA dev
questions, and the time of one search, exact and approximate, at several efSearch values.

    .venv/bin/python benchmarks/recall.py --data-dir DIR [--backend torch|onnx-int8]
        [--ef 16,32,64,128] [--smoke]

The archive's own index is used when it is HNSW already; an exact (flat) one is copied into
an HNSW index built with the configured hnsw_m and hnsw_ef_construction, through the same
VectorIndex code that ingest uses. The truth is a brute-force inner product over every
stored vector.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
from measuring import (
    add_backend_argument,
    build_smoke_archive,
    format_ms,
    machine,
    make_bare_embedder,
    percentiles,
    rtqa_questions,
)

from config import load_settings
from index.storage import VectorIndex, metadata_path

K = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    add_backend_argument(parser)
    parser.add_argument("--ef", default="16,32,64,128", help="efSearch values to try")
    parser.add_argument("--smoke", action="store_true", help="a tiny archive, for CI")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsbot-recall-") as work:
        embedder = make_bare_embedder(args.backend, Path(work) / "models")
        if args.smoke:
            data_dir = Path(work) / "data"
            build_smoke_archive(data_dir, embedder, articles=6).save_vectors()
            questions = [q for q, _ in rtqa_questions(20)]
        else:
            if args.data_dir is None:
                parser.error("--data-dir is required unless --smoke")
            data_dir = args.data_dir
            questions = [q for q, _ in rtqa_questions()]
        all_settings = load_settings(env={}, overrides={"data_dir": str(data_dir)})
        settings, dense_k = all_settings.vectors, all_settings.retrieval.dense_k
        model = json.loads(metadata_path(data_dir / "vectors.faiss").read_text())["model"]
        index = VectorIndex.load(data_dir / "vectors.faiss", 384, model, settings)
        ids = index.ids()
        stored = index.vectors_for(ids.tolist())
        queries = embedder.encode(questions)

        print(f"machine: {machine()}")
        print(f"archive: {len(ids)} vectors ({index.kind}), {len(queries)} questions, {model}")
        exact = VectorIndex(384, model, replace(settings, approximate_after=10**12))
        exact.add(ids, stored)
        truth = [{pid for pid, _ in hits} for hits in exact.search(queries, K)]
        print(f"exact (flat) search: {format_ms(time_searches(exact, queries, dense_k))}")

        if index.kind != "hnsw":
            began = time.perf_counter()
            index = VectorIndex(384, model, replace(settings, approximate_after=1))
            for start in range(0, len(ids), 50_000):
                index.add(ids[start : start + 50_000], stored[start : start + 50_000])
            print(
                f"HNSW built (M={settings.hnsw_m}, efConstruction="
                f"{settings.hnsw_ef_construction}): {time.perf_counter() - began:.0f} s"
            )
        hnsw = faiss.downcast_index(index._index.index).hnsw  # efSearch is the knob measured
        for ef in [int(x) for x in args.ef.split(",")]:
            hnsw.efSearch = ef
            # Searched as the answerer searches (dense_k results), then its top 10 compared.
            found = [{pid for pid, _ in hits[:K]} for hits in index.search(queries, dense_k)]
            recall = np.mean([len(f & t) / len(t) for f, t in zip(found, truth, strict=True) if t])
            print(
                f"HNSW efSearch {ef:>3}: recall@{K} {recall:.3f}  "
                f"{format_ms(time_searches(index, queries, dense_k))}"
            )
    return 0


def time_searches(index: VectorIndex, queries: np.ndarray, k: int) -> dict[str, float]:
    """One query at a time with the answerer's dense_k, as a question is searched."""
    seconds = []
    for query in queries:
        began = time.perf_counter()
        index.search(query, k)
        seconds.append(time.perf_counter() - began)
    return percentiles(seconds)


if __name__ == "__main__":
    sys.exit(main())
