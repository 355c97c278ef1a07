"""Fixtures for the end-to-end bot tests: the fake Bot API server, a web site on 127.0.0.1 for
feeds and pages, the real model (one per session), an archive holding the seed story and a few
BBC articles (built once, copied per test), and a launcher for the real Application."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from config import Settings, load_settings
from index import Ingestor, NewsArchive
from index.text import Article
from newsbot_testing.fake_bot_api import FakeBotApi
from newsbot_testing.harness import (
    ARCHIVE_BBC_IDS,
    TOKEN,
    GateableEmbedder,
    RunningBot,
    bbc_articles,
    seed_article,
    start_bot,
)
from newsbot_testing.news_days import news_days
from newsbot_testing.static_site import StaticSite


@pytest.fixture(scope="session")
def model(embedder) -> GateableEmbedder:
    """The session's real all-MiniLM-L6-v2, behind a gate the re-index test can close."""
    return GateableEmbedder(embedder)


@pytest.fixture(scope="session")
def bbc(shared_data: Path) -> dict[str, Article]:
    return bbc_articles(shared_data)


@pytest.fixture(scope="session")
def seed(shared_data: Path) -> Article:
    return seed_article(shared_data)


def _build_archive(data_dir: Path, model, articles: list[Article]) -> Path:
    archive = NewsArchive(load_settings(env={}, overrides={"data_dir": str(data_dir)}), model)
    report = Ingestor(archive).ingest(articles)
    assert len(report.added) + report.duplicates == len(articles), report.summary()
    archive.database.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return data_dir


@pytest.fixture(scope="session")
def seed_template(build_once, model, seed) -> Path:
    """A data directory holding only the seed story, embedded once."""
    return build_once("seed", lambda path: _build_archive(path / "data", model, [seed])) / "data"


@pytest.fixture(scope="session")
def mixed_template(build_once, model, seed, bbc) -> Path:
    """A data directory holding the seed story and a few BBC articles, embedded once."""
    articles = [seed, *(bbc[i] for i in ARCHIVE_BBC_IDS)]
    return build_once("mixed", lambda path: _build_archive(path / "data", model, articles)) / "data"


@pytest.fixture(scope="session")
def news_template(build_once, model, shared_data) -> Path:
    """A data directory of real news over four weeks (newsbot_testing/news_days.py), embedded
    once."""
    articles = news_days(shared_data)
    return build_once("news", lambda path: _build_archive(path / "data", model, articles)) / "data"


@pytest.fixture
def news_dir(news_template: Path, tmp_path: Path) -> Path:
    """A private copy of the four weeks of news for one test."""
    return Path(shutil.copytree(news_template, tmp_path / "data"))


@pytest.fixture
def seed_dir(seed_template: Path, tmp_path: Path) -> Path:
    """A private copy of the seed-only archive for one test."""
    return Path(shutil.copytree(seed_template, tmp_path / "data"))


@pytest.fixture
def indexed_dir(mixed_template: Path, tmp_path: Path) -> Path:
    """A private copy of the seed + BBC archive for one test."""
    return Path(shutil.copytree(mixed_template, tmp_path / "data"))


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN) as server:
        yield server


@pytest.fixture
async def site() -> AsyncIterator[StaticSite]:
    server = await StaticSite().start()
    yield server
    await server.stop()


@pytest.fixture
async def launch(
    api: FakeBotApi, model
) -> AsyncIterator[Callable[[Settings], Awaitable[RunningBot]]]:
    """Start the real bot with these settings; every bot started is stopped afterwards."""
    started: list[RunningBot] = []

    async def launch_bot(settings: Settings) -> RunningBot:
        bot = await start_bot(settings, api, model)
        started.append(bot)
        return bot

    yield launch_bot
    for bot in reversed(started):
        with contextlib.suppress(Exception):
            await bot.stop()


@pytest.fixture
async def stalling_site() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A server whose every page stalls before answering, until released (at most a minute)."""
    release = asyncio.Event()

    async def stall(request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(release.wait(), 60)
        except TimeoutError:
            pass
        return web.Response(text="too late", content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{path:.*}", stall)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = server._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", release
    release.set()
    await runner.cleanup()
