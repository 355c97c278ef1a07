"""Start-up wiring: the token is checked before anything starts, the Bot API URL and admins
come from the environment names deployment tools use, and webhook mode gets its options."""

from __future__ import annotations

import pytest

from bot.app import build_application, file_url_for, run_bot, validate_token, webhook_options
from config import SettingsError, load_settings
from newsbot_testing.harness import TOKEN


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its token"),
        ("not-a-token", "TELEGRAM_BOT_TOKEN is malformed"),
        ("123456:short", "TELEGRAM_BOT_TOKEN is malformed"),
    ],
)
def test_a_missing_or_malformed_token_stops_run_bot_with_one_line(tmp_path, token, message):
    settings = load_settings(
        env={"TELEGRAM_BOT_TOKEN": token}, overrides={"data_dir": str(tmp_path / "data")}
    )
    with pytest.raises(SettingsError, match=message) as raised:
        run_bot(settings)
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "data").exists()  # nothing started


def test_a_well_formed_token_passes():
    assert validate_token(f" {TOKEN} ") == TOKEN


def test_the_api_url_and_admins_come_from_the_environment(tmp_path):
    settings = load_settings(
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "NEWSBOT_ADMINS": "11, 22",
            "NEWSBOT_TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
            "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        }
    )
    application = build_application(settings)
    assert application.bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"
    assert application.bot.base_file_url == f"http://127.0.0.1:8081/file/bot{TOKEN}"
    assert settings.telegram.admins == (11, 22)
    assert file_url_for("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"


def test_webhook_mode_listens_on_the_configured_path_with_a_secret(tmp_path):
    base = {
        "data_dir": str(tmp_path / "data"),
        "telegram.token": TOKEN,
        "telegram.webhook_url": "https://bot.example.com/newsbot/hook",
        "telegram.webhook_port": 8443,
    }
    options = webhook_options(load_settings(env={}, overrides=base))
    assert options["url_path"] == "newsbot/hook"
    assert options["webhook_url"] == "https://bot.example.com/newsbot/hook"
    assert (options["listen"], options["port"]) == ("0.0.0.0", 8443)
    assert len(options["secret_token"]) >= 32  # generated when none is configured

    fixed = webhook_options(
        load_settings(env={}, overrides={**base, "telegram.webhook_secret": "s3cret_-token"})
    )
    assert fixed["secret_token"] == "s3cret_-token"
    with pytest.raises(SettingsError, match="webhook_secret"):
        webhook_options(
            load_settings(env={}, overrides={**base, "telegram.webhook_secret": "no spaces"})
        )
