"""A day means its day (issue 20): asked as of a day, nothing published after the end of that
day (UTC) is quoted, and later news cannot take an earlier story's place among the
candidates: both searches leave it out before they cut their lists, on both backends."""

from __future__ import annotations

import json

from index import Ingestor
from index.text import Article
from newsbot_testing.postgres import both_backends
from retrieval import Answerer
from retrieval.dates import end_of_day

QUESTION = "Which club won the cup final?"
EARLIER = Article(
    "Rovers win the cup",
    "Rovers won the cup final on Friday, beating United 2-1 in extra time.",
    "https://cup.example/friday",
    "Cup News",
    "2024-05-31T18:00:00+00:00",
)
# The next evening, 22:00 UTC: 22 hours after the end of the question's day. The old rule
# (`(published - as_of).days >= 1`) let in anything less than a whole day late.
NEXT_EVENING = Article(
    "Cup final: Rovers parade the cup",
    "Which club won the cup final? Rovers, who won the cup final, paraded the cup final "
    "trophy through the city on Saturday night.",
    "https://cup.example/saturday",
    "Cup News",
    "2024-06-01T22:00:00+00:00",
)
# A week later, a closer match to the question's words and meaning than the earlier story.
LATER = [
    Article(
        f"Cup final {n}: which club won the cup final",
        f"Which club won the cup final? The cup final club that won the cup final, report {n}.",
        f"https://cup.example/later-{n}",
        "Cup News",
        f"2024-06-0{n}",
    )
    for n in range(2, 6)
]


@both_backends
def test_a_story_from_the_next_evening_is_not_quoted(make_archive):
    archive = make_archive()
    Ingestor(archive).ingest([EARLIER, NEXT_EVENING])
    answerer = Answerer(archive, archive.settings.retrieval)
    answer = answerer.answer(QUESTION, as_of=end_of_day("2024-05-31"), quotes=5)
    assert answer.quotes and {q.url for q in answer.quotes} == {EARLIER.url}
    # The day after, it is news.
    later = answerer.answer(QUESTION, as_of=end_of_day("2024-06-01"), quotes=5)
    assert NEXT_EVENING.url in {q.url for q in later.quotes}


@both_backends
def test_later_news_does_not_push_an_earlier_story_out_of_the_candidates(make_archive):
    # One candidate from each search: the later stories match better, so a filter applied
    # after the cut would leave nothing to quote.
    archive = make_archive(**{"retrieval.dense_k": 1, "retrieval.lexical_k": 1})
    Ingestor(archive).ingest([EARLIER, NEXT_EVENING, *LATER])
    answerer = Answerer(archive, archive.settings.retrieval)
    everything = answerer.answer(QUESTION, as_of=end_of_day("2024-06-30"))
    assert everything.quotes and everything.quotes[0].url != EARLIER.url
    answer = answerer.answer(QUESTION, as_of=end_of_day("2024-05-31"))
    assert [q.url for q in answer.quotes] == [EARLIER.url]


def test_ask_as_of_and_a_questions_file_see_nothing_after_their_day(
    newsbot,
    tmp_path,
):
    articles = tmp_path / "cup.jsonl"
    articles.write_text(
        "".join(
            json.dumps(
                {
                    "url": a.url,
                    "title": a.title,
                    "published": a.published,
                    "source": a.source,
                    "text": a.text,
                }
            )
            + "\n"
            for a in (EARLIER, NEXT_EVENING)
        )
    )
    data = tmp_path / "data"
    assert newsbot("ingest", str(articles), data_dir=data).returncode == 0
    single = newsbot("ask", "--json", "--as-of", "2024-05-31", QUESTION, data_dir=data)
    assert single.returncode == 0, single.stderr
    urls = [q["url"] for q in json.loads(single.stdout)["quotes"]]
    assert urls == [EARLIER.url]
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"question": QUESTION, "date": "2024/05/31"})
        + "\n"
        + json.dumps({"question": QUESTION, "date": "2024/06/01"})
        + "\n"
    )
    many = newsbot("ask", "--json", "--questions", str(questions), data_dir=data)
    assert many.returncode == 0, many.stderr
    first, second = (json.loads(line) for line in many.stdout.splitlines())
    assert {q["url"] for q in first["quotes"]} == {EARLIER.url}
    assert NEXT_EVENING.url in {q["url"] for q in second["quotes"]}
