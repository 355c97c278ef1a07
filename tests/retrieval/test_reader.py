"""The reader (retrieval/reader): the committed int8 cross-encoder scores answer sentences above
the rest, keeps its interface (order, dtype, threads, no torch at run time), and its weights
are the committed recipe's; the recipe's data builder on a tiny input. Nothing here trains."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.text.sentences import split_sentences
from newsbot_testing.paths import REPO
from retrieval.reader import OnnxReader, ReaderError, load_reader, reader_text
from retrieval.reader.onnx_reader import ONNX_FILE, SETTINGS_FILE, WEIGHTS_DIR
from retrieval.reader.recipe.data import (
    Article,
    cloze_question,
    headline_groups,
    realtimeqa_groups,
)
from retrieval.reader.recipe.settings import RecipeSettings, recipe_hash
from retrieval.reader.text import coverage, question_terms

# Sentences from nowhere near the seed article: each must score below its answer sentence.
UNRELATED = [
    "The central bank raised interest rates by half a percentage point on Wednesday.",
    "Iga Swiatek beat Coco Gauff in the French Open women's final.",
    "Wildfires forced thousands to leave their homes in northern California.",
    "The museum will reopen its Egyptian galleries in the spring after a two-year renovation.",
]


@pytest.fixture(scope="module")
def reader() -> OnnxReader:
    return load_reader()


@pytest.fixture(scope="module")
def seed(shared_data) -> tuple[str, list[str], list[dict]]:
    lines = (shared_data / "seed" / "zelensky-putin-meeting.txt").read_text().splitlines()
    title, body = lines[0], "\n".join(lines[1:])
    questions = [
        json.loads(line)
        for line in (shared_data / "seed" / "questions.jsonl").read_text().splitlines()
        if line.strip()
    ]
    return title, split_sentences(body), [q for q in questions if q["answer"]]


def _texts(title: str, sentences: list[str]) -> list[str]:
    return [reader_text(s, title, sentences[i - 1] if i else "") for i, s in enumerate(sentences)]


def test_answer_sentences_score_above_unrelated_ones(reader, seed) -> None:
    title, sentences, questions = seed
    for q in questions:
        holding = [s for s in sentences if q["answer"].lower() in s.lower()]
        scores = reader.score(q["question"], _texts(title, holding) + UNRELATED)
        best_answer = scores[: len(holding)].max()
        assert best_answer > scores[len(holding) :].max(), q["question"]


def test_scores_are_float32_one_per_sentence_in_order(reader) -> None:
    question = "Who won the French Open women's final?"
    scores = reader.score(question, UNRELATED)
    assert scores.dtype == np.float32 and scores.shape == (len(UNRELATED),)
    assert np.all(np.isfinite(scores))
    reverse = reader.score(question, UNRELATED[::-1])
    np.testing.assert_allclose(reverse[::-1], scores, atol=1e-4)
    assert int(np.argmax(scores)) == 1  # the Swiatek sentence
    assert reader.score(question, []).shape == (0,)


def test_batches_cover_every_sentence(reader) -> None:
    small = OnnxReader(WEIGHTS_DIR, batch_size=3)
    texts = UNRELATED * 2 + UNRELATED[:1]  # 9 texts: three full batches and a remainder
    question = "Where did wildfires force people from their homes?"
    scores = small.score(question, texts)
    assert scores.shape == (9,)
    # Dynamic quantisation: a batch's neighbours move a logit a little (see OnnxReader).
    np.testing.assert_allclose(scores[:4], scores[4:8], atol=0.25)
    assert int(np.argmax(scores[:4])) == 2


def test_one_reader_scores_from_many_threads(reader) -> None:
    question = "What did the central bank do to interest rates?"
    expected = reader.score(question, UNRELATED)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(reader.score(question, UNRELATED))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 6
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_long_inputs_are_cut_not_refused(reader) -> None:
    long_text = " ".join(["The committee heard evidence from officials about the storm."] * 80)
    scores = reader.score("What did the committee hear? " * 40, [long_text, UNRELATED[0]])
    assert scores.shape == (2,) and np.all(np.isfinite(scores))


@settings(max_examples=25, deadline=None)
@given(question=st.text(max_size=300), texts=st.lists(st.text(max_size=300), max_size=5))
def test_any_text_gets_a_finite_score(reader, question, texts) -> None:
    scores = reader.score(question, [reader_text(t, "title", "previous") for t in texts])
    assert scores.shape == (len(texts),) and np.all(np.isfinite(scores))


def test_missing_weights_say_so(tmp_path) -> None:
    with pytest.raises(ReaderError, match="no usable reader settings"):
        OnnxReader(tmp_path).score("Who?", ["Someone."])


def test_committed_weights_are_the_recipes() -> None:
    description = json.loads((WEIGHTS_DIR / SETTINGS_FILE).read_text())
    size = (WEIGHTS_DIR / ONNX_FILE).stat().st_size
    assert size <= 25 * 1024 * 1024 and size == description["onnx_bytes"]
    settings_used = RecipeSettings(**description["settings"])
    # Edit the recipe and this fails until `make reader` has made weights from the new recipe.
    assert description["recipe_hash"] == recipe_hash(settings_used)
    assert description["layers"] == settings_used.layers
    assert description["max_tokens"] == settings_used.max_tokens
    assert {"xquad_sentence_accuracy", "dev_mrr"} <= set(description["metrics"])
    assert dataclasses.asdict(settings_used) == description["settings"]
    # `make reader` (no overrides) rebuilds these weights: its defaults are their settings.
    assert RecipeSettings() == settings_used


def test_the_reader_imports_no_torch() -> None:
    code = (
        "import sys; from retrieval.reader import load_reader; "
        "s = load_reader().score('Who?', ['Someone did.']); "
        "assert s.shape == (1,); print(sorted(m for m in ('torch', 'transformers') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


# The recipe's data builder, on a tiny pool.
GOLD = Article(
    "https://example.org/gold",
    "Charging rules",
    (
        "Lawmakers met in Brussels on Tuesday to vote on new rules for phones.",
        "Europe will require every smartphone maker to support one common charger by 2024.",
        "Apple said it would comply with the law but warned it could slow innovation.",
        "The rule also covers tablets, cameras and headphones sold in the bloc.",
    ),
)
OTHER = Article(
    "https://example.org/other",
    "Phone sales",
    (
        "Smartphone makers shipped fewer phones this quarter than a year ago.",
        "Analysts said smartphone makers would soon have to support common chargers.",
        "The report covered shipments in Asia and North America only.",
        "Retailers expect a busy holiday season for laptops and game consoles.",
        "Prices of older models fell sharply after the new range went on sale.",
    ),
)


def test_realtimeqa_groups_pair_the_answer_sentence_with_negatives() -> None:
    question = {
        "question": "Which continent will require smartphone makers to support a common charger?",
        "answer": "Europe",
        "gold_urls": [GOLD.url],
        "pool_urls": [GOLD.url, OTHER.url],
    }
    articles = {GOLD.url: GOLD, OTHER.url: OTHER}
    groups = realtimeqa_groups([question], articles, random.Random(1), negatives=4, per_question=2)
    assert len(groups) == 1
    group = groups[0]
    assert group.positive == reader_text(GOLD.sentences[1]) and group.source == "realtimeqa"
    assert len(group.negatives) == 4 == len(set(group.negatives))
    assert all("europe" not in n.lower() for n in group.negatives)
    # Both neighbours of the answer sentence, and the pool's look-alike sentence.
    assert reader_text(GOLD.sentences[0]) in group.negatives
    assert reader_text(GOLD.sentences[2]) in group.negatives
    assert reader_text(OTHER.sentences[1]) in group.negatives
    again = realtimeqa_groups([question], articles, random.Random(1), negatives=4, per_question=2)
    assert again == groups  # same seed, same groups
    # Too small a pool for the negatives asked: no group rather than a short one.
    assert realtimeqa_groups([question], articles, random.Random(1), 9, 2) == []


def test_headline_groups_pair_a_headline_with_its_opening_sentence() -> None:
    story = Article(
        "https://example.org/charger",
        "Europe will require one common charger for smartphones",
        GOLD.sentences,
    )
    others = [
        Article(f"https://example.org/{n}", f"Other story {n}", OTHER.sentences) for n in range(3)
    ]
    groups = headline_groups([story, *others], random.Random(2), negatives=3, count=5)
    mine = [g for g in groups if g.question == story.title]
    assert len(mine) == 1
    group = mine[0]
    # The opening sentence that shares most words with the headline, not the first one.
    assert group.positive == reader_text(GOLD.sentences[1]) and group.source == "headline"
    # Negatives come from other stories only: the story's own sentences also match its headline.
    assert len(group.negatives) == 3 and not set(group.negatives) & set(GOLD.sentences)
    assert headline_groups([story, *others], random.Random(2), 3, 5) == groups


def test_cloze_questions_blank_a_name_or_number() -> None:
    sentence = "The museum in Cairo said 4,000 visitors came to see the Tutankhamun galleries."
    for seed_value in range(20):
        made = cloze_question(sentence, random.Random(seed_value))
        assert made is not None
        question, answer = made
        assert answer in sentence and answer not in question and question.endswith("?")
    assert cloze_question("nothing here names anything at all.", random.Random(0)) is None


def test_coverage_is_the_share_of_question_words_held() -> None:
    terms = question_terms("Which continent will require a common charger?")
    assert terms == {"continent", "require", "common", "charger"}
    assert coverage(terms, "Europe will require one common charger.") == 0.75
    assert coverage(terms, "Chargers for every continent, commonly required.") == 0.75
    assert coverage(frozenset(), "anything") == 0.0
