"""The backend is chosen in one place: `open_backend` reads `storage.url`, and each backend
opens its own schema and state (no SQLite file under PostgreSQL)."""

from __future__ import annotations

import ast

import pytest

from index import StoreError
from index.backends import BACKENDS, keeps_data_dir, open_backend
from newsbot_testing.paths import REPO
from newsbot_testing.postgres import both_backends

# Who may read `storage.url`: the choice, the PostgreSQL backend connecting to the URL it was
# chosen for, and the log filter that hides the URL's password.
READERS = {"index/backends/choice.py", "index/backends/postgres/__init__.py", "bot/log_setup.py"}


def test_storage_url_is_read_only_where_the_backend_is_chosen() -> None:
    readers = set()
    for folder in ("config", "index", "retrieval", "bot"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "url"
                    and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "storage"
                ):
                    readers.add(str(path.relative_to(REPO)))
    assert readers == READERS


@both_backends
def test_each_backend_opens_its_own_schema_and_state(make_settings, storage_url) -> None:
    settings = make_settings()
    backend = open_backend(settings, 8, "test/model")
    state = backend.open_state()
    assert state.subscriptions.add(7, None, "oil", "oil")[1]
    again = open_backend(settings, 8, "test/model").open_state()  # as another process would
    assert [s.topic for s in again.subscriptions.for_chat(7, None)] == ["oil"]
    assert keeps_data_dir(settings) == (not storage_url)
    assert (settings.data_dir / "newsbot.db").exists() == (not storage_url)
    assert backend.schema_version() == (7 if storage_url else 9)  # every migration ran
    assert backend.size_bytes() > 0
    assert ("PostgreSQL" in backend.label) == bool(storage_url)


def test_a_scheme_no_backend_serves_is_refused_by_name(make_settings, monkeypatch) -> None:
    monkeypatch.delitem(BACKENDS, "postgresql")  # as if this build had no PostgreSQL backend
    settings = make_settings(**{"storage.url": "postgresql://u@127.0.0.1:1/db"})
    with pytest.raises(StoreError, match=r"no backend for postgresql://"):
        open_backend(settings, 8, "test/model")
    assert not (settings.data_dir / "newsbot.db").exists()
