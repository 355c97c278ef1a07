"""SimHash fingerprints so the same wire story on several outlets is stored once.

64-bit SimHash over word 3-shingles; two texts whose fingerprints differ in at most
MAX_DISTANCE bits are the same story. The fingerprint is cut into four 16-bit bands: by the
pigeonhole principle two fingerprints within 3 bits share at least one band exactly, so an
indexed lookup on the bands finds every candidate without scanning the archive.
"""

from __future__ import annotations

import hashlib
import re

MAX_DISTANCE = 3
_WORD = re.compile(r"\w+", re.UNICODE)


def simhash(text: str) -> int:
    """A signed 64-bit fingerprint (signed so SQLite INTEGER stores it as is)."""
    words = _WORD.findall(text.lower())
    shingles = [" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 1))]
    weights = [0] * 64
    for shingle in shingles:
        value = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    fingerprint = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return fingerprint - (1 << 64) if fingerprint >= 1 << 63 else fingerprint


def bands(fingerprint: int) -> tuple[int, int, int, int]:
    unsigned = fingerprint & ((1 << 64) - 1)
    return tuple((unsigned >> (16 * i)) & 0xFFFF for i in range(4))  # type: ignore[return-value]


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def is_near_duplicate(a: int, b: int) -> bool:
    return distance(a, b) <= MAX_DISTANCE
