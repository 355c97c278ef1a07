"""Every seed question over the seed article: answered with a quote holding the expected
phrase, or, for off-topic questions, an abstention; the demo question with the answer in the
sentence the reply opens with."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from index import Ingestor
from index.sources import read_file
from index.text import Article, split_sentences
from newsbot_testing.paths import SAMPLE_ARTICLE
from newsbot_testing.postgres import both_backends
from retrieval import Answerer, QuestionError


def seed_questions(shared_data):
    lines = (shared_data / "seed" / "questions.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@both_backends
def test_every_seed_question(seed_archive, shared_data):
    _answers_every_seed_question(
        Answerer(seed_archive, seed_archive.settings.retrieval), shared_data
    )


def test_every_seed_question_with_the_reader(seed_archive, shared_data):
    # The trained reader re-ranks, marks and decides abstention on its own bars (issue 20).
    settings = replace(seed_archive.settings.retrieval, reader=True)
    _answers_every_seed_question(Answerer(seed_archive, settings), shared_data)


def _answers_every_seed_question(answerer: Answerer, shared_data) -> None:
    for item in seed_questions(shared_data):
        answer = answerer.answer(item["question"])
        if item["answer"] is None:
            assert not answer.answered, f"{item['question']!r} should abstain"
            assert answer.quotes == ()
            continue
        assert answer.answered, f"{item['question']!r} was not answered"
        phrase = item["answer"].lower()
        holding = [q for q in answer.quotes if phrase in q.text.lower()]
        assert holding, f"no quote for {item['question']!r} contains {phrase!r}"
        for quote in answer.quotes:
            assert quote.marked and quote.marked in quote.text
            assert quote.source == "zelensky-putin-meeting.txt"


def test_the_demo_question_marks_the_ceasefire_sentence(seed_archive):
    answer = Answerer(seed_archive, seed_archive.settings.retrieval).answer(
        "What condition did Zelensky set?"
    )
    first = answer.quotes[0]
    start, end = first.marked_spans[0]
    lead = split_sentences(first.text[start:end])[0]  # what the reply opens with, in bold
    assert "full ceasefire" in lead
    assert first.title.startswith("Zelensky Puts Direct Putin Meeting")


def test_quotes_are_the_stored_text_word_for_word(seed_archive):
    answer = Answerer(seed_archive, seed_archive.settings.retrieval).answer(
        "Who does Zelensky want to meet?"
    )
    article_text = seed_archive.store.article(answer.quotes[0].article_id)["text"]
    for quote in answer.quotes:
        assert quote.text in article_text
        for start, end in quote.marked_spans:
            assert quote.text[start:end].strip() == quote.text[start:end]


def test_json_schema(seed_archive):
    answer = Answerer(seed_archive, seed_archive.settings.retrieval).answer(
        "What condition did Zelensky set?"
    )
    data = json.loads(json.dumps(answer.to_json()))
    assert set(data) == {"question", "answered", "quotes"}
    assert data["answered"] is True
    quote = data["quotes"][0]
    assert set(quote) == {
        "text",
        "marked",
        "title",
        "source",
        "url",
        "published",
        "score",
        "article_id",
        "passage_id",
    }
    assert isinstance(quote["score"], float) and isinstance(quote["passage_id"], int)


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000])
def test_bad_questions_are_refused_clearly(seed_archive, question):
    with pytest.raises(QuestionError) as error:
        Answerer(seed_archive, seed_archive.settings.retrieval).answer(question)
    assert "\n" not in str(error.value)


def test_empty_archive_abstains(make_archive):
    archive = make_archive()
    answer = Answerer(archive, archive.settings.retrieval).answer(
        "What condition did Zelensky set?"
    )
    assert not answer.answered and answer.quotes == ()


BRIDGE_OLD = (
    "Council members voted on Monday to approve the budget for the new river bridge, "
    "which will cost 40 million euros and open in three years."
)
BRIDGE_NEW = (
    "The river bridge budget won approval from the city council on Monday: 55 million "
    "euros, with the bridge due to open within two years."
)


@pytest.mark.parametrize("newer", ["old wording", "new wording"])
def test_the_newer_of_two_matching_stories_comes_first(make_archive, newer):
    archive = make_archive()
    dates = ("2021-03-01", "2024-03-01") if newer == "new wording" else ("2024-03-01", "2021-03-01")
    Ingestor(archive).ingest(
        [
            Article("Council backs bridge", BRIDGE_OLD, "https://a.example/1", "A", dates[0]),
            Article("Bridge budget approved", BRIDGE_NEW, "https://b.example/2", "B", dates[1]),
        ]
    )
    answerer = Answerer(archive, archive.settings.retrieval)
    # Asked long after either story: ages count from the newest news held, not from today.
    answer = answerer.answer(
        "Did the city council approve the bridge budget?", as_of=datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert answer.answered
    assert answer.quotes[0].published == "2024-03-01"
    # The same story alone, years before the question, is still answered.
    alone = make_archive(data_dir=str(archive.settings.data_dir) + "-alone")
    Ingestor(alone).ingest(
        [Article("Bridge", BRIDGE_OLD, "https://a.example/1", "A", "2019-01-01")]
    )
    later = Answerer(alone, alone.settings.retrieval).answer(
        "Did the city council approve the bridge budget?", as_of=datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert later.answered and later.evidence == pytest.approx(
        Answerer(alone, alone.settings.retrieval)
        .answer(
            "Did the city council approve the bridge budget?",
            as_of=datetime(2019, 1, 1, tzinfo=UTC),
        )
        .evidence
    )


class CountingEmbedder:
    def __init__(self, inner) -> None:
        self.inner, self.texts = inner, 0
        self.model_name, self.dimension = inner.model_name, inner.dimension

    def encode(self, texts):
        self.texts += len(texts)
        return self.inner.encode(texts)


def test_after_the_question_the_model_is_not_run_again(make_archive):
    archive = make_archive()
    Ingestor(archive).ingest(read_file(SAMPLE_ARTICLE))
    counting = CountingEmbedder(archive.embedder)
    archive.embedder = counting
    answer = Answerer(archive, archive.settings.retrieval).answer(
        "What condition did Zelensky set?"
    )
    assert counting.texts == 1  # the question; sentences were embedded at ingest
    assert "full ceasefire" in answer.quotes[0].marked
    assert all(q.marked for q in answer.quotes)


def test_an_archive_without_sentence_vectors_still_answers(make_archive):
    archive = make_archive()
    Ingestor(archive).ingest(read_file(SAMPLE_ARTICLE))
    with archive.database.transaction() as tx:
        tx.execute("DELETE FROM passage_sentences")
    answer = Answerer(archive, archive.settings.retrieval).answer(
        "What condition did Zelensky set?"
    )
    assert answer.answered
    assert "full ceasefire" in answer.quotes[0].marked


def test_an_answer_carries_its_evidence_the_score_of_its_first_quote(seed_archive):
    settings = seed_archive.settings.retrieval
    answer = Answerer(seed_archive, settings).answer("What condition did Zelensky set?")
    assert answer.answered
    assert answer.evidence == answer.quotes[0].score >= settings.abstain_below
