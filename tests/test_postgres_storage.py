"""What only the PostgreSQL backend has to get right: its vectors live in shared tables, so a
re-index must be one at a time and clean up after a killed one; and the test server itself."""

from __future__ import annotations

import psycopg
import pytest

from index.storage import ArchiveBusyError
from tests.test_storage_contract import open_stores

postgres_only = pytest.mark.parametrize("storage_url", ["postgres"], indirect=True)


@postgres_only
def test_one_reindex_at_a_time_and_a_killed_ones_table_is_dropped(make_settings) -> None:
    settings = make_settings()
    _, home = open_stores(settings)
    _, other = open_stores(settings)
    home.open()
    first = home.fresh()
    with pytest.raises(ArchiveBusyError, match="another process is re-indexing"):
        other.fresh()
    home._rebuilding.close()  # the first re-index dies before its swap
    second = other.fresh()
    assert first.table != second.table and second.count == 0
    assert first.size_bytes() == 0  # its table was dropped
    other.publish(second)
    assert home.fresh().count == 0  # released by the swap


def test_the_test_server_listens_on_loopback_with_pgvector(postgres_server) -> None:
    url = postgres_server.create_database()
    assert "@127.0.0.1:" in url
    with psycopg.connect(url) as connection:
        versions = dict(
            connection.execute("SELECT name, default_version FROM pg_available_extensions")
        )
        assert "vector" in versions
        assert connection.execute("SHOW server_version").fetchone()[0].startswith("18")
