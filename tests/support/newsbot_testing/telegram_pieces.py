"""What every rendered Telegram message must be, checked as the Bot API checks it: HTML the
strict parser accepts, some visible text, at most 4096 UTF-16 units after parsing; and a time
bound that also ends a renderer caught in an endless loop."""

from __future__ import annotations

import contextlib
import signal
import time
import unicodedata
from collections.abc import Iterator

from newsbot_testing.fake_bot_api import MAX_TEXT_LENGTH, parse_html, utf16_len


def assert_valid_pieces(pieces: list[str], most: int) -> str:
    """Each piece is valid, non-empty and within the limit; there are 1 to `most` of them.
    Returns the text the reader sees, pieces joined."""
    assert 1 <= len(pieces) <= most, f"{len(pieces)} pieces, expected 1 to {most}"
    shown = []
    for piece in pieces:
        text, _ = parse_html(piece)  # raises ApiError on anything Telegram would refuse
        assert any(not c.isspace() and unicodedata.category(c) != "Cc" for c in text), (
            f"a piece with nothing to show: {piece[:200]!r}"
        )
        assert utf16_len(text) <= MAX_TEXT_LENGTH, f"{utf16_len(text)} UTF-16 units"
        shown.append(text)
    return "\n".join(shown)


@contextlib.contextmanager
def finishes_within(seconds: float) -> Iterator[None]:
    """Assert the block takes less than `seconds`; a block still running at 5x that is
    interrupted (SIGALRM), so an endless loop fails the test instead of hanging it."""

    def interrupt(signum, frame):
        raise TimeoutError(f"still running after {5 * seconds:.1f} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 5 * seconds)
    started = time.perf_counter()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - started
    assert elapsed < seconds, f"took {elapsed:.2f} s, the bound is {seconds} s"
