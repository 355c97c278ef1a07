"""BBC News articles from ../shared/data by category, and the small archive the alert tests
learn topic profiles from (built once per run, copied per test)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from config import Settings, load_settings
from index.archive import NewsArchive
from index.embedding.embedder import Embedder
from index.ingest import Ingestor
from index.state.outbox import DeliveryOutbox
from index.text.articles import Article

CATEGORIES = ("sport", "tech", "business", "politics", "entertainment")
ARCHIVED = 10  # per category: what the profiles learn from
# The topic a reader would follow for each category, as they would type it.
CATEGORY_TOPICS = {
    "sport": "sport",
    "tech": "technology",
    "business": "business and the economy",
    "politics": "politics and government",
    "entertainment": "film, music and entertainment",
}


def bbc_by_category(shared_data: Path, per_category: int) -> dict[str, list[Article]]:
    """The first `per_category` articles of each category, in file order."""
    found: dict[str, list[Article]] = {k: [] for k in CATEGORIES}
    with gzip.open(shared_data / "bbc" / "bbc-articles.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            articles = found[row["category"]]
            if len(articles) < per_category:
                url = f"https://www.bbc.co.uk/news/{row['id']}"
                articles.append(Article(row["title"], row["text"], url, "BBC News", "2005-02-01"))
    return found


def alert_settings(data_dir: Path) -> Settings:
    # A test-sized archive: profiles from 20 articles up (the product waits for 300).
    return load_settings(
        env={}, overrides={"data_dir": str(data_dir), "alerts.profile_min_articles": 20}
    )


def build_alert_archive(data_dir: Path, embedder: Embedder, shared_data: Path) -> Path:
    """ARCHIVED articles per category, stored before anyone subscribed (nothing queued)."""
    archive = NewsArchive(alert_settings(data_dir), embedder)
    articles = bbc_by_category(shared_data, ARCHIVED)
    Ingestor(archive).ingest([a for k in CATEGORIES for a in articles[k]])
    outbox = DeliveryOutbox(archive.database)
    for article_id, _ in outbox.queued_articles(1000):
        outbox.settle(article_id, [])
    archive.save_vectors()
    archive.database.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return data_dir
