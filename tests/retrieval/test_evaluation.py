"""The quality harness, end to end with the real model: seed article, a RealTimeQA slice, XQuAD.

The slice is 10 questions whose answer-bearing article is short, over 40 short articles, so
the whole suite (three search modes, the half-removed abstention run, XQuAD, seed) runs in
well under a minute.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bot.cli.evaluate import format_report
from config import load_settings
from index.embedding import CachedEmbedder
from retrieval import Answerer
from retrieval.evaluation import (
    ArchiveWithout,
    SuitePlan,
    load_questions,
    parse_question_date,
    run_suite,
)

SHORT_WORDS = 180


def _jsonl(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def slice_files(shared_data, tmp_path_factory) -> tuple[Path, Path, Path]:
    """10 questions, 40 short articles holding their answers and some others; 2 XQuAD paragraphs."""
    folder = tmp_path_factory.mktemp("slice")
    rtqa = shared_data / "realtimeqa"
    short = [
        a
        for a in _jsonl(rtqa / "realtimeqa-dev-articles.jsonl.gz")
        if len(a["text"].split()) < SHORT_WORDS
    ]
    by_url = {a["url"]: a for a in short}
    questions, chosen = [], {}
    for q in _jsonl(rtqa / "realtimeqa-dev-questions.jsonl.gz"):
        gold = [u for u in q["gold_urls"] if u in by_url]
        if gold and len(questions) < 10:
            questions.append(q)
            chosen[gold[0]] = by_url[gold[0]]
    for article in short:
        if len(chosen) >= 40:
            break
        chosen.setdefault(article["url"], article)
    questions_path, articles_path = folder / "q.jsonl", folder / "a.jsonl"
    questions_path.write_text("".join(json.dumps(q) + "\n" for q in questions))
    articles_path.write_text("".join(json.dumps(a) + "\n" for a in chosen.values()))
    xquad = json.loads((shared_data / "xquad" / "xquad.en.json").read_text())
    xquad["data"] = [dict(xquad["data"][0], paragraphs=xquad["data"][0]["paragraphs"][:2])]
    xquad_path = folder / "xquad.json"
    xquad_path.write_text(json.dumps(xquad))
    return questions_path, articles_path, xquad_path


@pytest.fixture(scope="module")
def report(slice_files, shared_data, embedder, tmp_path_factory) -> dict:
    questions, articles, xquad = slice_files
    settings = load_settings(env={})
    cache_dir = tmp_path_factory.mktemp("eval-cache")
    plan = SuitePlan(
        questions=questions,
        articles=articles,
        xquad=xquad,
        seed_article=shared_data / "seed" / "zelensky-putin-meeting.txt",
        seed_questions=shared_data / "seed" / "questions.jsonl",
        cache_dir=cache_dir,
    )
    # The three modes and the abstention run ask about the same sentences: cache them.
    return run_suite(settings, plan, CachedEmbedder(embedder, cache_dir / "embeddings.sqlite"))


def test_question_dates_are_the_end_of_that_day():
    moment = parse_question_date("2022/06/10")
    assert (moment.year, moment.month, moment.day, moment.hour) == (2022, 6, 10, 23)


def test_seed_questions_load_with_null_answers(shared_data):
    questions = load_questions(shared_data / "seed" / "questions.jsonl")
    assert any(q.answer is None for q in questions)
    assert all(q.as_of is None for q in questions)


def test_every_mode_reports_accuracy_at_depths_and_marking(report):
    modes = report["realtimeqa"]["modes"]
    assert set(modes) == {"hybrid", "lexical", "dense"}
    for metrics in modes.values():
        assert metrics["questions"] == 10
        assert 0 <= metrics["at1"] <= metrics["at3"] <= metrics["at5"] <= 1
        assert metrics["marked_at1"] <= metrics["at1"]
        assert metrics["bot_at1"] <= metrics["at1"] and 0 <= metrics["abstained"] <= 1
        assert metrics["seconds_mean"] > 0
    # Each question's answer-bearing article is in this small archive: most are found.
    assert modes["hybrid"]["at5"] >= 0.6


def test_abstention_asks_half_without_their_answers(report):
    abstention = report["realtimeqa"]["abstention"]
    assert abstention["unanswerable"] == 5
    assert abstention["articles_removed_mean"] >= 1
    assert 0 < abstention["answerable_right_at5"] <= 5
    for key in ("unanswerable_abstained", "answers_kept"):
        assert 0 <= abstention[key] <= 1
    assert len(abstention["curve"]) > 5


def test_an_archive_without_an_article_never_quotes_it(seed_archive, embedder):
    """The view the abstention run asks: both searches skip the excluded article's passages."""
    article_id = seed_archive.store.passages([1])[1].article_id
    view = ArchiveWithout(seed_archive, [article_id])
    assert view.excluded_passages == seed_archive.store.passage_summary()[0]
    assert view.store.lexical_search(["zelensky"], 5) == []
    assert view.vectors.search(embedder.encode(["Zelensky"]), 5) == [[]]
    answer = Answerer(view, seed_archive.settings.retrieval).answer("What did Zelensky propose?")
    assert not answer.answered and answer.quotes == ()


def test_xquad_marking_is_scored_by_answer_position(report):
    xquad = report["xquad"]
    assert xquad["questions"] > 10
    assert xquad["marked_at1"] <= xquad["paragraph_at1"]
    assert xquad["marked_at1"] >= 0.5


def test_seed_questions_are_all_right(report):
    seed = report["seed"]
    assert seed["questions"] == 6
    assert seed["right"] == 6, seed["rows"]


def test_report_prints_as_a_table(report):
    table = format_report(report)
    assert "hybrid" in table and "XQuAD" in table and "seed: 6/6" in table
