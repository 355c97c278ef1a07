"""Local files: plain text, Markdown, HTML and JSON Lines (gzipped too); bad files fail clearly."""

from __future__ import annotations

import gzip
import json

import pytest

from index.errors import SourceError
from index.file_sources import read_file
from tests.conftest import SAMPLE_ARTICLE


def test_plain_text_takes_the_title_from_the_first_line():
    (article,) = read_file(SAMPLE_ARTICLE)
    assert article.title.startswith("Zelensky Puts Direct Putin Meeting")
    assert article.text.startswith("Ukrainian President Volodymyr Zelensky has proposed")
    assert article.source == SAMPLE_ARTICLE.name and article.url is None


def test_markdown(tmp_path):
    path = tmp_path / "story.md"
    path.write_text("# Big **news** today\n\nThe [council](http://x.org) voted *yes* on Monday.\n")
    (article,) = read_file(path)
    assert article.title == "Big news today"
    assert article.text == "The council voted yes on Monday."


def test_html(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Council votes</title></head><body><article><h1>Council votes</h1>"
        + "<p>The council voted yes on Monday after a long debate about the new budget.</p>" * 4
        + "</article></body></html>"
    )
    (article,) = read_file(path)
    assert article.title == "Council votes"
    assert "voted yes on Monday" in article.text


def test_jsonl_gz_in_the_realtimeqa_format_skipping_bad_lines(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    good = {
        "url": "https://x.org/1",
        "title": "One",
        "published": "2022/05/21",
        "source": "x.org",
        "text": "Body one.",
    }
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps(good) + "\n")
        handle.write("{not json\n")
        handle.write(json.dumps({"title": "no text"}) + "\n")
    (article,) = list(read_file(path))
    assert (article.title, article.url, article.published, article.source) == (
        "One",
        "https://x.org/1",
        "2022-05-21",
        "x.org",
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "no such file"),
        ("empty.txt", "", "needs a title line"),
        ("only-title.txt", "Just a title\n", "needs a title line"),
        ("binary.txt", b"\xff\xfe\x00bad", "not UTF-8"),
        ("nothing.jsonl", "{}\n", "no articles"),
        ("notes.docx", "x", "unsupported file type"),
    ],
)
def test_bad_files(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(SourceError, match=message):
        list(read_file(path))
