"""Alerts made by a real ingest while workers deliver: a `newsbot ingest` process reads feeds
served from 127.0.0.1 into a PostgreSQL archive that `newsbot run` workers share, and the
workers match the new articles to the chats' subscriptions and send the alerts. Used by the
kill -9 test (tests/bot/test_delivery.py) and benchmarks/alerts_reliability.py --ingest.

Each topic is a name typed as one (two capitalised made-up words), so an article matches
exactly the topics its title names (retrieval/alerts/topics.py): the alerts that must arrive
are known before anything runs. Filler articles name no topic and must alert nobody.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

from index.backends.postgres import open_database, state_on
from index.text import Article
from newsbot_testing.fake_bot_api import FakeBotApi
from newsbot_testing.harness import feed_item, rss
from newsbot_testing.made_up import made_up_words
from newsbot_testing.processes import newsbot_env, spawn_newsbot
from newsbot_testing.static_site import StaticSite

TITLE = re.compile(r"bulletin (\d+)\b")
MATCHED = re.compile(r"article (\S+) matched: (\d+) new alerts")


@dataclass(frozen=True)
class IngestPlan:
    """`topics` names, chat c follows topic c % len(topics); article n of `matching` names
    topic n % len(topics) in its title; `filler` articles name none; all spread over `feeds`
    feeds, each alternating filler and matching articles."""

    topics: tuple[str, ...]
    chats: int
    matching: int
    filler: int
    feeds: int
    paragraphs: int = 2

    def chat_ids(self) -> list[int]:
        return [1000 + c for c in range(self.chats)]

    def topic_of_chat(self, chat_id: int) -> str:
        return self.topics[(chat_id - 1000) % len(self.topics)]

    def expected(self) -> set[tuple[int, int]]:
        """(chat_id, article number) of every alert that must arrive."""
        return {
            (chat, n)
            for n in range(self.matching)
            for chat in self.chat_ids()
            if self.topic_of_chat(chat) == self.topics[n % len(self.topics)]
        }

    def articles(self) -> list[Article]:
        """Matching articles numbered first, fillers after (feeds interleave them)."""
        made = []
        for n in range(self.matching + self.filler):
            topic = self.topics[n % len(self.topics)] if n < self.matching else None
            words = made_up_words(f"ingest-{n}", 130 * self.paragraphs)
            sentences = [
                " ".join(words[i : i + 13]).capitalize() + "." for i in range(0, len(words), 13)
            ]
            if topic:  # named in the title and the opening: about it, whatever the rest says
                sentences.insert(0, f"{topic} made the news again today.")
                title = f"{topic} bulletin {n}"
            else:
                title = f"Filler bulletin {n}"
            paragraphs = [" ".join(sentences[i : i + 10]) for i in range(0, len(sentences), 10)]
            made.append(
                Article(
                    title=title,
                    text="\n".join(paragraphs),
                    url=f"https://news.example.com/ingest/{n}",
                    source="Example News",
                )
            )
        return made


SMALL_PLAN = IngestPlan(
    topics=("Kelmora Vastrid", "Dunholt Praxen", "Ostrava Quillem", "Bramwick Tesseron"),
    chats=40,
    matching=20,
    filler=20,
    feeds=4,
)
FULL_PLAN = IngestPlan(
    topics=(
        "Kelmora Vastrid",
        "Dunholt Praxen",
        "Ostrava Quillem",
        "Bramwick Tesseron",
        "Calvaro Minsk",
        "Halbrook Zenthe",
        "Wistfell Orrin",
        "Pellagra Voss",
        "Tamsin Colderaw",
        "Ravenna Quix",
    ),
    chats=200,
    matching=50,
    filler=20,
    feeds=10,
)


def subscribe_chats(url: str, plan: IngestPlan) -> None:
    """Every chat follows its topic, as /subscribe stores it."""
    database = open_database(url)
    try:
        subscriptions = state_on(database).subscriptions
        for chat in plan.chat_ids():
            topic = plan.topic_of_chat(chat)
            subscriptions.add(chat, None, topic, topic)
    finally:
        database.close()


def serve_feeds(site: StaticSite, plan: IngestPlan) -> list[str]:
    """The plan's articles as RSS feeds with their full text; the feeds' URLs."""
    articles = plan.articles()
    matching, filler = articles[: plan.matching], articles[plan.matching :]
    urls = []
    for f in range(plan.feeds):
        ours, fillers = matching[f :: plan.feeds], filler[f :: plan.feeds]
        step = max(len(fillers) // max(len(ours), 1), 1)
        items = []
        for n, article in enumerate(ours):  # each matching article, then its share of fillers
            items += [article, *fillers[n * step : (n + 1) * step]]
        items += fillers[len(ours) * step :]
        urls.append(site.add(f"/feed-{f}.xml", rss(f"Wire {f}", [feed_item(a) for a in items])))
    return urls


class IngestProcess:
    """`newsbot ingest FEED...` on the archive at `url`, a process of its own."""

    def __init__(self, data_dir: Path, url: str, feeds: list[str]) -> None:
        self.env = newsbot_env(
            data_dir,
            NEWSBOT_STORAGE_URL=url,
            NEWSBOT_FETCH_ALLOW_PRIVATE_NETWORKS="127.0.0.1/32",
        )
        self.feeds = feeds
        self.process: asyncio.subprocess.Process | None = None
        self.stdout = self.stderr = ""

    async def start(self) -> None:
        self.process = await spawn_newsbot("ingest", *self.feeds, env=self.env)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def finish(self, timeout: float) -> int:
        """Wait for it to end; its exit code (its output kept)."""
        assert self.process is not None
        out, err = await asyncio.wait_for(self.process.communicate(), timeout)
        self.stdout, self.stderr = out.decode(), err.decode()
        return int(self.process.returncode or 0)

    def new_articles(self) -> int:
        """The new articles its lines report ("FEED: 20 new articles, ...")."""
        found = re.findall(r"^(\S+): (\d+) new articles?", self.stdout, re.M)
        return sum(int(n) for source, n in found if source in self.feeds)

    async def stop(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.kill()
            await self.process.wait()


async def until_ingested_and_sent(url: str, timeout: float) -> None:
    """Wait until no article waits to be matched and no alert to be sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    sql = """SELECT (SELECT COUNT(*) FROM alert_queue)
                  + (SELECT COUNT(*) FROM deliveries WHERE status = 'pending')"""
    while await asyncio.to_thread(_one, url, sql):
        if loop.time() > deadline:
            return
        await asyncio.sleep(0.2)


def _one(url: str, sql: str) -> int:
    with psycopg.connect(url, autocommit=True) as connection:
        return int(connection.execute(sql).fetchone()[0])


def matched_by(log_files: dict[str, Path]) -> dict[str, Counter]:
    """For each worker, how often its log says it matched each article."""
    return {
        name: Counter(
            m.group(1) for m in MATCHED.finditer(path.read_text() if path.exists() else "")
        )
        for name, path in log_files.items()
    }


@dataclass(frozen=True)
class IngestTally:
    expected: int
    delivered: int  # expected alerts that arrived
    lost: int  # expected alerts that never arrived
    resent: int  # arrivals beyond the first of an alert
    unexpected: int  # alerts for a chat whose topic the article does not name
    deliveries: int  # rows in the outbox
    statuses: dict[str, int]
    articles: int  # rows in `articles`
    passages: int
    vectors: int
    queued: int  # articles still waiting to be matched
    matched: dict[str, int]  # worker -> articles it matched
    matched_twice: int  # articles matched by more than one run of matching
    matched_articles: int  # distinct articles some worker's log says it matched


def tally_ingest(
    api: FakeBotApi, url: str, plan: IngestPlan, log_files: dict[str, Path]
) -> IngestTally:
    arrived: Counter = Counter()
    unexpected = 0
    expected = plan.expected()
    for record in api.sent:
        if record.method != "sendMessage" or not (record.text or "").startswith("🔔"):
            continue
        found = TITLE.search(record.text or "")
        key = (int(record.chat_id or 0), int(found.group(1)) if found else -1)
        arrived[key] += 1
        if key not in expected:
            unexpected += 1
    database = open_database(url)
    try:

        def one(sql: str) -> int:
            return int(database.execute(sql).fetchone()[0])

        statuses = dict(
            database.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall()
        )
        counts = {
            "deliveries": one("SELECT COUNT(*) FROM deliveries"),
            "articles": one("SELECT COUNT(*) FROM articles"),
            "passages": one("SELECT COUNT(*) FROM passages"),
            "queued": one("SELECT COUNT(*) FROM alert_queue"),
        }
        vectors = int(database.execute("SELECT COUNT(*) FROM passage_vectors").fetchone()[0])
    finally:
        database.close()
    by_worker = matched_by(log_files)
    total: Counter = Counter()
    for counter in by_worker.values():
        total.update(counter)
    return IngestTally(
        expected=len(expected),
        delivered=sum(1 for key in expected if arrived[key]),
        lost=sum(1 for key in expected if not arrived[key]),
        resent=sum(count - 1 for count in arrived.values()),
        unexpected=unexpected,
        statuses=statuses,
        vectors=vectors,
        matched={name: len(counter) for name, counter in by_worker.items()},
        matched_twice=sum(1 for count in total.values() if count > 1),
        matched_articles=len(total),
        **counts,
    )
