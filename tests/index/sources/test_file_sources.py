"""Local files: plain text, Markdown, HTML and JSON Lines (gzipped too); bad files fail clearly."""

from __future__ import annotations

import gzip
import json

import pytest

from config import SourceSettings
from index import SourceError
from index.sources import SourceFailure, read_file
from index.text import Article
from newsbot_testing.paths import SAMPLE_ARTICLE


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
    article, not_json, no_text = list(read_file(path))
    assert (not_json.label, not_json.reason) == (f"{path} line 2", "not JSON")
    assert (no_text.label, no_text.reason) == (f"{path} line 3", "no 'text' string")
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


def write_lines(path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines) + b"\n")


def record(**fields) -> bytes:
    return json.dumps({"text": "A body of text.", **fields}).encode()


def test_one_bad_jsonl_line_is_skipped_with_its_reason_and_the_rest_ingested(tmp_path):
    """One bad URL, date or byte used to abort the whole file with a traceback."""
    path = tmp_path / "mixed.jsonl"
    write_lines(
        path,
        [
            record(title="first"),
            record(url="http://[::1"),
            record(published="0001-01-01T00:00:00+05:00"),
            record(published="not a date"),
            b'{"text": "caf\xe9"}',
            b'{"text": 12345}',
            record(title=["a list"]),
            b"[1, 2]",
            record(url="ftp://x.org/file"),
            record(title="last", url="https://x.org/last"),
        ],
    )
    items = list(read_file(path))
    articles = [i for i in items if isinstance(i, Article)]
    failures = {
        int(f.label.rsplit(" ", 1)[1]): f.reason for f in items if isinstance(f, SourceFailure)
    }
    assert [a.title for a in articles] == ["first", "last"]
    assert sorted(failures) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "not an http(s) URL" in failures[2]
    assert "'published' is not a date" in failures[3]  # year 1 at +05:00 has no UTC form
    assert "'published' is not a date" in failures[4]
    assert failures[5] == "not UTF-8"
    assert failures[6] == "no 'text' string"  # a number is not stored as the string "12345"
    assert failures[7] == "'title' is not a string"
    assert failures[8] == "not a JSON object"


def test_broken_deflate_stream_keeps_the_lines_before_it(tmp_path):
    """An invalid deflate block raised an uncaught zlib.error and lost the whole file."""
    path = tmp_path / "broken.jsonl.gz"
    lines = b"".join(record(title=f"t{n}") + b"\n" for n in range(2000))
    data = bytearray(gzip.compress(lines, compresslevel=1))
    data[len(data) // 2 : len(data) // 2 + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    items = list(read_file(path))
    articles = [i for i in items if isinstance(i, Article)]
    assert 0 < len(articles) < 2000
    assert isinstance(items[-1], SourceFailure) and "cannot be read further" in items[-1].reason


def test_jsonl_line_longer_than_its_bound_is_skipped_without_being_held(tmp_path):
    path = tmp_path / "long.jsonl"
    limits = SourceSettings(max_article_chars=1_000)
    write_lines(path, [record(text="x " * 3_000_000), record(title="after")])
    first, second = read_file(path, limits)
    assert isinstance(first, SourceFailure) and "line longer than" in first.reason
    assert second.title == "after"


def test_long_text_file_is_cut_at_a_sentence_to_max_article_chars(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("Title\n" + "This is one sentence. " * 10_000)
    (article,) = read_file(path, SourceSettings(max_article_chars=1_000))
    assert len(article.text) <= 1_000 and article.text.endswith("sentence.")


def test_html_file_of_navigation_only_has_no_article(tmp_path):
    """A page with no article stored its menu as the article."""
    path = tmp_path / "menu.html"
    path.write_text(
        "<html><body><nav><ul>"
        + "".join(f'<li><a href="/{w}">{w}</a></li>' for w in ("Home", "World", "Sport", "Art"))
        + "</ul></nav><div>Home | World | Sport | Business | Culture | Science</div>"
        + "<footer>Copyright Test Times</footer></body></html>"
    )
    with pytest.raises(SourceError, match="no article text found"):
        list(read_file(path))
