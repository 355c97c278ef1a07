"""One vector per sentence of a passage, pooled from the passage's own forward pass.

"Late chunking" (Günther et al. 2024): the model reads the whole passage once; each sentence's
vector is the mean of its tokens' output embeddings, so it carries the passage's context
("he", "the deal") at no extra model cost. They are stored quantised next to the passage and
let the answerer choose the answering sentence without running the model after the question.
Measured against embedding sentences alone and against words alone: benchmarks/README.md
"Answer quality".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

Span = tuple[int, int]


@dataclass(frozen=True)
class SentenceVectors:
    """The sentences of one passage (offsets into the passage text) and their unit vectors."""

    spans: tuple[Span, ...]
    vectors: np.ndarray  # float32, one L2-normalised row per span

    def to_blobs(self) -> tuple[bytes, bytes]:
        """(spans, vectors) as stored: offsets as uint32 pairs; vectors as 6-bit codes.

        Six bits per value (a format byte, then four values in three bytes) keep every cosine
        within ~0.001 of float32, as close as the int8 model is to torch, at 288 bytes per
        sentence: ~1.2x the passage vectors' bytes in all (benchmarks/README.md "Answer
        quality"). The scale is not stored: only directions matter, rows are normalised on
        reading.
        """
        spans = np.asarray(self.spans, dtype="<u4").reshape(-1, 2)
        return spans.tobytes(), bytes([_SIX_BITS]) + _pack6(self.vectors)

    @classmethod
    def from_blobs(cls, spans: bytes, vectors: bytes) -> SentenceVectors | None:
        """The stored form read back; None when the blobs are of another format or do not fit
        together (a damaged row), so the caller falls back to words."""
        if not spans or len(spans) % 8 or vectors[:1] != bytes([_SIX_BITS]):
            return None
        offsets = np.frombuffer(spans, dtype="<u4")
        count = len(offsets) // 2
        packed = vectors[1:]
        if len(packed) % (3 * count):
            return None
        matrix = _unpack6(packed, count)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        pairs = offsets.reshape(-1, 2).tolist()
        return cls(tuple((int(a), int(b)) for a, b in pairs), matrix)

    @classmethod
    def read_rows(cls, rows: Iterable[tuple[int, bytes, bytes]]) -> dict[int, SentenceVectors]:
        """Stored (passage id, spans, vectors) rows as each backend returns them, by passage
        id; damaged rows are left out, so those passages fall back to words."""
        found: dict[int, SentenceVectors] = {}
        for passage_id, spans, vectors in rows:
            read = cls.from_blobs(bytes(spans), bytes(vectors))
            if read is not None:
                found[int(passage_id)] = read
        return found


_SIX_BITS = 6  # the format byte of 6-bit codes
_LEVELS = 31  # codes -31..31, stored offset by 31 in six bits


def _pack6(vectors: np.ndarray) -> bytes:
    """Each row scaled to its largest value, rounded to -31..31, four codes per three bytes
    (rows padded with zeros to a multiple of four values)."""
    rows, width = vectors.shape
    padded = np.zeros((rows, -(-width // 4) * 4), dtype=np.float32)
    padded[:, :width] = vectors
    peak = np.maximum(np.abs(padded).max(axis=1, keepdims=True), 1e-12)
    codes = (np.clip(np.rint(padded / peak * _LEVELS), -_LEVELS, _LEVELS) + _LEVELS).astype(
        np.uint32
    )
    quads = codes.reshape(-1, 4)
    word = (quads[:, 0] << 18) | (quads[:, 1] << 12) | (quads[:, 2] << 6) | quads[:, 3]
    out = np.empty((len(word), 3), dtype=np.uint8)
    out[:, 0], out[:, 1], out[:, 2] = word >> 16, (word >> 8) & 0xFF, word & 0xFF
    return out.tobytes()


def _unpack6(packed: bytes, rows: int) -> np.ndarray:
    triples = np.frombuffer(packed, dtype=np.uint8).reshape(-1, 3).astype(np.uint32)
    word = (triples[:, 0] << 16) | (triples[:, 1] << 8) | triples[:, 2]
    codes = np.stack([word >> 18, (word >> 12) & 63, (word >> 6) & 63, word & 63], axis=1)
    return (codes.reshape(rows, -1).astype(np.float32) - _LEVELS) / _LEVELS


def pool_sentences(
    tokens: np.ndarray, token_offsets: Sequence[Span], spans: Sequence[Span]
) -> tuple[np.ndarray, list[int]]:
    """Mean of each span's token embeddings, normalised, and the spans no token fell in.

    `tokens` are one text's output embeddings (tokens x dimension), `token_offsets` their
    character offsets in that text ((0, 0) for special tokens), `spans` character ranges of
    the same text. A token belongs to the span its first character is in. A span with no
    token (cut off past the model's length limit) gets a zero row and is listed.
    """
    out = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    if not spans:
        return out, []
    starts = np.array([s for s, e in token_offsets], dtype=np.int64)
    ends = np.array([e for s, e in token_offsets], dtype=np.int64)
    real = ends > starts  # special tokens and padding have empty offsets
    missing = []
    for row, (start, end) in enumerate(spans):
        inside = real & (starts >= start) & (starts < end)
        if not inside.any():
            missing.append(row)
            continue
        mean = tokens[inside].mean(axis=0)
        out[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out, missing
