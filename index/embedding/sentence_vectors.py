"""One vector per sentence of a passage, pooled from the passage's own forward pass.

"Late chunking" (Günther et al. 2024): the model reads the whole passage once; each sentence's
vector is the mean of its tokens' output embeddings, so it carries the passage's context
("he", "the deal") at no extra model cost. They are stored quantised next to the passage and
let the answerer choose the answering sentence without running the model after the question.
Measured against embedding sentences alone and against words alone: benchmarks/README.md
"Answer quality".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Span = tuple[int, int]


@dataclass(frozen=True)
class SentenceVectors:
    """The sentences of one passage (offsets into the passage text) and their unit vectors."""

    spans: tuple[Span, ...]
    vectors: np.ndarray  # float32, one L2-normalised row per span

    def to_blobs(self) -> tuple[bytes, bytes]:
        """(spans, vectors) as stored: offsets as uint32 pairs, vectors as int8 rows.

        int8 keeps every cosine within ~0.002 of float32 at a quarter of the bytes; the
        scale is not stored because only directions matter (rows are normalised on reading).
        """
        spans = np.asarray(self.spans, dtype="<u4").reshape(-1, 2)
        peak = np.maximum(np.abs(self.vectors).max(axis=1, keepdims=True), 1e-12)
        codes = np.clip(np.rint(self.vectors / peak * 127), -127, 127).astype(np.int8)
        return spans.tobytes(), codes.tobytes()

    @classmethod
    def from_blobs(cls, spans: bytes, vectors: bytes) -> SentenceVectors | None:
        """The stored form read back; None when the two blobs do not fit together (a damaged
        row), so the caller falls back to words."""
        offsets = np.frombuffer(spans, dtype="<u4")
        codes = np.frombuffer(vectors, dtype=np.int8)
        count = len(offsets) // 2
        if not count or len(offsets) % 2 or len(codes) % count:
            return None
        dimension = len(codes) // count
        matrix = codes.reshape(-1, dimension).astype(np.float32)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        pairs = offsets.reshape(-1, 2).tolist()
        return cls(tuple((int(a), int(b)) for a, b in pairs), matrix)


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
