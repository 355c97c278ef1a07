"""Fixtures shared by every test: the real model (loaded once per session), its int8 ONNX export
(made once per session and linked into each data directory that needs it), settings for a
temporary data directory, the evaluation data in ../shared/data, and an archive holding the
seed article."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx._transports.default as httpx_transports
import pytest
from filelock import FileLock
from hypothesis import HealthCheck, settings

from config import Settings, load_settings
from index import Ingestor, NewsArchive
from index.backends import Backend, open_backend
from index.embedding import TorchEmbedder
from index.embedding.embedder import packaged_model_path
from index.embedding.onnx_int8 import ONNX_FILE, OnnxInt8Embedder
from index.sources import read_file
from newsbot_testing.bbc_news import build_alert_archive
from newsbot_testing.in_process_cli import CliResult, run_cli
from newsbot_testing.paths import REPO, SAMPLE_ARTICLE
from newsbot_testing.postgres import TestPostgres
from newsbot_testing.remembering_embedder import RememberingEmbedder

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


@pytest.fixture(scope="session", autouse=True)
def one_certificate_store() -> Iterator[None]:
    """Every httpx client (two per Application, one per Fetcher) reads certifi's CA bundle into
    a new SSLContext, about 70 ms of CPU each; the tests talk plain HTTP to 127.0.0.1 only, so
    a run shares one default context instead of rebuilding the same one for every bot test.
    Any other `verify` or a client certificate still gets its own context."""
    make = httpx_transports.create_ssl_context
    shared: dict[bool, ssl.SSLContext] = {}

    def create_ssl_context(verify=True, cert=None, trust_env=True) -> ssl.SSLContext:
        if verify is not True or cert is not None:
            return make(verify=verify, cert=cert, trust_env=trust_env)
        if trust_env not in shared:
            shared[trust_env] = make(verify=verify, cert=cert, trust_env=trust_env)
        return shared[trust_env]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx_transports, "create_ssl_context", create_ssl_context)
        yield


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
def embedder() -> RememberingEmbedder:
    """The real all-MiniLM-L6-v2, loaded once for the whole run; each text goes through it
    once (newsbot_testing/remembering_embedder.py)."""
    model = RememberingEmbedder(TorchEmbedder())
    model.load()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        # `make test`: two workers on two cores. Two torch threads each would spin against
        # each other whenever both embed; one each keeps both cores doing work.
        torch.set_num_threads(1)
    return model


@pytest.fixture(scope="session")
def build_once(tmp_path_factory) -> Callable[[str, Callable[[Path], object]], Path]:
    """`build_once(name, make)`: the directory `make` fills, made once for the whole run.

    `make test` runs two pytest-xdist workers, each with its own session; what every worker
    reads (the ONNX export, the archive templates) is made by the first that needs it, under a
    file lock in the directory the workers share, and the others wait for it and reuse it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent

    def build(name: str, make: Callable[[Path], object]) -> Path:
        target, done = root / name, root / f"{name}.done"
        with FileLock(root / f"{name}.lock"):
            if not done.exists():
                shutil.rmtree(target, ignore_errors=True)  # left half-made by a failure
                target.mkdir(parents=True)
                make(target)
                done.touch()
        return target

    return build


@pytest.fixture(scope="session")
def onnx_embedder(build_once) -> OnnxInt8Embedder:
    """The int8 ONNX export, made once for the whole run (about 30 s) into its own data
    directory, with every outgoing connection refused: nothing may be downloaded."""
    real_connect = socket.socket.connect

    def refuse(self, address):
        raise AssertionError(f"the ONNX export tried to connect to {address}")

    def export(data_dir: Path) -> OnnxInt8Embedder:
        model = OnnxInt8Embedder(packaged_model_path(), data_dir, batch_size=4)
        model.load()
        return model

    socket.socket.connect = refuse
    try:
        return export(build_once("onnx-data", export))
    finally:
        socket.socket.connect = real_connect


@pytest.fixture(scope="session")
def onnx_model(onnx_embedder) -> Callable[[Path], Path]:
    """Give a data directory the session's ONNX export, as if it had made it itself, so an
    archive opened there with the default backend loads it instead of exporting again."""

    def install(data_dir: Path) -> Path:
        target = Path(data_dir) / "models" / ONNX_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            try:  # read only by every user: one file on disk for the whole run
                os.link(onnx_embedder.onnx_path, target)
            except OSError:
                shutil.copyfile(onnx_embedder.onnx_path, target)
        return Path(data_dir)

    return install


@pytest.fixture(scope="session")
def bbc_alert_archive(build_once, embedder, shared_data) -> Path:
    """A data directory of BBC articles to learn topic profiles from (newsbot_testing/bbc_news.py),
    embedded once per run: copy it before opening it."""
    folder = build_once(
        "bbc-alerts", lambda path: build_alert_archive(path / "data", embedder, shared_data)
    )
    return folder / "data"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TestPostgres]:
    """One PostgreSQL with pgvector on 127.0.0.1 for the whole run, started (about 2 s) by
    the first test that needs it and stopped at the end."""
    server = TestPostgres().start()
    yield server
    server.stop()


@pytest.fixture
def storage_url(request) -> str:
    """`storage.url` for a test's archive: "" (SQLite + FAISS) unless the test is
    parametrized with "postgres" (newsbot_testing/postgres.py `both_backends`): a fresh database."""
    if getattr(request, "param", "sqlite") == "postgres":
        return request.getfixturevalue("postgres_server").create_database()
    return ""


@pytest.fixture
def state_database(make_settings) -> Callable[[], Backend]:
    """Opens the test's backend, each call a new handle with connections of its own (as
    another process would): SQLite in tmp_path, or the test's PostgreSQL database
    (newsbot_testing/postgres.py `both_backends`); `.open_state()` puts the stores on it."""

    def open_database() -> Backend:
        return open_backend(make_settings(), 8, "test/model")

    return open_database


@pytest.fixture
def make_settings(tmp_path: Path, storage_url: str) -> Callable[..., Settings]:
    """Settings for a fresh data directory under tmp_path (and the test's backend, see
    `storage_url`); dotted overrides allowed."""

    def make(**overrides: Any) -> Settings:
        values = {"data_dir": str(tmp_path / "data"), "storage.url": storage_url}
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


# The command line in-process (newsbot_testing/in_process_cli.py), for every test of it.
@pytest.fixture(scope="session")
def newsbot(onnx_model):
    """`newsbot --data-dir DATA_DIR ARGS` in-process; the data directory gets the session's
    ONNX export first, as a directory that had run once would have it."""

    def run(
        *args: str, data_dir: Path, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> CliResult:
        onnx_model(data_dir)
        return run_cli("--data-dir", str(data_dir), *args, env=env, stdin=stdin)

    return run


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, newsbot) -> Path:
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    result = newsbot("ingest", str(SAMPLE_ARTICLE), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "1 new article" in result.stdout
    return data_dir
