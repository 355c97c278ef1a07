"""The bot token never reaches the terminal or newsbot.log, at any level: `newsbot run` is run
as a user runs it, against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import logging
import sys
from urllib.parse import quote

import pytest

from bot.log_setup import REDACTED, RedactingFormatter, Secrets
from newsbot_testing.fake_bot_api import FakeBotApi
from newsbot_testing.harness import TOKEN
from newsbot_testing.processes import run_newsbot

SECRET_PART = TOKEN.partition(":")[2]


def assert_no_token(*texts: str) -> None:
    for text in texts:
        for form in (TOKEN, SECRET_PART, quote(TOKEN, safe="")):
            assert form not in text


async def test_a_rejected_token_is_one_line_and_never_printed_or_logged(tmp_path):
    async with FakeBotApi(token="123456789:AAHanother-token-the-server-knows-000000") as api:
        code, out, err = await run_newsbot(api, tmp_path / "data", "-v")
        quiet_code, quiet_out, quiet_err = await run_newsbot(api, tmp_path / "quiet")
    log_text = (tmp_path / "data" / "newsbot.log").read_text()
    assert code == 1
    assert_no_token(out, err, log_text, quiet_out, quiet_err)
    assert "<redacted>" in log_text  # the Bot API URL was logged, without the token
    assert "DEBUG" in log_text
    assert quiet_code == 1
    assert quiet_err.splitlines() == [
        "newsbot: Telegram rejected TELEGRAM_BOT_TOKEN (bot id 123456789, answered Unauthorized):"
        " copy it again from @BotFather"
    ]


@pytest.mark.slow
async def test_a_running_bot_logs_no_token_at_debug(tmp_path):
    async with FakeBotApi(token=TOKEN) as api:

        async def answered_a_question() -> None:
            await api.wait_for_request(lambda r: r.method == "setMyCommands", timeout=90)
            api.user_message(42, "/help")
            await api.wait_for(lambda r: r.chat_id == 42, timeout=30)

        code, out, err = await run_newsbot(
            api, tmp_path / "data", "-v", stop_after=answered_a_question()
        )
    log_text = (tmp_path / "data" / "newsbot.log").read_text()
    assert code == 0, err[-2000:]
    assert "getUpdates" in log_text
    assert_no_token(out, err, log_text)


def test_redaction_covers_arguments_tracebacks_and_url_encoded_forms():
    secrets = Secrets()
    secrets.add(TOKEN)
    secrets.add("webhook-secret-value")
    formatter = RedactingFormatter("%(message)s", secrets)
    try:
        raise RuntimeError(f"failed at https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "url %s, %s, %s", None, sys.exc_info()
        )
    record.args = (quote(TOKEN, safe=""), SECRET_PART, "webhook-secret-value")
    line = formatter.format(record)
    assert_no_token(line)
    assert "webhook-secret-value" not in line
    assert line.count(REDACTED) == 4
