"""The command line's rough edges, found trying it as a new user (issue 22, item 8): each test
names what `newsbot` did before."""

from __future__ import annotations

import json
import re

from config import Settings
from newsbot_testing.hostile import BOMB
from newsbot_testing.paths import README_QUESTION, REPO, SAMPLE_ARTICLE
from newsbot_testing.static_site import opml_of


def _one_line(stderr: str) -> bool:
    return len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


def test_a_questions_file_whose_first_line_is_not_json_gets_one_line(newsbot, demo_dir, tmp_path):
    """It printed a 30-line traceback (a variable read before it was set) and exited 1."""
    plain = tmp_path / "questions.txt"
    plain.write_text("What condition did Zelensky set?\nWho won?\n")
    result = newsbot("ask", "--questions", str(plain), data_dir=demo_dir)
    assert result.returncode == 2
    assert _one_line(result.stderr) and "not a questions file" in result.stderr
    assert result.stdout == ""


def test_a_bad_later_line_carries_its_own_question(newsbot, demo_dir, tmp_path):
    """The error record of a line that is not JSON carried the previous line's question."""
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"question": README_QUESTION})
        + "\nnot json at all\n"
        + '["a list"]\n'
        + json.dumps({"question": "Who does Zelensky want to meet?", "date": "31 Feb"})
        + "\n"
    )
    result = newsbot("ask", "--questions", str(questions), data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["answered"] for r in records] == [True, False, False, False]
    assert [r["question"] for r in records[1:]] == [
        None,
        None,
        "Who does Zelensky want to meet?",
    ]
    assert all("error" in r for r in records[1:])
    assert [f"line {n}" in result.stderr for n in (2, 3, 4)] == [True, True, True]


def test_quotes_outside_one_to_the_pool_are_refused(newsbot, demo_dir):
    """`--quotes 0` silently meant the default 3 and `-1` was accepted."""
    for count in ("0", "-1", "13"):
        result = newsbot("ask", "--quotes", count, README_QUESTION, data_dir=demo_dir)
        assert result.returncode == 2, (count, result.stderr)
        assert _one_line(result.stderr) and "--quotes must be a whole number from 1 to 12" in (
            result.stderr
        )
    one = newsbot("ask", "--json", "--quotes", "1", README_QUESTION, data_dir=demo_dir)
    assert one.returncode == 0 and len(json.loads(one.stdout)["quotes"]) == 1


def test_questions_with_a_question_or_as_of_on_the_line_is_refused(newsbot, demo_dir, tmp_path):
    """Both were ignored without a word."""
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": README_QUESTION}) + "\n")
    both = newsbot("ask", "--questions", str(questions), README_QUESTION, data_dir=demo_dir)
    dated = newsbot(
        "ask", "--questions", str(questions), "--as-of", "2026-01-02", data_dir=demo_dir
    )
    assert both.returncode == 2 and _one_line(both.stderr) and "not both" in both.stderr
    assert dated.returncode == 2 and _one_line(dated.stderr)
    assert '--as-of does not apply to --questions: give each line its own "date"' in dated.stderr
    assert both.stdout == dated.stdout == ""


def test_ingest_reports_a_skipped_line_once_and_counts_one_passage(newsbot, tmp_path):
    """Each skipped line was printed twice (a log warning beside the report), and one
    passage was "1 passages"."""
    lines = tmp_path / "lines.jsonl"
    good = json.dumps({"title": "Budget", "text": "The council passed the budget."})
    lines.write_text(f'{good}\n{{"text": "bad", "url": "http://[::1"}}\n')
    result = newsbot("ingest", str(lines), data_dir=tmp_path / "d")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("line 2") == 1, result.stderr
    assert f"{lines}: 1 new article, 1 passage, 1 failed" in result.stdout


def test_ingest_a_folder_reads_every_supported_file_in_it(newsbot, tmp_path):
    """A folder was "not a file"."""
    folder = tmp_path / "news"
    (folder / "sub").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    (folder / "zelensky.txt").write_text(SAMPLE_ARTICLE.read_text())
    (folder / "sub" / "budget.md").write_text(
        "# Council passes budget\n\nThe city council passed the budget for next year on Monday.\n"
    )
    (folder / "sub" / "ferry.jsonl").write_text(
        json.dumps({"title": "Ferry strike", "text": "Ferry crews walked out on Tuesday."}) + "\n"
    )
    (folder / ".hidden" / "secret.txt").write_text("Hidden\nNot to be read.\n")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    (folder / "empty.jsonl").write_text("\n")  # no articles: skipped, the rest goes on
    data_dir = tmp_path / "d"
    result = newsbot("ingest", str(folder), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert f"{folder}: 3 new articles" in result.stdout and "1 failed" in result.stdout
    assert f"skipped {folder / 'empty.jsonl'}: no articles" in result.stderr
    stats = json.loads(newsbot("stats", "--json", data_dir=data_dir).stdout)
    assert stats["articles"] == 3


def test_a_folder_past_the_file_bound_is_refused_before_anything_is_read(newsbot, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.txt").write_text(f"Story {n}\nThe council met for the {n}th time.\n")
    data_dir = tmp_path / "d"
    env = {"NEWSBOT_SOURCES_MAX_FOLDER_FILES": "3"}
    result = newsbot("ingest", str(folder), data_dir=data_dir, env=env)
    assert result.returncode == 1 and _one_line(result.stderr)
    assert "more than 3 files to read; ingest it in parts" in result.stderr
    assert json.loads(newsbot("stats", "--json", data_dir=data_dir).stdout)["articles"] == 0


def test_stats_says_how_fresh_the_archive_is(newsbot, tmp_path):
    """`stats` said nothing of the newest story."""
    lines = tmp_path / "dated.jsonl"
    lines.write_text(
        "\n".join(
            json.dumps({"title": t, "text": f"{t} was reported today.", "published": day})
            for t, day in (("Old", "2026-01-01T08:00:00Z"), ("New", "2026-02-03T09:30:00Z"))
        )
    )
    data_dir = tmp_path / "d"
    assert newsbot("ingest", str(lines), data_dir=data_dir).returncode == 0
    stats = json.loads(newsbot("stats", "--json", data_dir=data_dir).stdout)
    assert stats["newest_story"].startswith("2026-02-03T09:30")
    assert stats["feed_polls"] == []
    text = newsbot("stats", data_dir=data_dir).stdout
    assert re.search(r"newest story\s+2026-02-03T09:30", text)


def test_the_readme_says_addfeed_polls_at_the_default_interval():
    """The README promised a read every 60 min; the default is 15."""
    readme = (REPO / "README.md").read_text()
    promised = re.findall(r"I read it now and every (\d+) min", readme)
    assert promised and {float(m) for m in promised} == {Settings().alerts.feed_poll_minutes}


def test_feeds_add_list_remove_and_export(newsbot, tmp_path):
    """There was no way to manage the bot's feeds from the terminal."""
    from index.backends.sqlite import open_database, state_on
    from index.sources import opml_feeds

    data_dir = tmp_path / "d"
    listed = tmp_path / "list.opml"
    listed.write_text(opml_of("https://a.example.org/rss", "ftp://b.example.org/rss"))
    added = newsbot("feeds", "add", str(listed), "https://c.example.org/atom", data_dir=data_dir)
    assert added.returncode == 0, added.stderr
    assert added.stdout == "added 2 feeds, 1 skipped\n"
    assert added.stderr == "newsbot: skipped ftp://b.example.org/rss: not an http(s) URL\n"
    listing = newsbot("feeds", "list", data_dir=data_dir).stdout.splitlines()
    assert listing == [
        "1. https://a.example.org/rss (f): not read yet",
        "2. https://c.example.org/atom: not read yet",
    ]
    stats = newsbot("stats", data_dir=data_dir).stdout
    assert "feed https://c.example.org/atom: not read yet" in stats
    state = state_on(open_database(data_dir / "newsbot.db"))
    state.feeds.record_success("https://c.example.org/atom", None, None, 2)
    state.feeds.record_failure("https://a.example.org/rss", "answered HTTP 500")
    read = state.feeds.get("https://c.example.org/atom").last_polled_at
    stats = newsbot("stats", data_dir=data_dir).stdout
    assert f"feed https://c.example.org/atom: last read {read}" in stats
    assert "feed https://a.example.org/rss: failing, 1 poll in a row: answered HTTP 500" in stats

    exported = newsbot("feeds", "export", data_dir=data_dir)
    assert [f.url for f in opml_feeds(exported.stdout, "export")] == [
        "https://a.example.org/rss",
        "https://c.example.org/atom",
    ]
    removed = newsbot("feeds", "remove", "1", data_dir=data_dir)
    assert removed.stdout == "removed https://a.example.org/rss; its articles stay in the archive\n"
    missing = newsbot("feeds", "remove", "https://nowhere.example.org", data_dir=data_dir)
    assert missing.returncode == 1 and _one_line(missing.stderr)

    huge = tmp_path / "huge.opml"
    huge.write_text(opml_of(*(f"https://f.example.org/{n}" for n in range(10_000))))
    bomb = tmp_path / "bomb.opml"
    bomb.write_bytes(BOMB)
    for path, message in ((huge, "I poll at most 500"), (bomb, "declares XML entities")):
        refused = newsbot("feeds", "add", str(path), data_dir=data_dir)
        assert refused.returncode == 1 and _one_line(refused.stderr) and message in refused.stderr
    assert len(newsbot("feeds", "list", data_dir=data_dir).stdout.splitlines()) == 1
