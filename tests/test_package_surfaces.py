"""Each index package names its public API, every name of it resolves, and importing a light
module does not load the heavy libraries through a package `__init__`; no import circles in
the package, and no test module (or benchmark) imports a test module."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

from newsbot_testing.import_graph import circles, imports, modules
from newsbot_testing.paths import REPO

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


def test_the_package_has_no_import_circles() -> None:
    found = modules(["config", "index", "retrieval", "bot"])
    assert len(found) > 100
    assert circles(imports(found)) == []


def test_an_import_circle_is_found(tmp_path) -> None:
    """The guard above can fail: a loop through a lazy import inside a function counts."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import f\n")
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    from pkg import a\n")
    (tmp_path / "pkg" / "c.py").write_text("import pkg.a\n")
    assert circles(imports(modules(["pkg"], root=tmp_path))) == [["pkg.a", "pkg.b"]]


def test_no_test_module_or_benchmark_imports_a_test_module() -> None:
    """Shared test code lives in newsbot_testing (tests/support); `tests` is not a package."""
    offenders = []
    for folder in ("tests", "benchmarks"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                if isinstance(node, ast.ImportFrom) and node.level:
                    names.append(".")
                bad = [
                    n
                    for n in names
                    if n == "." or n == "tests" or n.startswith(("tests.", "test_", "conftest"))
                ]
                if bad:
                    offenders.append(f"{path.relative_to(REPO)}: {bad}")
    assert offenders == []
