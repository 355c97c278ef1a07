"""Splitting text into words the same way for questions, sentences and the index."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from retrieval.text_terms import _WORD, words


def words_one_by_one(text: str) -> list[str]:
    """The plain rule: each word lower-cased on its own."""
    return [w.lower().replace("’", "'").strip("'") for w in _WORD.findall(text.replace("-", " "))]


@given(st.text(max_size=300))
def test_any_text_splits_as_lower_casing_each_word_alone_would(text):
    assert words(text) == words_one_by_one(text)


@given(st.text(alphabet="aAİıΣσςΟΔ’'- .Ǆß", max_size=40))
def test_letters_whose_case_depends_on_context_split_as_word_by_word(text):
    assert words(text) == words_one_by_one(text)


def test_apostrophes_hyphens_and_case():
    assert words("Putin’s cease-fire 'TALKS'") == ["putin's", "cease", "fire", "talks"]
