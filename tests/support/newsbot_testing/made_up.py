"""Made-up articles for tests that need many distinct ones fast (and a stand-in model to embed
them), without the shared data sets."""

from __future__ import annotations

import hashlib
import json
import random
import string
from pathlib import Path

import numpy as np

from index.text import Article

# A wire story, for copies of it on other outlets.
WIRE = (
    "Officials in the capital confirmed on Tuesday that the new bridge across the river will open "
    "to traffic next month after three years of construction and repeated delays caused by floods. "
    "The mayor said the project came in under budget and would cut travel times for commuters. "
    "Local businesses welcomed the news, saying the bridge would bring more customers downtown."
)


class HashEmbedder:
    """A stand-in model: a fixed random unit vector per text."""

    model_name, dimension = "test/hash-embedder", 16

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            row = np.random.default_rng(seed).standard_normal(self.dimension)
            rows.append(row / np.linalg.norm(row))
        return np.array(rows, dtype=np.float32).reshape(-1, self.dimension)


def articles(prefix: str, count: int) -> list[Article]:
    """`count` short articles, one sentence each, that differ only in their number."""
    return [
        Article(f"{prefix} story {n}", f"{prefix} sentence number {n} happened today.", None)
        for n in range(count)
    ]


def distinct_article(i: int) -> Article:
    """The words of WIRE in an order of its own per `i`: no near-duplicate of another."""
    words = WIRE.split()
    shuffled = [words[(j * (i + 3)) % len(words)] for j in range(len(words))]
    return Article(f"Story {i}", " ".join(shuffled) + ".", f"https://n.example/{i}")


def made_up_words(seed: str, count: int) -> list[str]:
    """Words no other article shares, so no article is a near-duplicate of another."""
    rng = random.Random(seed)
    return ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))) for _ in range(count)]


def write_articles(path: Path, prefix: str, count: int, paragraphs: int = 1) -> Path:
    """A jsonl file of distinct articles, each about `paragraphs` passages long."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            words = made_up_words(f"{prefix}-{n}", 130 * paragraphs)
            sentences = [
                " ".join(words[i : i + 13]).capitalize() + "." for i in range(0, len(words), 13)
            ]
            record = {
                "url": f"https://news.example.com/{prefix}/{n}",
                "title": f"{prefix.title()} story {n}",
                "published": "2025-08-20",
                "source": "Example News",
                "text": " ".join(sentences),
            }
            out.write(json.dumps(record) + "\n")
    return path
