"""The PostgreSQL password never shows: 50 malformed (and a few well-formed) storage URLs, each
with its own password, through the settings, `newsbot stats`, `newsbot migrate --to`, the
log file and the exceptions the archive raises. A password with a space or a stray %, a
driver-qualified scheme, a leading space, a password in the query: libpq repeats pieces of
what it cannot parse, and a settings error repeats the value."""

from __future__ import annotations

import itertools
import logging
import socket
from pathlib import Path

import pytest

from config import SettingsError, load_settings
from config.redaction import redacted_url, scrubbed
from index import NewsArchive
from index.backends.sqlite import open_database
from index.errors import IndexError_
from newsbot_testing.in_process_cli import run_cli
from newsbot_testing.made_up import HashEmbedder

SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://", " postgresql://", "pg://")
# Around and inside each password: what libpq refuses or splits on.
WRAPPINGS = ("{}", "a b{}", "{}%zz", "x%{}", "{} ", "@{}", "{}/x", "'{}'", "{}:x", "%2{}")
PLACES = ("127.0.0.1:{port}/news", "[::1/news", "127.0.0.1:notaport/news", "127.0.0.1:{port}")
QUERIES = ("", "?sslmode=bogus", "?password={}", "?connect_timeout=x")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def malformed_urls(count: int) -> list[tuple[str, list[str]]]:
    """`count` storage URLs, each with the secret pieces no output may contain."""
    port = closed_port()
    combinations = itertools.product(SCHEMES, WRAPPINGS, PLACES, QUERIES)
    chosen = list(combinations)[:: len(SCHEMES) * len(WRAPPINGS) * len(PLACES) * 4 // count]
    urls = []
    for n, (scheme, wrapping, place, query) in enumerate(chosen[:count]):
        secret = f"Pw{n}Qx"
        password = wrapping.format(secret)
        url = f"{scheme}newsbot:{password}@{place.format(port=port)}{query.format(secret + 'Q')}"
        urls.append((url, [secret]))
    return urls


URLS = malformed_urls(50)


def test_fifty_distinct_malformed_urls():
    assert len({url for url, _ in URLS}) == 50


def outputs_of(url: str, tmp_path: Path, caplog) -> list[str]:
    """What an operator sees of `url`: the settings error or the archive's exception, and
    `newsbot stats` and `newsbot migrate --to` (stdout, stderr, the log file)."""
    seen = []
    data_dir = tmp_path / "data"
    try:
        settings = load_settings(env={"NEWSBOT_STORAGE_URL": url}, overrides={"data_dir": data_dir})
    except SettingsError as error:
        seen.append(str(error))
    else:
        try:
            NewsArchive(settings, embedder=HashEmbedder())
        except IndexError_ as error:
            seen += [str(error), repr(error), str(error.__cause__ or "")]
    env = {"NEWSBOT_STORAGE_URL": url, "NEWSBOT_STORAGE_LOCK_TIMEOUT_SECONDS": "1"}
    for args in (("stats",), ("-v", "stats")):
        result = run_cli("--data-dir", str(data_dir), *args, env=env)
        seen += [result.stdout, result.stderr]
    source = tmp_path / "source"
    source.mkdir()
    open_database(source / "newsbot.db")  # an archive to copy: migrate gets as far as connecting
    result = run_cli("--data-dir", str(source), "migrate", "--to", url)
    seen += [result.stdout, result.stderr]
    seen += [p.read_text() for p in tmp_path.rglob("newsbot.log")]
    seen += [record.getMessage() for record in caplog.records]
    return seen


# One in six in the fast suite, all 50 in `make reliability`.
@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        pytest.param(url, secrets, id=str(n), marks=() if n % 6 == 0 else pytest.mark.slow)
        for n, (url, secrets) in enumerate(URLS)
    ],
)
def test_no_output_shows_the_password(url, secrets, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    for output in outputs_of(url, tmp_path, caplog):
        for secret in secrets:
            assert secret not in output, (url, output)


def test_a_working_url_with_a_password_is_shown_without_it(postgres_server, tmp_path, caplog):
    """Trust authentication lets any password in: `stats` names the server, not the password."""
    caplog.set_level(logging.DEBUG)
    database = postgres_server.create_database().rsplit("/", 1)[1]
    secret = "Pw Works%20Qx"
    url = f" postgresql+psycopg://postgres:{secret.replace(' ', '%20')}@127.0.0.1:{postgres_server.port}/{database}"
    result = run_cli(
        "--data-dir", str(tmp_path / "data"), "stats", env={"NEWSBOT_STORAGE_URL": url}
    )
    assert result.returncode == 0, result.stderr
    assert f"PostgreSQL 127.0.0.1:{postgres_server.port}/{database}" in result.stdout
    for output in (result.stdout, result.stderr):
        assert "Works" not in output


def test_redaction_hides_every_form_of_the_password():
    assert redacted_url("postgresql://u:p@ss@h:1/db") == "postgresql://u:***@h:1/db"
    assert redacted_url("postgresql://h/db?password=secret&x=1") == (
        "postgresql://h/db?password=***&x=1"
    )
    assert redacted_url("postgresql://h/db") == "postgresql://h/db"
    url = "postgresql://u:se%20cret@h/db"
    assert scrubbed('bad "se cret" and se%20cret', url) == 'bad "***" and ***'
