"""The FAISS wrapper: exact while small, HNSW past a size, incremental, saved atomically."""

from __future__ import annotations

import json

import numpy as np
import pytest

from config import VectorSettings
from index import StoreError
from index.storage import VectorIndex, metadata_path
from newsbot_testing.vectors import DIM, clustered, exact_top

MODEL = "test-model"


@pytest.fixture
def settings() -> VectorSettings:
    return VectorSettings(approximate_after=1000, hnsw_m=32, hnsw_ef_search=128)


def test_exact_until_the_threshold_then_hnsw(settings) -> None:
    data = clustered(1500, seed=1)
    index = VectorIndex(DIM, MODEL, settings)
    index.add(np.arange(1, 1001), data[:1000])
    assert (index.kind, index.count) == ("flat", 1000)
    index.add(np.arange(1001, 1501), data[1000:])
    assert (index.kind, index.count) == ("hnsw", 1500)
    best = index.search(data[:5], 1)
    assert [hits[0][0] for hits in best] == [1, 2, 3, 4, 5]
    assert best[0][0][1] == pytest.approx(1.0, abs=1e-5)


def test_one_more_article_is_added_without_a_rebuild(settings, monkeypatch) -> None:
    data = clustered(1210, seed=2)
    index = VectorIndex(DIM, MODEL, settings)
    index.add(np.arange(1200), data[:1200])
    assert index.kind == "hnsw"

    def no_rebuild(self):
        raise AssertionError("the whole index was rebuilt for one article")

    monkeypatch.setattr(VectorIndex, "_rebuild_as_hnsw", no_rebuild)
    index.add(np.arange(5000, 5010), data[1200:])
    assert index.count == 1210
    assert index.search(data[1205], 1)[0][0][0] == 5005


# 20,000 vectors take about 8 s to index: the reliability run's size. 3,000 are well past the
# switch to HNSW (settings below) and keep the check in every run.
@pytest.mark.parametrize(
    "size", [3_000, pytest.param(20_000, marks=pytest.mark.slow)], ids=["3k", "20k"]
)
def test_hnsw_recall_at_10_against_exact_search(settings, size) -> None:
    data = clustered(size, seed=3)
    ids = np.arange(100, size + 100)
    index = VectorIndex(DIM, MODEL, settings)
    index.add(ids, data)
    assert index.kind == "hnsw"
    queries = clustered(200, seed=4)
    truth = exact_top(data, ids, queries, 10)
    found = [{pid for pid, _ in hits} for hits in index.search(queries, 10)]
    recall = np.mean([len(f & t) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.95, recall


@pytest.mark.parametrize("size", [500, 1500], ids=["flat", "hnsw"])
def test_removed_ids_are_gone(settings, size) -> None:
    data = clustered(size, seed=5)
    index = VectorIndex(DIM, MODEL, settings)
    index.add(np.arange(size), data)
    assert index.remove(np.array([0, 1, 2, 10**9])) == 3
    assert index.remove(np.array([0])) == 0  # removing twice is a no-op
    assert index.count == size - 3
    hits = index.search(data[:3], 5)
    assert all(pid not in (0, 1, 2) for row in hits for pid, _ in row)
    assert all(len(row) == 5 for row in hits)
    assert not np.isin([0, 1, 2], index.ids()).any()
    assert not index.vectors_for([0, 3])[0].any() and index.vectors_for([0, 3])[1].any()


def test_many_removals_compact_the_hnsw_index(settings) -> None:
    data = clustered(1500, seed=6)
    index = VectorIndex(DIM, MODEL, settings)
    index.add(np.arange(1500), data)
    index.remove(np.arange(400))
    assert index.kind == "hnsw" and index.count == 1100
    assert len(index.ids()) == 1100 and int(index.ids().min()) == 400


def test_an_id_added_again_after_removal_has_only_its_new_vector(settings) -> None:
    data = clustered(1501, seed=7)
    index = VectorIndex(DIM, MODEL, settings)
    index.add(np.arange(1500), data[:1500])
    index.remove(np.array([7]))
    index.add(np.array([7]), data[1500:])
    assert index.count == 1500
    assert index.search(data[1500], 1)[0][0][0] == 7
    old_vector_hits = index.search(data[7], 3)[0]
    assert not [score for pid, score in old_vector_hits if pid == 7 and score > 0.999]
    np.testing.assert_allclose(index.vectors_for([7])[0], data[1500], atol=1e-6)


@pytest.mark.parametrize("size", [500, 1500], ids=["flat", "hnsw"])
def test_save_and_load_keep_everything(settings, size, tmp_path) -> None:
    data = clustered(size, seed=8)
    index = VectorIndex(DIM, MODEL, settings)
    index.add(np.arange(size), data)
    index.remove(np.array([3]))
    path = tmp_path / "vectors.faiss"
    index.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.faiss", "vectors.faiss.json"]
    meta = json.loads(metadata_path(path).read_text())
    assert meta["model"] == MODEL and meta["dimension"] == DIM
    assert meta["count"] == size - 1 and meta["kind"] == index.kind and meta["built_at"]

    loaded = VectorIndex.load(path, DIM, MODEL, settings)
    assert (loaded.kind, loaded.count) == (index.kind, size - 1)
    assert loaded.search(data[:4], 3) == index.search(data[:4], 3)
    assert 3 not in loaded.ids()
    loaded.add(np.array([size + 1]), data[:1])  # still takes new vectors after loading
    assert loaded.count == size


def test_load_refuses_another_model_or_a_broken_file(settings, tmp_path) -> None:
    path = tmp_path / "vectors.faiss"
    index = VectorIndex(DIM, MODEL, settings)
    index.add(np.arange(3), clustered(3, seed=9))
    index.save(path)
    with pytest.raises(StoreError, match="reindex"):
        VectorIndex.load(path, DIM, "another-model", settings)
    path.write_bytes(b"garbage")
    with pytest.raises(StoreError, match="unreadable"):
        VectorIndex.load(path, DIM, MODEL, settings)
    metadata_path(path).unlink()
    with pytest.raises(StoreError, match="metadata"):
        VectorIndex.load(path, DIM, MODEL, settings)


def test_wrong_shapes_are_refused(settings) -> None:
    index = VectorIndex(DIM, MODEL, settings)
    with pytest.raises(StoreError):
        index.add(np.arange(2), np.zeros((2, 10), dtype=np.float32))
    assert index.search(np.zeros(DIM, dtype=np.float32), 5) == [[]]
