"""The fake Bot API's own tests: the fake, and an unmodified telegram.Bot talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from newsbot_testing.fake_bot_api import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as real_bot:
        yield real_bot
