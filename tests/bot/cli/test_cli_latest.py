"""`newsbot latest [TOPIC] [--as-of DAY]` in the terminal: the newest stories, a wire story
carried by two outlets shown once with "2 outlets", a topic ranked by meaning, --as-of
listing as of that day's end, --json for scripts, usage errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbot_testing.in_process_cli import run_cli

WIRE = (
    "Engineers finished the new suspension bridge across the river on Tuesday after three years"
    " of work, and the city council said it would open to traffic next month. The mayor said"
    " the project came in under budget and would cut travel times for thousands of commuters"
    " who now drive an hour around the bay. Local shops welcomed the news and said the bridge"
    " would bring customers from the other side of the water for the first time in decades."
)
STORIES = [
    ("River bridge finished after three years", WIRE, "https://a.example/bridge", "Daily A",
     "2024-06-03"),
    ("River bridge finished after three years", WIRE.replace("Tuesday", "Tuesday,"),
     "https://b.example/bridge", "Courier B", "2024-06-03"),
    ("Storm closes schools across the north", "Heavy snow closed every school in the north"
     " on Monday as forecasters warned of more storms this week.", "https://a.example/storm",
     "Daily A", "2024-06-02"),
    ("Central bank holds interest rates", "The central bank kept its interest rate at four"
     " percent, saying inflation was easing but still above its target.",
     "https://a.example/rates", "Daily A", "2024-06-04"),
]  # fmt: skip


@pytest.fixture(scope="module")
def news_dir(tmp_path_factory, onnx_model) -> Path:
    root = tmp_path_factory.mktemp("latest")
    source = root / "stories.jsonl"
    keys = ("title", "text", "url", "source", "published")
    source.write_text("\n".join(json.dumps(dict(zip(keys, s, strict=True))) for s in STORIES))
    data_dir = root / "data"
    onnx_model(data_dir)
    result = run_cli("--data-dir", str(data_dir), "ingest", str(source))
    assert result.returncode == 0, result.stderr
    return data_dir


def latest(data_dir: Path, *args: str):
    return run_cli("--data-dir", str(data_dir), "latest", *args)


def test_latest_lists_each_story_once_newest_first_with_its_outlets(news_dir):
    result = latest(news_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Latest stories (as of 04 Jun 2024 23:59 UTC)"
    titles = [line[2:] for line in lines if line.startswith("• ")]
    assert titles == [
        "Central bank holds interest rates",
        "River bridge finished after three years",
        "Storm closes schools across the north",
    ]
    assert "  Daily A · yesterday · 2 outlets" in lines
    assert "  https://a.example/rates" in lines


def test_a_topic_ranks_by_meaning_and_as_of_lists_that_days_news(news_dir):
    topic = latest(news_dir, "snow", "weather", "--count", "1")
    assert topic.returncode == 0, topic.stderr
    assert "• Storm closes schools across the north" in topic.stdout.splitlines()
    earlier = latest(news_dir, "--as-of", "2024-06-02", "--json")
    assert [json.loads(line)["title"] for line in earlier.stdout.splitlines()] == [
        "Storm closes schools across the north"
    ]


def test_usage_mistakes_are_one_line(news_dir):
    assert latest(news_dir, "--count", "0").stderr.strip() == (
        "newsbot: --count must be between 1 and 80"
    )
    bad_day = latest(news_dir, "--as-of", "someday")
    assert bad_day.returncode == 2 and "not a date like 2024-05-31" in bad_day.stderr
