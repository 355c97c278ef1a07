"""Settings: defaults, a user file, environment overrides, and one clear line when invalid."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config import Settings, SettingsError, load_settings
from config.loading import DEFAULT_TOML, read_toml
from config.moved import MOVED
from retrieval.alerts import DEFAULT_ALERT_MODEL


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


@pytest.mark.parametrize("name", sorted(n for _, n in MOVED))
def test_a_moved_fitted_value_in_an_old_file_or_variable_is_refused_with_where_it_went(
    tmp_path, name
):
    """Issue 23 moved the alert matcher's fitted values out of [alerts]: an operator's old
    file (or variable) that still sets one must not run as if it applied."""
    old = tmp_path / "old.toml"
    old.write_text(f"[alerts]\n{name} = 0.5\n")
    with pytest.raises(SettingsError, match=f"alerts.{name} in {re.escape(str(old))} is no") as e:
        load_settings(old, env={})
    assert "retrieval/alerts/fitted.py" in str(e.value)
    variable = f"NEWSBOT_ALERTS_{name.upper()}"
    with pytest.raises(SettingsError, match=f"alerts.{name} in {variable} is no longer"):
        load_settings(env={variable: "0.5"})
    assert name in DEFAULT_ALERT_MODEL.__dataclass_fields__


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


def _toml_settings() -> list[tuple[int, str, list[str]]]:
    """(line number, dotted name, the lines above it) for every setting in default.toml."""
    lines = DEFAULT_TOML.read_text().splitlines()
    found, section = [], ""
    for number, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip("[]") + "."
        elif re.match(r"\w+ = ", line):
            found.append((number + 1, section + line.split(" = ")[0], lines[:number]))
    return found


def test_default_toml_holds_every_setting_with_the_models_default():
    written = read_toml(DEFAULT_TOML)
    in_model = {
        f"{name}.{key}" if dataclasses.is_dataclass(value) else name
        for name, value in vars(Settings()).items()
        for key in (vars(value) if dataclasses.is_dataclass(value) else [None])
    }
    assert {name for _, name, _ in _toml_settings()} == in_model
    assert Settings(**written) == Settings()


def test_every_default_setting_says_what_it_does_without_measured_figures():
    for number, name, above in _toml_settings():
        comment = []
        for line in reversed(above):
            if not line.startswith("#"):
                break
            comment.insert(0, line)
        assert comment, f"default.toml:{number}: {name} has no comment above it"
        figures = re.findall(r"@\d|\d\s*ms\b|\d\.\d{3}|~\d+ s\b", "\n".join(comment))
        assert not figures, (
            f"default.toml:{number}: measured figures {figures} belong in benchmarks/README.md"
        )


def _variables() -> list[tuple[str, str]]:
    """(dotted setting, environment variable) for every setting, aliases included."""
    found = [("telegram.token", "TELEGRAM_BOT_TOKEN"), ("telegram.admins", "NEWSBOT_ADMINS")]
    for name, value in vars(Settings()).items():
        keys = vars(value) if dataclasses.is_dataclass(value) else [None]
        for key in keys:
            dotted = f"{name}.{key}" if key else name
            found.append((dotted, "NEWSBOT_" + dotted.replace(".", "_").upper()))
    return found


environment_text = st.one_of(
    st.text(),
    st.integers().map(str),
    st.floats().map(str),
    st.sampled_from(["true", "no", "", " ", "1, 2", ",", "127.0.0.1/32", "DEBUG", "torch"]),
)


@given(st.sampled_from(_variables()), environment_text)
def test_any_environment_text_loads_or_fails_naming_the_setting_and_variable(setting, text):
    name, variable = setting
    try:
        load_settings(env={variable: text})
    except SettingsError as error:
        message = str(error)
        assert "\n" not in message and name in message
        if message.startswith(f"setting {name} "):  # not a rule of another setting it broke
            assert variable in message


def test_a_broken_rule_names_where_the_value_came_from(tmp_path):
    with pytest.raises(SettingsError) as error:
        load_settings(env={"NEWSBOT_PASSAGES_MAX_WORDS": "10"})
    assert str(error.value) == (
        "setting passages.max_words must be at least passages.target_words (120), got 10"
        " (from NEWSBOT_PASSAGES_MAX_WORDS)"
    )
    config = tmp_path / "newsbot.toml"
    config.write_text("[retrieval]\nquotes = 'x'\n")
    with pytest.raises(SettingsError) as error:
        load_settings(config, env={})
    assert (
        str(error.value)
        == f"setting retrieval.quotes (from {config}) must be a whole number, got 'x'"
    )


def test_true_is_not_a_number():
    with pytest.raises(SettingsError, match="retrieval.quotes must be a whole number, got True"):
        load_settings(env={}, overrides={"retrieval.quotes": True})


def test_empty_variables_are_unset_except_the_token():
    settings = load_settings(
        env={
            "NEWSBOT_RETRIEVAL_QUOTES": "",
            "NEWSBOT_TELEGRAM_TOKEN": "1:a",
            "TELEGRAM_BOT_TOKEN": "",
        }
    )
    assert settings.retrieval.quotes == 3 and settings.telegram.token == ""


def test_settings_are_frozen_hashable_and_checked_on_replace():
    settings = load_settings(
        env={
            "TELEGRAM_BOT_TOKEN": "1:secret-token",
            "NEWSBOT_TELEGRAM_WEBHOOK_SECRET": "hook-secret",
        }
    )
    assert "secret-token" not in repr(settings) and "hook-secret" not in repr(settings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.fetch.max_bytes = 1  # type: ignore[misc]
    assert hash(settings.fetch) == hash(load_settings(env={}).fetch)
    assert settings.replace(data_dir="/srv/news").data_dir.as_posix() == "/srv/news"
    with pytest.raises(SettingsError, match="^setting retrieval must be a table, got 3$"):
        settings.replace(retrieval=3)
    with pytest.raises(ValueError, match="max_words"):
        dataclasses.replace(settings.passages, max_words=1)
