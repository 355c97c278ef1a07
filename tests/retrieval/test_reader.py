"""The reader (retrieval/reader): the committed int8 cross-encoder scores answer sentences above
the rest, keeps its interface (order, dtype, threads, no torch at run time), and its weights
are the committed recipe's; the recipe's data builder on a tiny input. Nothing here trains."""

from __future__ import annotations

import dataclasses
import gzip
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
from retrieval.reader.recipe.__main__ import QA
from retrieval.reader.recipe.data import (
    Article,
    cloze_question,
    headline_groups,
    realtimeqa_groups,
    selqa_groups,
    sentence_groups,
    squad_groups,
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
    # Dynamic quantisation: a batch's neighbours move a logit a little (see OnnxReader), by a
    # share of the logits' spread (v4's span 15, v3's 6): the order never moves.
    spread = float(np.ptp(scores[:4]))
    np.testing.assert_allclose(scores[:4], scores[4:8], atol=0.04 * spread)
    assert list(np.argsort(scores[:4])) == list(np.argsort(scores[4:8]))
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


def _gzip_json(path, value) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(value, f)


CHARGER = (
    "The European Union agreed a law on Tuesday. "
    "Smartphone makers must support one common charger in Europe from 2024. "
    "The rule covers phones, tablets and cameras sold in the bloc. "
    "Apple said it would comply with the new rule."
)
WEATHER = (
    "Heavy rain fell across the north on Monday evening. "
    "Forecasters expect more storms to arrive later this week. "
    "Rivers rose quickly in several mountain valleys overnight."
)


def test_squad_groups_take_the_sentence_holding_the_answer_span(tmp_path) -> None:
    start = CHARGER.index("Europe from")
    qa = {
        "question": "Where will phones need a common charger?",
        "answers": [{"answer_start": start, "text": "Europe"}],
    }
    path = tmp_path / "squad.json.gz"
    _gzip_json(
        path,
        {
            "data": [
                {
                    "title": "Chargers",
                    "paragraphs": [
                        {"context": CHARGER, "qas": [qa]},
                        {"context": WEATHER, "qas": []},
                    ],
                }
            ]
        },
    )
    groups = squad_groups(path, random.Random(3), negatives=5, count=10)
    assert len(groups) == 1
    group = groups[0]
    assert group.positive == reader_text(split_sentences(CHARGER)[1]) and group.source == "squad"
    # The paragraph's other sentences but the one holding the answer's text ("European"),
    # then the article's other paragraph.
    own = [reader_text(s) for s in split_sentences(CHARGER)[2:]]
    assert list(group.negatives[:2]) == own
    assert set(group.negatives[2:]) == {reader_text(s) for s in split_sentences(WEATHER)}
    assert squad_groups(path, random.Random(3), 5, 10) == groups
    assert squad_groups(path, random.Random(3), 9, 10) == []  # too few sentences: no group


def test_sentence_groups_draw_negatives_from_nearby_answers(tmp_path) -> None:
    sentences = [*split_sentences(CHARGER), *split_sentences(WEATHER)]
    pairs = [
        {"id": 100 + n, "question": f"Question number {n} about this?", "sentence": s}
        for n, s in enumerate(sentences)
    ]
    pairs.append(
        {
            "id": 9_000,
            "question": "Far away?",
            "sentence": "A sentence from another article entirely.",
        }
    )
    path = tmp_path / "pairs.json.gz"
    _gzip_json(path, pairs)
    groups = sentence_groups(path, random.Random(4), negatives=5, count=100)
    assert {g.source for g in groups} == {"squad-sentence"}
    for group in groups:
        assert group.positive not in group.negatives and len(set(group.negatives)) == 5
        # Question ids far from this one belong to other articles: never its negatives.
        assert "another article" not in " ".join(group.negatives)


def test_selqa_groups_mark_the_answering_sentence(tmp_path) -> None:
    candidates = [*split_sentences(CHARGER), *split_sentences(WEATHER)]
    record = {
        "question": "Which company said it would comply?",
        "candidates": candidates,
        "answers": [3],
    }
    path = tmp_path / "selqa.json.gz"
    _gzip_json(path, [record])
    [group] = selqa_groups(path, random.Random(5), negatives=4, count=10)
    assert group.positive == candidates[3] and group.source == "selqa"
    assert candidates[3] not in group.negatives and len(set(group.negatives)) == 4
    assert selqa_groups(path, random.Random(5), negatives=7, count=10) == []


def test_the_public_qa_files_hold_no_xquad_question_or_paragraph(shared_data) -> None:
    """XQuAD is evaluation only: the training sets beside the recipe must not contain it."""
    xquad = json.loads((shared_data / "xquad" / "xquad.en.json").read_text(encoding="utf-8"))
    paragraphs = {p["context"] for a in xquad["data"] for p in a["paragraphs"]}
    questions = {
        q["question"].strip().lower()
        for a in xquad["data"]
        for p in a["paragraphs"]
        for q in p["qas"]
    }
    with gzip.open(QA / "squad-train-paragraphs.json.gz", "rt", encoding="utf-8") as f:
        squad = json.load(f)["data"]
    with gzip.open(QA / "squad-train-sentences.json.gz", "rt", encoding="utf-8") as f:
        pairs = json.load(f)
    with gzip.open(QA / "selqa-ass-test-dev.json.gz", "rt", encoding="utf-8") as f:
        selqa = json.load(f)
    assert not paragraphs & {p["context"] for a in squad for p in a["paragraphs"]}
    asked = {
        q["question"].strip().lower() for a in squad for p in a["paragraphs"] for q in p["qas"]
    }
    asked |= {p["question"].strip().lower() for p in pairs} | {
        r["question"].strip().lower() for r in selqa
    }
    assert not questions & asked
    assert not any(p["sentence"] in paragraph for p in pairs[:500] for paragraph in paragraphs)
