"""newsbot as a real process, as a user runs it: `python -m bot.cli`, with the torch model so no
int8 export is needed; killed at a chosen moment by the tests of crash safety."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from newsbot_testing.fake_bot_api import FakeBotApi
from newsbot_testing.harness import TOKEN


def newsbot_env(data_dir: Path | None = None, **variables: str) -> dict[str, str]:
    """A newsbot process's environment: no user settings file, no bot token, the torch model
    (no int8 export on a fresh data directory), `data_dir`; then `variables` (NEWSBOT_*)."""
    env = {
        **os.environ,
        "NEWSBOT_CONFIG": "",
        "TELEGRAM_BOT_TOKEN": "",
        "NEWSBOT_EMBEDDING_BACKEND": "torch",
    }
    if data_dir is not None:
        env["NEWSBOT_DATA_DIR"] = str(data_dir)
    return {**env, **variables}


async def spawn_newsbot(
    *args: str, env: dict[str, str], output: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """`python -m bot.cli ARGS`, a process of its own; stdout and stderr to `output`."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, stdout=output, stderr=output
    )


def start_newsbot(
    data_dir: Path, *args: str, on_terminal: bool = False, env: dict[str, str] | None = None
):
    """`newsbot --data-dir DIR args` (`newsbot_env` and `env`); with `on_terminal` its stderr is a
    pseudo-terminal, so it draws its progress bar (read from the returned fd)."""
    command = [sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), *args]
    env = newsbot_env(**(env or {}))
    if not on_terminal:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        return process, None
    leader, follower = pty.openpty()
    # A terminal of 0 columns (a new pty's size) gets an empty progress bar.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    return process, leader


def kill_when_progress_shows(process, terminal: int, pattern: str, timeout: float = 120) -> str:
    """SIGKILL the process once its progress bar matches `pattern`; returns what it drew."""
    seen = ""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([terminal], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(terminal, 4096).decode("utf-8", "replace")
                except OSError:  # the process closed the terminal: it has ended
                    break
                if re.search(pattern, seen):
                    process.send_signal(signal.SIGKILL)
                    break
        assert process.poll() is None or process.returncode == -signal.SIGKILL, seen
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        os.close(terminal)
    assert process.returncode == -signal.SIGKILL, f"it finished before the kill: {seen}"
    return seen


async def run_newsbot(
    api: FakeBotApi, data_dir: Path, *args: str, token: str = TOKEN, stop_after=None
) -> tuple[int, str, str]:
    """`python -m bot.cli [args] run` against `api`; with `stop_after` (an awaitable), SIGINT
    once it is done. Returns (exit code, stdout, stderr)."""
    env = newsbot_env(
        data_dir,
        TELEGRAM_BOT_TOKEN=token,
        NEWSBOT_TELEGRAM_API_URL=api.base_url,
        NEWSBOT_LOG_LEVEL="DEBUG",
    )
    process = await spawn_newsbot(*args, "run", env=env)
    try:
        if stop_after is not None:
            await stop_after
            process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode, out.decode(), err.decode()
