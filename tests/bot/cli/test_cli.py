"""The `newsbot` command line, run as a user runs it (real files, real model): in-process through
`bot.cli.main.main` (newsbot_testing/in_process_cli.py), and once as a real process, the README
demo."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from bot.cli import main
from newsbot_testing.in_process_cli import BASE_ENV
from newsbot_testing.paths import README_QUESTION, SAMPLE_ARTICLE
from newsbot_testing.static_site import SEED_PARAGRAPHS, StaticSite, article_page, opml_of, rss_feed

NEWSBOT = [sys.executable, "-m", "bot.cli"]


def test_the_demo_on_postgresql_quotes_what_it_quotes_on_sqlite(
    newsbot, demo_dir, postgres_server, tmp_path
):
    """`newsbot ingest` then `newsbot ask` with NEWSBOT_STORAGE_URL set: the same quotes,
    marks and scores as the SQLite + FAISS archive, and no vectors.faiss."""
    env = {"NEWSBOT_STORAGE_URL": postgres_server.create_database()}
    data_dir = tmp_path / "data"
    ingest = newsbot("ingest", str(SAMPLE_ARTICLE), data_dir=data_dir, env=env)
    assert ingest.returncode == 0, ingest.stderr
    assert "1 new article, 4 passages" in ingest.stdout
    asked = [
        newsbot("ask", *json_flag, README_QUESTION, data_dir=where, env=with_env)
        for json_flag in ([], ["--json"])
        for where, with_env in ((data_dir, env), (demo_dir, {}))
    ]
    assert all(result.returncode == 0 for result in asked), [r.stderr for r in asked]
    (text_pg, text_sqlite, json_pg, json_sqlite) = asked
    assert text_pg.stdout == text_sqlite.stdout
    assert "»The proposal also comes with a concrete condition" in " ".join(text_pg.stdout.split())
    pg, sqlite = json.loads(json_pg.stdout), json.loads(json_sqlite.stdout)
    assert pg["answered"] and pg["quotes"]
    same = ("text", "marked", "title", "source", "passage_id", "article_id")
    assert [{k: q[k] for k in same} for q in pg["quotes"]] == [
        {k: q[k] for k in same} for q in sqlite["quotes"]
    ]
    for ours, theirs in zip(pg["quotes"], sqlite["quotes"], strict=True):
        assert ours["score"] == pytest.approx(theirs["score"], abs=0.01)
    assert not (data_dir / "vectors.faiss").exists()


def test_python_m_bot_cli_answers_the_readme_demo_in_a_real_process(demo_dir):
    """The one real process: `python -m bot.cli` starts, reads the archive and answers."""
    result = subprocess.run(
        [*NEWSBOT, "--data-dir", str(demo_dir), "ask", README_QUESTION],
        capture_output=True,
        text=True,
        env={**os.environ, **BASE_ENV},
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    flat = " ".join(result.stdout.split())
    assert "»The proposal also comes with a concrete condition: a full ceasefire" in flat


def test_the_newsbot_command_is_the_cli_main():
    [script] = [e for e in entry_points(group="console_scripts") if e.name == "newsbot"]
    assert script.load() is main


def test_the_readme_demo_answers_with_a_marked_quote_and_its_source(newsbot, demo_dir):
    result = newsbot("ask", README_QUESTION, data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    flat = " ".join(result.stdout.split())
    assert "»The proposal also comes with a concrete condition: a full ceasefire" in flat
    assert "— zelensky-putin-meeting.txt · Zelensky Puts Direct Putin Meeting" in flat


def test_json_answers_and_a_questions_file(newsbot, demo_dir, tmp_path):
    single = newsbot("ask", "--json", "Who won the football world cup in 2018?", data_dir=demo_dir)
    assert single.returncode == 0
    assert json.loads(single.stdout) == {
        "question": "Who won the football world cup in 2018?",
        "answered": False,
        "quotes": [],
    }
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "What condition did Zelensky set?", "date": "2026/01/02"}\n'
        '{"question": "", "date": "2026-01-02"}\n'
        '{"question": "Who does Zelensky want to meet face to face?"}\n'
    )
    many = newsbot("ask", "--json", "--questions", str(questions), data_dir=demo_dir)
    assert many.returncode == 0
    lines = [json.loads(line) for line in many.stdout.splitlines()]
    assert [line["answered"] for line in lines] == [True, False, True]
    assert "full ceasefire" in lines[0]["quotes"][0]["marked"]
    assert "error" in lines[1] and "line 2" in many.stderr


def test_ingest_again_is_a_no_op_and_stats_and_reindex_report(newsbot, demo_dir):
    again = newsbot("ingest", str(SAMPLE_ARTICLE), data_dir=demo_dir)
    assert "0 new articles" in again.stdout and "1 already stored" in again.stdout
    stats = json.loads(newsbot("stats", "--json", data_dir=demo_dir).stdout)
    assert stats["articles"] == 1 and stats["passages"] == stats["vectors"] > 0
    assert (
        stats["index_type"] == "flat"
        and stats["model"] == "sentence-transformers/all-MiniLM-L6-v2@onnx-int8"
    )
    reindex = newsbot("reindex", data_dir=demo_dir)
    assert reindex.returncode == 0 and f"re-indexed {stats['passages']} passages" in reindex.stdout


def test_bad_input_gets_one_line_and_a_non_zero_exit(newsbot, demo_dir, tmp_path):
    cases = [
        (("ingest", str(tmp_path / "missing.txt")), 1, "missing.txt: no such file"),
        (("ask", ""), 2, "the text is empty"),
        (("ask", "x" * 5000), 2, "5,000 characters long"),
        (("ingest", "http://127.0.0.1:9/feed"), 1, "internal address 127.0.0.1"),
    ]
    for args, code, message in cases:
        result = newsbot(*args, data_dir=demo_dir)
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    empty = newsbot("ask", "anything?", data_dir=tmp_path / "empty")
    assert empty.returncode == 1 and "archive is empty" in empty.stderr


async def test_ingest_a_feed_served_locally(tmp_path, newsbot):
    site = await StaticSite().start()
    try:
        page = site.add("/zelensky", article_page("Zelensky offers talks", SEED_PARAGRAPHS))
        feed = site.add(
            "/rss",
            rss_feed("Test Times", [{"title": "Zelensky offers talks", "link": page}]),
            "application/rss+xml",
        )
        config = tmp_path / "local.toml"
        config.write_text('[fetch]\nallow_private_networks = ["127.0.0.1/32"]\n')
        # In a thread: the command runs its own event loop while this one serves the site.
        result = await asyncio.to_thread(
            newsbot, "--config", str(config), "ingest", feed, data_dir=tmp_path / "d"
        )
    finally:
        await site.stop()
    assert result.returncode == 0, result.stderr
    assert "1 new article" in result.stdout
    assert "/zelensky" in site.hits


async def test_local_opml_reads_every_feed_and_a_bad_jsonl_line_is_skipped(tmp_path, newsbot):
    """A local OPML stopped at its first dead feed and stored nothing; one bad jsonl line
    aborted the whole file."""
    env = {"NEWSBOT_FETCH_ALLOW_PRIVATE_NETWORKS": "127.0.0.1/32"}
    data_dir = tmp_path / "d"
    site = await StaticSite().start()
    try:
        page = site.add("/zelensky", article_page("Zelensky offers talks", SEED_PARAGRAPHS))
        dead = site.base_url + "/dead.xml"
        good = site.add(
            "/rss",
            rss_feed("Test Times", [{"title": "Zelensky offers talks", "link": page}]),
            "application/rss+xml",
        )
        feeds = tmp_path / "feeds.opml"
        feeds.write_text(opml_of(dead, good))
        lines = tmp_path / "lines.jsonl"
        good_line = json.dumps({"title": "Budget", "text": "The council passed the budget."})
        lines.write_text(f'{good_line}\n{{"text": "bad", "url": "http://[::1"}}\n')
        only_dead = tmp_path / "dead.opml"
        only_dead.write_text(opml_of(dead))
        code, out, err = await asyncio.to_thread(
            newsbot, "ingest", str(feeds), str(lines), data_dir=data_dir, env=env
        )
        dead_code, _, dead_err = await asyncio.to_thread(
            newsbot, "ingest", str(only_dead), data_dir=data_dir, env=env
        )
    finally:
        await site.stop()
    assert code == 0, err
    assert f"newsbot: skipped {dead}: " in err and "404" in err
    assert f"newsbot: skipped {lines} line 2: not an http(s) URL" in err
    assert f"{feeds}: 1 new article" in out and f"{lines}: 1 new article" in out
    assert dead_code == 1 and f"newsbot: skipped {dead}: " in dead_err


def test_reindex_moves_an_archive_to_another_backend(tmp_path, newsbot):
    data_dir = tmp_path / "data"
    torch = {"NEWSBOT_EMBEDDING_BACKEND": "torch"}
    assert newsbot("ingest", str(SAMPLE_ARTICLE), data_dir=data_dir, env=torch).returncode == 0
    # The default backend (int8) refuses torch's vectors, and says what to do.
    refused = newsbot("ask", README_QUESTION, data_dir=data_dir)
    assert refused.returncode != 0 and "newsbot reindex" in refused.stderr
    assert newsbot("reindex", data_dir=data_dir).returncode == 0
    answer = newsbot("ask", README_QUESTION, data_dir=data_dir)
    assert answer.returncode == 0, answer.stderr
    assert "full ceasefire" in " ".join(answer.stdout.split())
