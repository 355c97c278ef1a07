"""The kind of answer a question asks for, and the sentences that could give it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.text import passage_sentences
from retrieval.answer_types import ANSWER_TYPE_FEATURES, answer_type_rows, question_cues
from retrieval.text_terms import words

CHENEY = (
    "Republican Liz Cheney has lost her seat in Congress after voters in Wyoming elected a "
    "Trump-backed candidate. Cheney lost to Harriet Hageman, a candidate backed by Trump."
)


def rows_for(question: str, text: str):
    sentences = [text[a:b] for a, b in passage_sentences(text)]
    return answer_type_rows(question_cues(question), sentences, [words(s) for s in sentences])


def test_a_name_the_question_lacks_marks_the_sentence_that_can_answer_who():
    rows = rows_for(
        "Liz Cheney lost her seat in Congress after voters in Wyoming elected which "
        "Trump-backed Republican?",
        CHENEY,
    )
    names = ANSWER_TYPE_FEATURES.index("names_for_name")
    assert rows[1, names] > rows[0, names]


def test_the_sentence_restating_the_question_is_the_least_novel():
    rows = rows_for(
        "Liz Cheney lost her seat in Congress after Wyoming voters elected whom?", CHENEY
    )
    novelty = ANSWER_TYPE_FEATURES.index("novelty")
    assert rows[0, novelty] < rows[1, novelty]


def test_a_number_counts_only_for_a_question_asking_how_many_or_when():
    text = "More than 2 million swings were recalled. Owners may wonder what to do next."
    quantity = ANSWER_TYPE_FEATURES.index("quantity_for_quantity")
    asked = rows_for("How many baby swings were recalled?", text)
    assert asked[0, quantity] == 1.0 and asked[1, quantity] == 0.0
    assert rows_for("Which company recalled baby swings?", text)[:, quantity].sum() == 0.0


def test_names_opening_a_sentence_or_known_to_the_question_do_not_count():
    rows = rows_for("Who did Nike drop?", "Nike dropped him. Nike said so.")
    assert rows[:, ANSWER_TYPE_FEATURES.index("names_for_name")].sum() == 0.0


@given(st.text(max_size=200), st.text(max_size=400))
def test_any_question_and_text_give_bounded_rows(question, text):
    rows = rows_for(question, text)
    assert rows.shape == (len(passage_sentences(text)), len(ANSWER_TYPE_FEATURES))
    assert ((rows >= 0.0) & (rows <= 1.0)).all()
