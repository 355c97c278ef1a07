"""`newsbot` run inside the test process: `bot.cli.main.main(argv)` with its own environment,
stdin, stdout and stderr, returning what a user would see. Starting Python, torch and the
model for each command cost seconds per call; what the commands do is the same either way
(tests/bot/cli/test_cli.py keeps one real process as the smoke test of the entry point).

Logging is the one process-wide thing `main` sets up: the redaction handlers it installs are
removed after each call, so every call logs to its own stderr and data directory.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from typing import NamedTuple
from unittest import mock

from bot.cli.main import main
from bot.log_setup import RedactingFormatter

# What tests/bot/cli/test_cli.py's processes ran with: no user settings file, no bot token.
BASE_ENV = {"NEWSBOT_CONFIG": "", "TELEGRAM_BOT_TOKEN": ""}


class CliResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> CliResult:
    """`newsbot ARGS` with os.environ plus BASE_ENV and `env`; never raises SystemExit."""
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, {**BASE_ENV, **(env or {})}),
        mock.patch.object(sys, "stdin", io.StringIO(stdin or "")),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _own_logging(),
    ):
        try:
            code = main(list(args))
        except SystemExit as stop:  # argparse: --help, a usage error
            code = stop.code if isinstance(stop.code, int) else 2
    return CliResult(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _own_logging() -> Iterator[None]:
    """Hide any redaction already installed (so `main` installs its own, on this call's stderr
    and data directory), then put the logging back as it was."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    root.handlers = [h for h in before if not isinstance(h.formatter, RedactingFormatter)]
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in before:
                handler.close()
        root.handlers, root.level = before, level
        logging.captureWarnings(False)
