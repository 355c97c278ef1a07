"""Sentences and passages keep exact offsets into the article and never cut a sentence."""

from __future__ import annotations

from config import PassageSettings
from index.passages import chunk_text
from index.sentences import sentence_spans, split_sentences
from tests.conftest import SAMPLE_ARTICLE


def test_sentence_splitting_handles_news_traps():
    text = (
        "Mr. Smith went to Washington D.C. on Monday. He paid $3.50 for coffee. "
        '"Great!" he said. J. K. Rowling agreed. Shares rose 2.5% in the U.S. market.'
    )
    assert split_sentences(text) == [
        "Mr. Smith went to Washington D.C. on Monday.",
        "He paid $3.50 for coffee.",
        '"Great!" he said.',
        "J. K. Rowling agreed.",
        "Shares rose 2.5% in the U.S. market.",
    ]


def test_line_breaks_separate_headings_from_sentences():
    text = "Why the timing matters\nIt matters because talks are near. They start soon."
    assert split_sentences(text) == [
        "Why the timing matters",
        "It matters because talks are near.",
        "They start soon.",
    ]


def test_offsets_point_at_the_text():
    text = SAMPLE_ARTICLE.read_text()
    for start, end in sentence_spans(text):
        assert text[start:end] == text[start:end].strip() and text[start:end]


def test_passages_are_sentence_aligned_and_sized():
    text = SAMPLE_ARTICLE.read_text() * 3
    settings = PassageSettings(target_words=60, max_words=120, overlap_sentences=1)
    spans = chunk_text(text, settings)
    starts = {s for s, _ in sentence_spans(text)}
    ends = {e for _, e in sentence_spans(text)}
    assert len(spans) > 5
    for span in spans:
        assert span.start in starts and span.end in ends
        assert len(text[span.start : span.end].split()) <= 120
    # consecutive passages overlap by one sentence and together cover the article
    for previous, following in zip(spans, spans[1:], strict=False):
        assert following.start < previous.end
    assert spans[0].start == 0 and spans[-1].end == len(text.rstrip())


def test_one_giant_sentence_is_still_one_passage():
    text = "word " * 500 + "end."
    spans = chunk_text(text, PassageSettings(target_words=50, max_words=100))
    assert len(spans) == 1
