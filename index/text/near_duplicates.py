"""SimHash fingerprints so the same wire story on several outlets is stored once.

64-bit SimHash over word 3-shingles; two texts whose fingerprints differ in at most
MAX_DISTANCE bits are the same story. The fingerprint is cut into four 16-bit bands: by the
pigeonhole principle two fingerprints within 3 bits share at least one band exactly, so an
indexed lookup on the bands finds every candidate without scanning the archive.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

MAX_DISTANCE = 3
_WORD = re.compile(r"\w+", re.UNICODE)
_BITS = np.arange(64, dtype=np.uint64)


def simhash(text: str) -> int:
    """A signed 64-bit fingerprint (signed so SQLite INTEGER stores it as is)."""
    words = _WORD.findall(text.lower())
    shingles = [" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 1))]
    digests = b"".join(hashlib.blake2b(s.encode(), digest_size=8).digest() for s in shingles)
    values = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    # Bit by bit in numpy: the per-shingle Python loop over 64 bits was ~8% of ingest time.
    ones = ((values[:, None] >> _BITS) & np.uint64(1)).sum(axis=0)
    fingerprint = 0
    for bit in np.flatnonzero(2 * ones > len(shingles)).tolist():
        fingerprint |= 1 << bit
    return fingerprint - (1 << 64) if fingerprint >= 1 << 63 else fingerprint


def bands(fingerprint: int) -> tuple[int, int, int, int]:
    unsigned = fingerprint & ((1 << 64) - 1)
    return tuple((unsigned >> (16 * i)) & 0xFFFF for i in range(4))  # type: ignore[return-value]


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def is_near_duplicate(a: int, b: int) -> bool:
    return distance(a, b) <= MAX_DISTANCE
