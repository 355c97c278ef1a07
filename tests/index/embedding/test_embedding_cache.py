"""The embedding cache: only texts it has not seen reach the model, and vectors come back exact."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from config import SettingsError, load_settings
from index.embedding import CachedEmbedder, make_embedder


class CountingEmbedder:
    """A stand-in model: a deterministic unit vector per text, counting what it was asked."""

    model_name = "counting"
    dimension = 8

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8) for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(-1, 8)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_only_misses_reach_the_model_and_vectors_are_identical(tmp_path):
    inner = CountingEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "cache.sqlite")
    first = cache.encode(["a", "b", "a"])
    assert inner.seen == ["a", "b"]  # the repeat inside one call is embedded once
    second = cache.encode(["b", "c", "a"])
    assert inner.seen == ["a", "b", "c"]
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    assert second.dtype == np.float32 and second.shape == (3, 8)


def test_vectors_survive_reopening(tmp_path):
    path = tmp_path / "cache.sqlite"
    vectors = CachedEmbedder(CountingEmbedder(), path).encode(["kept"])
    inner = CountingEmbedder()
    again = CachedEmbedder(inner, path).encode(["kept"])
    assert inner.seen == []
    np.testing.assert_array_equal(again, vectors)


def test_another_backend_does_not_reuse_vectors(tmp_path):
    path = tmp_path / "cache.sqlite"
    CachedEmbedder(CountingEmbedder(), path, backend="torch").encode(["text"])
    inner = CountingEmbedder()
    CachedEmbedder(inner, path, backend="onnx-int8").encode(["text"])
    assert inner.seen == ["text"]


def test_empty_input_and_many_threads(tmp_path):
    cache = CachedEmbedder(CountingEmbedder(), tmp_path / "cache.sqlite")
    assert cache.encode([]).shape == (0, 8)
    texts = [f"text {i}" for i in range(200)]
    results: list[np.ndarray] = []

    def work() -> None:
        results.append(cache.encode(texts))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])
    assert cache.count() == 200


def test_setting_wraps_the_configured_model(tmp_path, embedder):
    cache = {"embedding.cache_path": str(tmp_path / "vectors.sqlite")}
    settings = load_settings(env={}, overrides={**cache, "embedding.backend": "torch"})
    wrapped = make_embedder(settings.embedding, tmp_path)
    assert isinstance(wrapped, CachedEmbedder)
    assert wrapped.model_name == embedder.model_name and wrapped.dimension == 384
    # The default backend (int8) keeps its own name, so its vectors never mix with torch's.
    default = make_embedder(load_settings(env={}, overrides=cache).embedding, tmp_path)
    assert default.model_name == embedder.model_name + "@onnx-int8"
    plain = load_settings(env={}).embedding
    assert not isinstance(make_embedder(plain, tmp_path), CachedEmbedder)


def test_real_model_vectors_round_trip(tmp_path, embedder):
    cache = CachedEmbedder(embedder, tmp_path / "cache.sqlite")
    fresh = cache.encode(["Zelensky proposed a meeting with Putin."])
    cached = cache.encode(["Zelensky proposed a meeting with Putin."])
    np.testing.assert_array_equal(fresh, cached)
    assert abs(float(np.linalg.norm(cached[0])) - 1.0) < 1e-5


def test_a_directory_is_not_a_cache_path():
    with pytest.raises(SettingsError, match="embedding.cache_path"):
        load_settings(env={}, overrides={"embedding.cache_path": "vectors/"})
