"""Sentence vectors: pooled from a passage's own forward pass, stored compactly, read back
safely, written at ingest and rebuilt by re-indexing."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from index import Ingestor
from index.embedding import SentenceVectors, encode_passages
from index.embedding.sentence_vectors import pool_sentences
from index.sources import read_file
from index.text import passage_sentences
from newsbot_testing.paths import SAMPLE_ARTICLE


@given(st.integers(1, 12), st.integers(0, 2**32 - 1), st.floats(0.05, 20))
def test_stored_vectors_keep_their_direction(rows, seed, scale):
    # Dense rows like the model's output (every value matters a little), any scale.
    matrix = np.random.default_rng(seed).normal(size=(rows, 384)).astype(np.float32) * scale
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    spans = tuple((i * 10, i * 10 + 9) for i in range(len(matrix)))
    read = SentenceVectors.from_blobs(*SentenceVectors(spans, matrix).to_blobs())
    assert read is not None and read.spans == spans
    assert (np.sum(read.vectors * matrix, axis=1) >= 0.99).all()
    assert np.allclose(np.linalg.norm(read.vectors, axis=1), 1.0, atol=1e-5)


@given(st.binary(max_size=2000), st.binary(max_size=5000))
def test_any_stored_bytes_read_back_as_vectors_or_nothing(spans, vectors):
    read = SentenceVectors.from_blobs(spans, vectors)
    assert read is None or len(read.spans) == len(read.vectors)


def test_sentence_vectors_take_about_a_fifth_of_a_float32_vector_each():
    matrix = np.ones((6, 384), dtype=np.float32) / np.sqrt(384)
    _, vectors = SentenceVectors(tuple((0, 1) for _ in range(6)), matrix).to_blobs()
    assert len(vectors) == 1 + 6 * 288  # 6 bits a value: 6 sentences < 1.5 passage vectors


def test_a_sentence_is_the_mean_of_its_tokens_and_a_cut_off_one_is_listed():
    tokens = np.array([[9, 9], [1, 0], [0, 1], [3, 4], [9, 9]], dtype=np.float32)
    offsets = [(0, 0), (0, 3), (4, 7), (9, 12), (0, 0)]  # [CLS] a b | c [SEP]
    pooled, missing = pool_sentences(tokens, offsets, [(0, 8), (9, 13), (20, 30)])
    assert np.allclose(pooled[0], [np.sqrt(0.5), np.sqrt(0.5)])
    assert np.allclose(pooled[1], [0.6, 0.8])
    assert missing == [2] and not pooled[2].any()


def test_both_backends_pool_the_same_sentences(embedder, onnx_embedder):
    text = (
        "Zelensky said he was ready to meet Putin. He set one condition: a full ceasefire. "
        "The Kremlin did not reply."
    )
    spans = [passage_sentences(text)]
    torch_vectors, torch_sentences = encode_passages(embedder, [text], spans)
    onnx_vectors, onnx_sentences = encode_passages(onnx_embedder, [text], spans)
    assert torch_sentences is not None and onnx_sentences is not None
    assert torch_sentences[0].shape == (3, embedder.dimension)
    assert np.allclose(torch_vectors, embedder.encode([text]), atol=1e-5)
    assert (np.sum(torch_sentences[0] * onnx_sentences[0], axis=1) >= 0.95).all()


def test_ingest_stores_each_passages_sentences_and_reindex_rebuilds_them(seed_archive):
    store = seed_archive.store
    ids = store.passage_ids()
    stored = store.sentence_vectors(ids)
    records = store.passages(ids)
    assert set(stored) == set(ids)
    for passage_id, sentences in stored.items():
        assert list(sentences.spans) == passage_sentences(records[passage_id].text)
    with seed_archive.database.transaction() as tx:
        tx.execute("DELETE FROM passage_sentences")
    assert store.sentence_vectors(ids) == {}
    seed_archive.reindex()
    rebuilt = store.sentence_vectors(ids)
    assert set(rebuilt) == set(ids)
    for passage_id in ids:
        assert np.allclose(rebuilt[passage_id].vectors, stored[passage_id].vectors, atol=1e-4)


def test_deleting_an_article_deletes_its_sentences(make_archive):
    archive = make_archive()
    report = Ingestor(archive).ingest(read_file(SAMPLE_ARTICLE))
    ids = archive.store.passage_ids()
    archive.store.delete_article(report.added[0])
    assert archive.store.sentence_vectors(ids) == {}
