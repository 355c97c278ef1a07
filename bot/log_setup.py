"""Logging for every entry point (the CLI and the bot): the terminal and DATA_DIR/newsbot.log,
both through a formatter that blanks out secrets.

The bot token is part of every Bot API URL, and python-telegram-bot puts it into the message of
`InvalidToken`; httpx and httpcore log request URLs at DEBUG. Rather than trusting each library
to leave it out, every line is redacted after it is formatted (message, arguments, traceback),
at every level.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from urllib.parse import quote

from config import Settings
from config.redaction import passwords_in

REDACTED = "<redacted>"
LINE_FORMAT = "%(levelname)s %(name)s: %(message)s"
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that log every request or every step at INFO/DEBUG; their warnings still show.
NOISY_LOGGERS = ("httpx", "httpcore", "sentence_transformers", "transformers", "trafilatura")
NOISY_LOGGERS += ("htmldate",)


class Secrets:
    """The strings no log line may contain, with the forms they take in URLs."""

    def __init__(self) -> None:
        self._forms: list[str] = []

    def add(self, secret: str) -> None:
        """Blank out `secret` (and its URL-encoded form, and for a bot token the part after
        the colon) from now on. Empty strings are ignored."""
        secret = (secret or "").strip()
        if not secret:
            return
        forms = {secret, quote(secret, safe=""), quote(secret)}
        bot_id, colon, tail = secret.partition(":")
        if colon and bot_id.isdigit() and tail:
            forms.add(tail)
        # Longest first, so the whole token goes before its secret part does.
        self._forms = sorted(set(self._forms) | forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text


class RedactingFormatter(logging.Formatter):
    """A Formatter whose every line (message, arguments, traceback) has the secrets blanked."""

    def __init__(self, fmt: str, secrets: Secrets) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        # exc_text is cached on the record and shared with other handlers: clear it so no
        # handler ever reuses an unredacted traceback.
        record.exc_text = None
        try:
            return self.secrets.redact(super().format(record))
        finally:
            record.exc_text = None


def secrets_of_settings(settings: Settings) -> list[str]:
    """The token, the webhook secret and the storage URL's password in every form it takes."""
    return [
        settings.telegram.token,
        settings.telegram.webhook_secret,
        *passwords_in(settings.storage.url),
    ]


def configure_logging(settings: Settings, verbose: bool = False) -> Secrets:
    """Send log lines to stderr (WARNING and up; everything with `verbose`) and to
    DATA_DIR/newsbot.log (from settings.log_level), all redacted. Safe to call again: a second
    call only adds the settings' secrets to the installed redaction. Returns the Secrets, so a
    secret made later (a generated webhook secret) can be added to it."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    root = logging.getLogger()
    installed = installed_secrets()
    if installed is not None:
        _add_all(installed, secrets_of_settings(settings))
        return installed
    secrets = Secrets()
    _add_all(secrets, secrets_of_settings(settings))
    level = logging.DEBUG if verbose else getattr(logging, settings.log_level)
    root.setLevel(level)
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.DEBUG if verbose else logging.WARNING)
    terminal.setFormatter(RedactingFormatter(LINE_FORMAT, secrets))
    root.addHandler(terminal)
    logging.captureWarnings(True)  # library warnings go through the redaction too
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        logfile = logging.FileHandler(settings.data_dir / "newsbot.log", encoding="utf-8")
    except OSError:
        pass
    else:
        logfile.setFormatter(RedactingFormatter(FILE_FORMAT, secrets))
        root.addHandler(logfile)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return secrets


def installed_secrets() -> Secrets | None:
    """The Secrets of the redaction `configure_logging` installed, if it did."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, RedactingFormatter):
            return handler.formatter.secrets
    return None


def _add_all(secrets: Secrets, values: Iterable[str]) -> None:
    for value in values:
        secrets.add(value)
