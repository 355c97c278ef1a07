"""Each index package names its public API, every name of it resolves, and importing a light
module does not load the heavy libraries through a package `__init__`."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "index",
    "index.sources",
    "index.text",
    "index.embedding",
    "index.storage",
    "index.state",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_resolves(name: str) -> None:
    package = importlib.import_module(name)
    assert package.__all__
    missing = [n for n in package.__all__ if getattr(package, n, None) is None]
    assert missing == []


@pytest.mark.parametrize(
    "module", ["index.errors", "index.sources", "index.state", "index.embedding"]
)
def test_a_light_import_loads_no_heavy_library(module: str) -> None:
    heavy = ["torch", "faiss", "onnxruntime", "trafilatura", "sentence_transformers"]
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; print(*sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert [name for name in heavy if name in loaded] == []
