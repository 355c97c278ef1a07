"""Where things are: the repository (wherever the tests run from) and the sample article that
the README's demo ingests."""

from __future__ import annotations

from pathlib import Path

from config import Settings, load_settings

REPO = Path(__file__).resolve().parents[3]
SAMPLE_ARTICLE = REPO / "index" / "samples" / "zelensky-putin-meeting.txt"
README_QUESTION = "What condition did Zelensky set?"


def settings_for(data_dir: Path, url: str = "") -> Settings:
    """Settings for `data_dir` with nothing else set: no user file, no environment, the
    backend `url` (SQLite + FAISS when empty)."""
    return load_settings(env={}, overrides={"data_dir": str(data_dir), "storage.url": url})
