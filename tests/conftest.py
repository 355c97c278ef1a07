"""Fixtures shared by every test: the real model (loaded once per session), settings for a
temporary data directory, the evaluation data in ../shared/data, and an archive holding the
seed article."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from config import Settings, load_settings
from index import Ingestor, NewsArchive
from index.embedding import TorchEmbedder
from index.sources import read_file

REPO = Path(__file__).resolve().parents[1]
SAMPLE_ARTICLE = REPO / "index" / "samples" / "zelensky-putin-meeting.txt"

# Property tests (hypothesis): a quick profile for `make test`, and a thorough one for the
# reliability run (`pytest --hypothesis-profile=thorough`, see benchmarks/README.md
# "Reliability"). No deadline: a slow case is a finding of its own, measured by the tests
# that bound time, not a flaky failure on a busy 2-core machine.
settings.register_profile(
    "quick", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("NEWSBOT_HYPOTHESIS_PROFILE", "quick"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every hypothesis test carries the `properties` marker, so the reliability run
    (`make reliability`) can run them all with the thorough profile."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.properties)


def _shared_data() -> Path:
    configured = os.environ.get("NEWSBOT_SHARED_DATA")
    return Path(configured) if configured else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = _shared_data()
    if not path.is_dir():
        pytest.fail(f"evaluation data not found at {path} (set NEWSBOT_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def embedder() -> TorchEmbedder:
    """The real all-MiniLM-L6-v2, loaded once for the whole run."""
    model = TorchEmbedder()
    model.load()
    return model


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a fresh data directory under tmp_path; dotted overrides allowed."""

    def make(**overrides: Any) -> Settings:
        values = {"data_dir": str(tmp_path / "data")}
        values.update({k.replace("__", "."): v for k, v in overrides.items()})
        return load_settings(env={}, overrides=values)

    return make


@pytest.fixture
def make_archive(make_settings, embedder) -> Callable[..., NewsArchive]:
    def make(**overrides: Any) -> NewsArchive:
        return NewsArchive(make_settings(**overrides), embedder=embedder)

    return make


@pytest.fixture
def seed_archive(make_archive) -> NewsArchive:
    archive = make_archive()
    Ingestor(archive).ingest(read_file(SAMPLE_ARTICLE))
    return archive
