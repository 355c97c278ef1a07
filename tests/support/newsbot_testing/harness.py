"""Running the real bot in tests: the Application built by `bot.app.build_application`, long
polling a FakeBotApi on 127.0.0.1, started and stopped the way `run_polling` does it."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import numpy as np
from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application
from bot.services import BotServices, services_of
from bot.workers import after_ingest
from config import Settings, load_settings
from index.text import Article
from newsbot_testing.fake_bot_api import FakeBotApi, SentRecord
from newsbot_testing.static_site import article_page

TOKEN = "123456789:AAHfake-newsbot-test-token-0123456789"
ADMIN_ID = 777
USER_ID = 4242
SEED_URL = "https://news.example.com/world/zelensky-putin-meeting"
# Indexed in the shared archive next to the seed story: other subjects, so a question about
# the seed story has more sources to page through and off-topic questions have near misses.
ARCHIVE_BBC_IDS = ("bbc-sport-001", "bbc-politics-001", "bbc-business-001", "bbc-tech-002")
SLOW = 90.0  # seconds to wait for anything that runs the model on a busy machine


# The test archives hold one story on Zelensky: with the later-quote bars off, other stories
# fill the further quotes, so there are sources to page through ("More sources").
NO_QUOTE_BARS = {"retrieval__quote_below": 0.0, "retrieval__reader_quote_below": 0.0}


def bot_settings(data_dir: Path, api: FakeBotApi, **overrides: Any) -> Settings:
    """Settings for a bot talking to the fake server; feeds on 127.0.0.1 are allowed."""
    values: dict[str, Any] = {
        "data_dir": str(data_dir),
        "telegram.token": TOKEN,
        "telegram.api_url": api.base_url,
        "telegram.admins": [ADMIN_ID],
        "fetch.allow_private_networks": ["127.0.0.1/32"],
        "alerts.send_interval_seconds": 0.0,
        "alerts.retry_seconds": 0.2,
        "alerts.feed_poll_minutes": 60.0,
    }
    values.update({k.replace("__", "."): v for k, v in overrides.items()})
    return load_settings(env={}, overrides=values)


@dataclass
class RunningBot:
    app: Application
    api: FakeBotApi
    stopped: bool = False

    @property
    def services(self) -> BotServices:
        return services_of(self.app)

    async def run_job(self, name: str) -> None:
        """Run a scheduled job now, as the JobQueue would (errors go to the error handler)."""
        jobs = self.app.job_queue.get_jobs_by_name(name)
        assert jobs, f"no job named {name}"
        await jobs[0].run(self.app)

    async def ingest(self, articles: list[Article], notify: bool = True) -> list[str]:
        """Store articles as a feed poll would; with `notify`, match and send alerts too."""
        report = await asyncio.to_thread(self.services.ingestor.ingest, articles)
        assert not report.failures, report.failures
        if notify:
            await after_ingest(self.app)
        return report.added

    def query(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows of `sql` (? marks) as dicts, from the archive's SQLite file or PostgreSQL."""
        archive = self.services.archive
        if archive.settings.storage.url:
            from psycopg.rows import dict_row

            with archive.database.connect() as connection:
                cursor = connection.cursor(row_factory=dict_row)
                return cursor.execute(sql.replace("?", "%s"), params or []).fetchall()
        return list(archive.database.connection().query(sql, params or []))

    async def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        app = self.app
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)


async def start_bot(settings: Settings, api: FakeBotApi, embedder: Any) -> RunningBot:
    """What `Application.run_polling` does, minus the signal handling and the blocking."""
    app = build_application(settings, embedder=embedder)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    await app.start()
    return RunningBot(app, api)


class GateableEmbedder:
    """The real model, plus a gate a test can close to hold re-index batches mid-flight.

    Only batches of passage texts ("title\\ntext") are held, never a question or the sentences
    of a quote, so a test can show questions being answered while a re-index is running.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self._gate: tuple[threading.Event, threading.Event] | None = None

    @contextmanager
    def holding_passage_batches(self) -> Iterator[tuple[threading.Event, threading.Event]]:
        """(entered, release): `entered` is set when a batch is held; set `release` to go on."""
        gate = (threading.Event(), threading.Event())
        self._gate = gate
        try:
            yield gate
        finally:
            self._gate = None
            gate[1].set()

    def encode(self, texts: list[str]) -> np.ndarray:
        self._wait_if_passages(texts)
        return self.inner.encode(texts)

    def encode_passages(self, texts: list[str], sentence_spans: list) -> tuple:
        """Passages with their sentence vectors, as the archive embeds them at ingest."""
        self._wait_if_passages(texts)
        return self.inner.encode_passages(texts, sentence_spans)

    def _wait_if_passages(self, texts: list[str]) -> None:
        gate = self._gate
        if gate is not None and texts and all("\n" in t for t in texts):
            gate[0].set()
            gate[1].wait(timeout=120)


# -- articles from ../shared/data


def seed_article(shared_data: Path, url: str = SEED_URL) -> Article:
    lines = (shared_data / "seed" / "zelensky-putin-meeting.txt").read_text().splitlines()
    text = "\n".join(line for line in lines[1:] if line.strip())
    return Article(lines[0], text, url, "Example News", "2025-08-20")


def bbc_articles(shared_data: Path) -> dict[str, Article]:
    """The BBC articles by id, e.g. "bbc-sport-001"."""
    found = {}
    with gzip.open(shared_data / "bbc" / "bbc-articles.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            found[record["id"]] = Article(
                record["title"],
                record["text"],
                f"https://www.bbc.co.uk/news/{record['id']}",
                "BBC News",
                "2005-02-01",
            )
    return found


# -- feeds and pages


def rss(title: str, items: list[dict[str, str]]) -> str:
    """An RSS 2.0 feed; every value is XML-escaped, `text` becomes the item description."""
    entries = "".join(
        "<item>"
        f"<title>{xml_escape(i['title'])}</title><link>{xml_escape(i['link'])}</link>"
        f"<guid>{xml_escape(i['link'])}</guid>"
        f"<pubDate>{i.get('date', 'Wed, 20 Aug 2025 10:00:00 GMT')}</pubDate>"
        f"<description>{xml_escape(i.get('text', ''))}</description>"
        "</item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{xml_escape(title)}</title><link>http://example.org/</link>"
        f"<description>test feed</description>{entries}</channel></rss>"
    )


def page_of(article: Article, site_name: str = "Example News") -> str:
    """An HTML page of the article (paragraphs escaped), as a news site would serve it."""
    paragraphs = [xml_escape(p) for p in article.text.split("\n")]
    return article_page(xml_escape(article.title), paragraphs, site_name=site_name)


def feed_item(article: Article, link: str | None = None, full_text: bool = True) -> dict:
    """A feed item for an article: its full text in the feed, or only a teaser."""
    text = article.text if full_text else article.text.split("\n")[0][:140]
    return {"title": article.title, "link": link or article.url or "", "text": text}


# -- reading what the bot sent


def texts_to(api: FakeBotApi, chat_id: int, since: int = 0) -> list[str]:
    return [r.text or "" for r in api.sent[since:] if r.chat_id == chat_id]


def sent_to(chat_id: int, method: str = "sendMessage") -> Callable[[SentRecord], bool]:
    return lambda r: r.chat_id == chat_id and r.method == method


async def until(condition: Callable[[], Any], timeout: float = SLOW) -> None:
    """Wait until condition() is true; it runs in a thread, so it may read SQLite."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await asyncio.to_thread(condition):
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


def bold_texts(record: SentRecord) -> list[str]:
    return [text for kind, text in record.entity_texts() if kind == "bold"]


def link_urls(record: SentRecord) -> list[str]:
    return [e["url"] for e in record.entities if e["type"] == "text_link"]


async def reply_to(
    api: FakeBotApi, chat_id: int, text: str, method: str = "sendMessage"
) -> str | None:
    """A user writes `text` in their private chat; the text of the bot's next `method` there."""
    since = len(api.sent)
    api.user_message(chat_id, text)
    return (await api.wait_for(sent_to(chat_id, method), since=since, timeout=SLOW)).text


async def press(
    api: FakeBotApi, record: SentRecord, data: str, user_id: int = USER_ID
) -> str | None:
    """`user_id` presses the button with this data under the bot's message; the bot's short
    answer (answerCallbackQuery's text)."""
    answered = len(api.callback_answers)
    api.callback_query(record.chat_id, record.message_id, data, user_id=user_id)
    await until(lambda: len(api.callback_answers) > answered)
    return api.callback_answers[answered].text


def alerts_to(api: FakeBotApi, chat_id: int, since: int = 0) -> list[SentRecord]:
    """The alerts sent to the chat (messages that start with the bell)."""
    return [
        r
        for r in api.sent[since:]
        if r.chat_id == chat_id and r.method == "sendMessage" and (r.text or "").startswith("🔔")
    ]
