"""The reader in the answer (issue 20): with `retrieval.reader` on, the Answerer reads the
best candidates' sentences with the trained cross-encoder (the committed weights, real ONNX
Runtime), and its scores rank the quotes, mark the answering sentence and decide abstention."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from retrieval import Answerer
from retrieval.reader import load_reader
from retrieval.reading import Reading, read_choices
from retrieval.selection import SentenceChoice


class CountingReader:
    """The real reader, counting what it is asked to read."""

    def __init__(self) -> None:
        self.inner = load_reader()
        self.calls: list[tuple[str, list[str]]] = []

    def score(self, question, sentences):
        self.calls.append((question, list(sentences)))
        return self.inner.score(question, sentences)


def test_the_reader_reads_the_best_candidates_and_ranks_the_quotes(seed_archive):
    settings = replace(
        seed_archive.settings.retrieval, reader=True, reader_candidates=2, reader_sentences=0
    )
    reader = CountingReader()
    answer = Answerer(seed_archive, settings, reader).answer("What condition did Zelensky set?")
    # One batch: every sentence of the two best passages, the question beside them.
    assert len(reader.calls) == 1
    question, read = reader.calls[0]
    assert question == "What condition did Zelensky set?" and len(read) >= 4
    assert any("full ceasefire" in text for text in read)
    # The quotes are in the reading's order and on its scale (a probability); the marked
    # sentence is the one the reading scores best in quote 1.
    assert answer.answered and answer.quotes
    scores = [q.score for q in answer.quotes]
    assert scores == sorted(scores, reverse=True) and 0 < answer.evidence <= 1
    assert answer.evidence == scores[0]


def test_reading_fewer_sentences_reads_the_ones_the_sentence_model_prefers(seed_archive):
    answerer = Answerer(seed_archive, replace(seed_archive.settings.retrieval, reader=False))
    answer = answerer.answer("What condition did Zelensky set?")
    assert answer.answered
    reader = CountingReader()
    passage = seed_archive.store.passages([answer.quotes[0].passage_id])
    record = passage[answer.quotes[0].passage_id]
    spans = ((0, 10), (11, len(record.text)))
    choice = SentenceChoice(
        candidate=type("C", (), {"passage": record})(),  # the reader needs the passage only
        spans=spans,
        probabilities=np.array([0.2, 0.7]),
        best=1,
        score=0.4,
    )
    read, _ = read_choices(reader, "q?", [choice], Reading(1, 1, rerank=True, mark=True))
    assert reader.calls[0][1] == [" ".join(record.text[11:].split())]
    assert 0 < read[0].score < 1 and read[0].best == 1


def test_with_the_reader_off_nothing_is_read(seed_archive):
    reader = CountingReader()
    settings = replace(seed_archive.settings.retrieval, reader=False)
    answer = Answerer(seed_archive, settings, reader).answer("What condition did Zelensky set?")
    assert answer.answered and reader.calls == []


class SteeredReader(CountingReader):
    """The real reader with one text's logit raised far above the rest."""

    def __init__(self, favourite: str) -> None:
        super().__init__()
        self.favourite = favourite

    def score(self, question, sentences):
        scores = super().score(question, sentences)
        return scores + np.array([40.0 if s == self.favourite else 0.0 for s in sentences])


def test_the_answer_is_the_one_the_reader_chooses(seed_archive):
    # The product's own reading settings (config/default.toml), only the reader switched on
    # should a test configuration have it off.
    settings = replace(seed_archive.settings.retrieval, reader=True)
    question = "What condition did Zelensky set?"
    counting = CountingReader()
    before = Answerer(seed_archive, settings, counting).answer(question)
    read = counting.calls[0][1]
    assert 0 < len(read) <= settings.reader_candidates * (settings.reader_sentences or 99)
    # A text the reader read outside the first quote's marked sentence: raised by the reader
    # alone, it must become the first quote's marked sentence.
    first = before.quotes[0]
    favourite = next(t for t in read if t not in " ".join(first.marked.split()))
    steered = SteeredReader(favourite)
    after = Answerer(seed_archive, settings, steered).answer(question)
    assert after.answered
    assert favourite in " ".join(after.quotes[0].marked.split())
