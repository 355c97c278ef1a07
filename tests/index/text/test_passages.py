"""Sentences and passages keep exact offsets into the article, cut a sentence only when it is
longer than a passage may be, and never exceed max_words words or max_chars characters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from config import PassageSettings
from index.text import chunk_text, sentence_spans, split_sentences
from newsbot_testing.paths import SAMPLE_ARTICLE


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


def test_sentence_without_punctuation_is_split_into_bounded_passages():
    """Text without sentence punctuation used to be one passage however long it was."""
    text = "word " * 500 + "end."
    settings = PassageSettings(target_words=50, max_words=100)
    spans = chunk_text(text, settings)
    assert len(spans) >= 5
    assert all(len(text[s.start : s.end].split()) <= 100 for s in spans)
    assert spans[0].start == 0 and spans[-1].end == len(text.rstrip())


def test_word_longer_than_max_chars_is_split_on_characters():
    text = "x" * 5_000 + " tail."
    spans = chunk_text(text, PassageSettings(max_chars=2_000))
    assert [(s.start, s.end) for s in spans] == [(0, 2_000), (2_000, 4_000), (4_000, len(text))]


passage_settings = st.builds(
    lambda target, extra, chars, overlap: PassageSettings(
        target_words=target, max_words=target + extra, max_chars=chars, overlap_sentences=overlap
    ),
    st.integers(1, 12),
    st.integers(0, 12),
    st.integers(1, 60),
    st.integers(0, 5),
)
prose = st.one_of(
    st.text(
        st.sampled_from(list("ab cdé.!?\n\t\u00a0\u2028Z\"'“”.")) | st.characters(), max_size=400
    ),
    st.lists(
        st.sampled_from(["alpha", "Beta.", "gamma", "x" * 70, " ", " ", " ", "  ", "\n", ". "]),
        max_size=300,
    ).map("".join),
    st.builds(
        lambda word, n: " ".join([word] * n),
        st.sampled_from(["alpha", "x" * 70]),
        st.integers(0, 400),
    ),
)


@given(text=prose, settings=passage_settings)
def test_passages_are_exact_bounded_and_cover_the_text(text, settings):
    spans = chunk_text(text, settings)
    covered = [False] * len(text)
    for span in spans:
        passage = text[span.start : span.end]
        assert 0 <= span.start < span.end <= len(text)
        assert passage.strip() == passage and passage
        assert len(passage) <= settings.max_chars
        assert len(passage.split()) <= settings.max_words
        for i in range(span.start, span.end):
            covered[i] = True
    missed = [c for c, hit in zip(text, covered, strict=True) if not hit and not c.isspace()]
    assert not missed
