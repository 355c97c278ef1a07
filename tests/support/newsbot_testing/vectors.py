"""Vectors shaped like the model's (384-d, clustered as passages of news are) and the exact
nearest neighbours to hold an approximate index to."""

from __future__ import annotations

import numpy as np

DIM = 384


def clustered(n: int, seed: int, centres: int = 300) -> np.ndarray:
    """Unit vectors around a few hundred topics, like passages of news stories; uniform random
    384-d vectors have no neighbourhoods and say nothing about an index built for text."""
    rng = np.random.default_rng(seed)
    topic = np.random.default_rng(0).standard_normal((centres, DIM)).astype(np.float32)
    vectors = topic[rng.integers(0, centres, n)] + 0.7 * rng.standard_normal((n, DIM))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def exact_top(data: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int) -> list[set[int]]:
    order = np.argsort(-(queries @ data.T), axis=1)[:, :k]
    return [set(ids[row].tolist()) for row in order]
