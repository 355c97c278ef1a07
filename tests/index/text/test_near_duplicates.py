"""SimHash fingerprints: the numpy version gives exactly the fingerprints stored by the first
one (archives already hold them), and near-copies of a story land within the distance."""

from __future__ import annotations

import hashlib
import re

import pytest

from index.text.near_duplicates import bands, is_near_duplicate, simhash
from newsbot_testing.paths import SAMPLE_ARTICLE


def reference_simhash(text: str) -> int:
    """The original per-bit loop, kept as the specification."""
    words = re.findall(r"\w+", text.lower())
    shingles = [" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 1))]
    weights = [0] * 64
    for shingle in shingles:
        value = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    fingerprint = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return fingerprint - (1 << 64) if fingerprint >= 1 << 63 else fingerprint


SEED = SAMPLE_ARTICLE.read_text()


@pytest.mark.parametrize(
    "text", ["", "one", "two words", "Ceasefire talks resume.", SEED, SEED.upper() + " Ünïcode"]
)
def test_fingerprints_are_those_of_the_reference(text):
    assert simhash(text) == reference_simhash(text)
    assert -(1 << 63) <= simhash(text) < 1 << 63


def test_a_lightly_edited_copy_is_a_near_duplicate_and_another_story_is_not():
    copy = SEED.replace("Zelensky", "Zelenskyy", 1) + "\nReporting by a wire service."
    assert is_near_duplicate(simhash(SEED), simhash(copy))
    other = "Dock workers at the port ended their strike after a pay deal. " * 20
    assert not is_near_duplicate(simhash(SEED), simhash(other))
    assert len(bands(simhash(SEED))) == 4
