"""The int8 ONNX backend: exported once from the packaged model, offline, close to torch."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from index import StoreError
from index.embedding import DIMENSION, make_embedder, packaged_model_path
from index.embedding.onnx_int8 import ONNX_FILE, OnnxInt8Embedder

SENTENCES = [
    "Ukraine's president said he would meet Putin only after a ceasefire.",
    "The central bank raised interest rates by half a percentage point on Wednesday.",
    "Iga Swiatek beat Coco Gauff in the French Open women's final.",
    "Wildfires forced thousands to leave their homes in northern California.",
    "Short.",
    # Longer than the 256-token limit: cut exactly where torch cuts it.
    " ".join(["The committee heard evidence from officials about the storm."] * 60),
]


@pytest.fixture(scope="module")
def data_dir(onnx_embedder) -> Path:
    """Where the session's export was made (tests/conftest.py, sockets refused)."""
    return onnx_embedder.onnx_path.parents[1]


def test_export_lands_in_the_data_directory_once(onnx_embedder, data_dir, monkeypatch) -> None:
    path = data_dir / "models" / ONNX_FILE
    assert path.is_file() and path.stat().st_size > 5_000_000
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary files left

    def no_second_export(*args):
        raise AssertionError("exported again although the file is there")

    monkeypatch.setattr("index.embedding.onnx_int8.export_int8", no_second_export)
    again = OnnxInt8Embedder(packaged_model_path(), data_dir, batch_size=4)
    again.load()
    assert again.encode(SENTENCES[:1]).shape == (1, DIMENSION)


def test_vectors_are_normalised_float32_in_input_order(onnx_embedder) -> None:
    vectors = onnx_embedder.encode(SENTENCES)
    assert vectors.shape == (len(SENTENCES), DIMENSION) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # A text gives the same vector alone as among others (no batch-dependent quantisation).
    for row, text in enumerate(SENTENCES):
        alone = onnx_embedder.encode([text])[0]
        np.testing.assert_allclose(alone, vectors[row], atol=1e-6)


def test_close_to_the_torch_model(onnx_embedder, embedder) -> None:
    cosines = (onnx_embedder.encode(SENTENCES) * embedder.encode(SENTENCES)).sum(axis=1)
    # Dynamic int8 quantisation moves a little between onnx/onnxruntime releases (the worst
    # sentence here went from 0.9896 to 0.9849 with onnxruntime 1.32); what matters, answer
    # quality within a point of torch, is measured in benchmarks/README.md.
    assert cosines.mean() >= 0.985 and cosines.min() >= 0.98, cosines


def test_concurrent_encodes_agree(onnx_embedder) -> None:
    expected = onnx_embedder.encode(SENTENCES)
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(onnx_embedder.encode(SENTENCES)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    for result in results:
        np.testing.assert_allclose(result, expected, atol=1e-5)


def test_empty_input_and_a_distinct_model_name(onnx_embedder) -> None:
    assert onnx_embedder.encode([]).shape == (0, DIMENSION)
    # int8 vectors must not be mixed with torch ones in one vector index.
    assert onnx_embedder.model_name != "sentence-transformers/all-MiniLM-L6-v2"


def test_settings_select_the_backend(make_settings, data_dir) -> None:
    settings = make_settings(embedding__backend="onnx-int8")
    assert isinstance(make_embedder(settings.embedding, data_dir), OnnxInt8Embedder)


def test_a_missing_model_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(StoreError, match="no embedding model"):
        OnnxInt8Embedder(tmp_path / "nowhere", tmp_path, batch_size=4)


def test_a_corrupt_export_is_made_again(tmp_path, onnx_embedder, monkeypatch) -> None:
    path = tmp_path / "models" / ONNX_FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    exported: list[Path] = []

    def export_again(model_path: Path, onnx_path: Path) -> None:
        # The real export is the session's (30 s); this one puts the same file in place.
        exported.append(onnx_path)
        shutil.copyfile(onnx_embedder.onnx_path, onnx_path)

    monkeypatch.setattr("index.embedding.onnx_int8.export_int8", export_again)
    model = OnnxInt8Embedder(packaged_model_path(), tmp_path, batch_size=4)
    assert model.encode(SENTENCES[:2]).shape == (2, DIMENSION)
    assert exported == [path] and path.stat().st_size > 5_000_000
