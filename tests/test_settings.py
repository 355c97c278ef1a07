"""Settings: defaults, a user file, environment overrides, and one clear line when invalid."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from config import SettingsError, load_settings


def test_defaults_are_valid():
    settings = load_settings(env={})
    assert settings.embedding.backend == "onnx-int8"
    assert settings.telegram.admins == ()


def test_file_then_environment_override(tmp_path):
    config = tmp_path / "newsbot.toml"
    config.write_text('data_dir = "/srv/news"\n[retrieval]\nquotes = 5\n')
    settings = load_settings(
        config,
        env={
            "NEWSBOT_RETRIEVAL_QUOTES": "4",
            "NEWSBOT_ADMINS": "11, 22",
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "NEWSBOT_TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
        },
    )
    assert str(settings.data_dir) == "/srv/news"
    assert settings.retrieval.quotes == 4
    assert settings.telegram.admins == (11, 22)
    assert settings.telegram.token == "123:abc" and "123:abc" not in repr(settings)
    assert settings.telegram.api_url == "http://127.0.0.1:8081/bot"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"NEWSBOT_ADMINS": "alice"},
            "telegram.admins (from NEWSBOT_ADMINS) must be a list of whole numbers",
        ),
        ({"NEWSBOT_RETRIEVAL_QUOTES": "0"}, "retrieval.quotes must be greater than 0"),
        ({"NEWSBOT_EMBEDDING_BACKEND": "gpu"}, "embedding.backend must be one of torch, onnx-int8"),
        ({"NEWSBOT_FETCH_ALLOW_PRIVATE_NETWORKS": "localhost"}, "not a network"),
        (
            {"NEWSBOT_SOURCES_MAX_ARTICLE_CHARS": "0"},
            "sources.max_article_chars must be greater than 0",
        ),
        ({"NEWSBOT_PASSAGES_MAX_CHARS": "-1"}, "passages.max_chars must be greater than 0"),
        (
            {"NEWSBOT_FETCH_FEED_DEADLINE_SECONDS": "0"},
            "fetch.feed_deadline_seconds must be greater than 0",
        ),
    ],
)
def test_invalid_values_fail_with_one_line(env, message):
    with pytest.raises(SettingsError, match=re.escape(message)) as error:
        load_settings(env=env)
    assert "\n" not in str(error.value)


def test_unknown_keys_and_bad_toml(tmp_path):
    unknown = tmp_path / "u.toml"
    unknown.write_text("[retrieval]\nquotas = 3\n")
    with pytest.raises(SettingsError, match="unknown setting retrieval.quotas"):
        load_settings(unknown, env={})
    broken = tmp_path / "b.toml"
    broken.write_text("data_dir = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(broken, env={})
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", env={})


def test_the_cli_stops_with_one_line_and_exit_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--data-dir", str(tmp_path), "stats"],
        capture_output=True,
        text=True,
        env={"NEWSBOT_RETRIEVAL_QUOTES": "many", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "newsbot: invalid settings: setting retrieval.quotes (from NEWSBOT_RETRIEVAL_QUOTES) must be a whole number, got 'many'"
    ]
