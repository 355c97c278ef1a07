"""What the tests and the benchmarks share: the strict fake Bot API (fake_bot_api), the real bot
over real HTTP against it (harness, sender_process, ingest_alerts), the servers the fetcher
reads (static_site, hostile_web), the test PostgreSQL (postgres), data sets (bbc_news,
news_days) and the checks many tests make (telegram_pieces, hostile).

Installed with the project (pyproject.toml maps it from tests/support), so a benchmark imports it
by name and no test module ever imports another."""
