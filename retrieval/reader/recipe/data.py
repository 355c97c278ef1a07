"""Training groups for the reader: one question, one sentence that answers it, and hard
negatives that do not (a listwise softmax picks the positive out of its group).

RealTimeQA's TRAIN split (never dev; XQuAD is evaluation only) and a slice of SQuAD's train:

- `realtimeqa_groups`: the 841 train questions. Positives are sentences of a gold article
  holding the answer string (case-insensitive), the ones sharing most words with the
  question first (the label is weak: "Europe" is in many sentences that answer nothing).
  Negatives: the positive's neighbours, the gold article's other sentences and the pool's
  other articles' sentences that share most words with the question, none holding the answer.
- `cloze_groups`: self-supervised from the same articles. A sentence that names something
  (a capitalised name or a number after its first word) becomes a question with that name
  replaced by a question word and a third of its other words dropped; its neighbours and
  look-alike sentences of other articles are the negatives.

- `headline_groups`: self-supervised from the same articles and BBC's: the headline is the
  question, the opening sentence sharing most words with it the positive, and other articles'
  sentences sharing most words with the headline (look-alikes) the negatives: which story a
  sentence belongs to, the re-ranking half of the reader's job.

- Public question-answering sets (recipe/qa/, each with its licence in recipe/qa/README.md),
  questions written by people about Wikipedia with the answer marked, so the positive is exact:
  `squad_groups` (SQuAD v1.1 train paragraphs: the sentence holding the answer span's first
  character; negatives the paragraph's other sentences, then look-alikes from other
  paragraphs), `sentence_groups` (SQuAD train question -> answer-sentence pairs without their
  paragraphs: negatives are other answer sentences from the same article, by nearby question
  id, sharing most words with the question) and `selqa_groups` (SelQA: candidate sentences of
  a Wikipedia section with the answering ones marked). XQuAD is drawn from SQuAD's dev
  articles; none of these is among them (README.md says how that was checked).

Articles that are also in the dev pool are left out of the self-supervised groups (the train
pool shares 655 of them), so cross-validation on dev never scores sentences trained on.

Sentences come from the product's own splitter (index.text.sentences), so training sees what
the answerer sees. Everything is drawn from one seeded random.Random: same seed, same groups.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import gzip
import json
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.text.sentences import sentence_spans, split_sentences
from retrieval.reader.text import reader_text
from retrieval.text_terms import content_terms, stem

MIN_WORDS = 5  # shorter "sentences" are captions, bylines and headings, not answers


@dataclass(frozen=True)
class Group:
    question: str
    positive: str
    negatives: tuple[str, ...]
    source: str  # "realtimeqa", "cloze", "headline", "squad", "squad-sentence", "selqa"


@dataclass(frozen=True)
class Article:
    url: str
    title: str
    sentences: tuple[str, ...]


def read_jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def articles_by_url(rows: Iterable[dict]) -> dict[str, Article]:
    out = {}
    for row in rows:
        sentences = tuple(s for s in split_sentences(row.get("text") or "") if s.strip())
        url = row.get("url") or row["id"]  # BBC's rows carry an id, not a URL
        out[url] = Article(url, row.get("title") or "", sentences)
    return out


@functools.lru_cache(maxsize=200_000)
def _terms(text: str) -> frozenset[str]:
    return frozenset(stem(t) for t in content_terms(text))


def _overlap(question: frozenset[str], sentence: str) -> int:
    return len(question & _terms(sentence))


def _long_enough(sentence: str) -> bool:
    return len(sentence.split()) >= MIN_WORDS


def _text(article: Article, index: int) -> str:
    previous = article.sentences[index - 1] if index > 0 else ""
    return reader_text(article.sentences[index], article.title, previous)


def realtimeqa_groups(
    questions: Iterable[dict],
    articles: dict[str, Article],
    rng: random.Random,
    negatives: int,
    per_question: int,
) -> list[Group]:
    groups = []
    for q in questions:
        answer = (q.get("answer") or "").strip().lower()
        if not answer:
            continue
        asked = _terms(q["question"])
        gold = [articles[u] for u in q.get("gold_urls", []) if u in articles]
        others = [
            articles[u]
            for u in q.get("pool_urls", [])
            if u in articles and u not in set(q.get("gold_urls", []))
        ]
        holds = [
            (a, i)
            for a in gold
            for i, s in enumerate(a.sentences)
            if answer in s.lower() and _long_enough(s)
        ]
        if not holds:
            continue
        # The most question-like answer sentences first; ties kept in article order.
        holds.sort(key=lambda ai: -_overlap(asked, ai[0].sentences[ai[1]]))
        for article, index in holds[:per_question]:
            chosen = _negatives_for(
                article, index, answer, asked, gold + others, rng, negatives, near=2
            )
            if len(chosen) == negatives:
                groups.append(
                    Group(
                        q["question"],
                        _text(article, index),
                        tuple(chosen),
                        "realtimeqa",
                    )
                )
    return groups


def _negatives_for(
    article: Article,
    index: int,
    answer: str,
    asked: frozenset[str],
    pool: Sequence[Article],
    rng: random.Random,
    count: int,
    near: int,
) -> list[str]:
    """`near` neighbours of the positive, then the same article's and the pool's sentences
    that share most words with the question, then random ones; none holding `answer`, each
    text once (pools repeat stories under several URLs) and never the positive's text."""
    positive = _text(article, index)

    def usable(a: Article, i: int) -> bool:
        s = a.sentences[i]
        return _long_enough(s) and answer not in s.lower()

    neighbours = [
        (article, i)
        for i in (index - 1, index + 1, index - 2, index + 2)
        if 0 <= i < len(article.sentences) and usable(article, i)
    ][:near]
    candidates = [
        (a, i)
        for a in pool
        for i in range(len(a.sentences))
        if usable(a, i) and (a, i) not in neighbours
    ]
    rng.shuffle(candidates)  # random order among equal overlaps
    candidates.sort(key=lambda ai: -_overlap(asked, ai[0].sentences[ai[1]]))
    hard = (count - len(neighbours) + 1) // 2
    rest = candidates[hard:]
    rng.shuffle(rest)
    chosen: dict[str, None] = {}
    for a, i in [*neighbours, *candidates[:hard], *rest]:
        text = _text(a, i)
        if text != positive:
            chosen.setdefault(text)
        if len(chosen) == count:
            break
    return list(chosen)


# A name (capitalised words, not the sentence's first) or a number worth asking about.
_NAME = re.compile(
    r"(?<=[a-z,;:] )((?:[A-Z][a-zA-Z'’.-]+)(?: (?:of |de |the )?[A-Z][a-zA-Z'’.-]+)*)"
)
_NUMBER = re.compile(r"(?<= )(\$?\d[\d,.]*(?: (?:million|billion|percent|%))?)")


def cloze_question(sentence: str, rng: random.Random) -> tuple[str, str] | None:
    """A question made from a sentence by blanking one name or number, or None."""
    names = [m for m in _NAME.finditer(sentence)]
    numbers = [m for m in _NUMBER.finditer(sentence)]
    if not names and not numbers:
        return None
    pick = rng.choice(names + numbers)
    word = "how many" if pick.re is _NUMBER else rng.choice(("who", "what", "which"))
    before, after = sentence[: pick.start()].split(), sentence[pick.end() :].split()
    # Drop about a third of the other words so the question is not the sentence verbatim.
    before = [w for w in before if rng.random() > 0.33]
    after = [w for w in after if rng.random() > 0.33]
    question = " ".join([*before, word, *after]).rstrip(" .") + "?"
    return question[0].upper() + question[1:], pick.group(0)


def cloze_groups(
    articles: Sequence[Article], rng: random.Random, negatives: int, count: int
) -> list[Group]:
    groups: list[Group] = []
    order = list(range(len(articles)))
    rng.shuffle(order)
    for n in order:
        if len(groups) >= count:
            break
        article = articles[n]
        usable = [i for i, s in enumerate(article.sentences) if 8 <= len(s.split()) <= 45]
        if len(usable) < 4:
            continue
        index = rng.choice(usable)
        made = cloze_question(article.sentences[index], rng)
        if made is None:
            continue
        question, answer = made
        # Other articles to draw look-alikes from: a few at random (the whole archive is slow).
        others = [articles[rng.randrange(len(articles))] for _ in range(8)]
        chosen = _negatives_for(
            article,
            index,
            answer.lower(),
            _terms(question),
            [article, *[a for a in others if a is not article]],
            rng,
            negatives,
            near=3,
        )
        if len(chosen) == negatives:
            groups.append(Group(question, _text(article, index), tuple(chosen), "cloze"))
    return groups


def with_other_positives(groups: list[Group], rng: random.Random, count: int) -> list[Group]:
    """Each group's last `count` negatives replaced by other questions' positives.

    Without them the reader learns what answer sentences look like (a story's opening
    sentence, full of names) rather than which one answers this question: trained on
    neighbours and look-alikes only, it ranked the seed article's first sentence top for
    every question, "What is the boiling point of water?" included."""
    if count <= 0 or len(groups) < 2:
        return groups
    out = []
    for n, group in enumerate(groups):
        others: list[str] = []
        while len(others) < count:
            other = groups[rng.randrange(len(groups))]
            if other is not groups[n] and other.question != group.question:  # noqa: SIM102
                if other.positive != group.positive and other.positive not in others:
                    others.append(other.positive)
        kept = group.negatives[: len(group.negatives) - count]
        out.append(dataclasses.replace(group, negatives=(*kept, *others)))
    return out


def headline_groups(
    articles: Sequence[Article], rng: random.Random, negatives: int, count: int
) -> list[Group]:
    """Headline -> the opening sentence (of the first three) sharing most words with it."""
    groups: list[Group] = []
    order = list(range(len(articles)))
    rng.shuffle(order)
    for n in order:
        if len(groups) >= count:
            break
        article = articles[n]
        title = " ".join(article.title.split())
        asked = _terms(title)
        opening = [
            i for i in range(min(3, len(article.sentences))) if _long_enough(article.sentences[i])
        ]
        if len(asked) < 3 or len(article.sentences) < 4 or not opening:
            continue
        index = max(opening, key=lambda i: _overlap(asked, article.sentences[i]))
        if _overlap(asked, article.sentences[index]) < 2:
            continue
        others = [articles[rng.randrange(len(articles))] for _ in range(12)]
        others = [a for a in others if a is not article and a.title != article.title]
        # No neighbours: the story's other sentences also match its headline.
        chosen = _negatives_for(article, index, "\0", asked, others, rng, negatives, near=0)
        if len(chosen) == negatives:
            groups.append(Group(title, _text(article, index), tuple(chosen), "headline"))
    return groups


def squad_groups(path: Path, rng: random.Random, negatives: int, count: int) -> list[Group]:
    """Up to `count` groups from a SQuAD-format file (questions drawn in a seeded order)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)["data"]
    asked: list[tuple[dict, Article, list[tuple[int, int]], list[Article]]] = []
    for entry in data:
        title = entry["title"].replace("_", " ")
        paragraphs = []
        for paragraph in entry["paragraphs"]:
            context = paragraph["context"]
            spans = sentence_spans(context)
            article = Article(title, title, tuple(context[a:b] for a, b in spans))
            paragraphs.append((article, spans, paragraph["qas"]))
        siblings = [article for article, _, _ in paragraphs]
        asked += [(qa, a, spans, siblings) for a, spans, qas in paragraphs for qa in qas]
    rng.shuffle(asked)
    groups: list[Group] = []
    for qa, article, spans, siblings in asked:
        if len(groups) >= count:
            break
        answer = qa["answers"][0]
        start = answer["answer_start"]
        index = next((i for i, (a, b) in enumerate(spans) if a <= start < b), None)
        if index is None or not _long_enough(article.sentences[index]):
            continue
        # The paragraph's own sentences are the hardest negatives (XQuAD's task is choosing
        # among them); then the article's other paragraphs' look-alikes.
        chosen = _negatives_for(
            article,
            index,
            answer["text"].lower(),
            _terms(qa["question"]),
            siblings,
            rng,
            negatives,
            near=4,
        )
        if len(chosen) == negatives:
            groups.append(Group(qa["question"], _text(article, index), tuple(chosen), "squad"))
    return groups


def sentence_groups(path: Path, rng: random.Random, negatives: int, count: int) -> list[Group]:
    """Question -> answer-sentence pairs without their paragraphs. SQuAD's question ids run in
    article order, so the answer sentences of ids within `_SAME_ARTICLE` of a question's are
    mostly its article's: the look-alikes among them (sharing most words with the question,
    none holding the positive's text) are its negatives."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        pairs = sorted(json.load(f), key=lambda p: p["id"])
    ids = [p["id"] for p in pairs]
    order = list(range(len(pairs)))
    rng.shuffle(order)
    groups: list[Group] = []
    for n in order:
        if len(groups) >= count:
            break
        pair = pairs[n]
        positive = " ".join(pair["sentence"].split())
        if not _long_enough(positive):
            continue
        asked = _terms(pair["question"])
        low = bisect.bisect_left(ids, pair["id"] - _SAME_ARTICLE)
        high = bisect.bisect_right(ids, pair["id"] + _SAME_ARTICLE)
        nearby = {
            " ".join(p["sentence"].split()): None
            for p in pairs[low:high]
            if p is not pair and _long_enough(p["sentence"])
        }
        nearby.pop(positive, None)
        candidates = list(nearby)
        rng.shuffle(candidates)
        candidates.sort(key=lambda s: -_overlap(asked, s))
        if len(candidates) >= negatives:
            chosen = tuple(candidates[:negatives])
            groups.append(Group(pair["question"], positive, chosen, "squad-sentence"))
    return groups


_SAME_ARTICLE = 150  # question ids: SQuAD train articles hold ~200 questions


def selqa_groups(path: Path, rng: random.Random, negatives: int, count: int) -> list[Group]:
    """SelQA: a section's sentences, the answering ones marked. Each answering sentence is a
    positive once; the section's others are its negatives (those sharing most words first)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        records = json.load(f)
    rng.shuffle(records)
    groups: list[Group] = []
    for record in records:
        if len(groups) >= count:
            break
        asked = _terms(record["question"])
        answering = set(record["answers"])
        texts = [" ".join(c.split()) for c in record["candidates"]]
        others = [t for i, t in enumerate(texts) if i not in answering and _long_enough(t)]
        rng.shuffle(others)
        others.sort(key=lambda s: -_overlap(asked, s))
        for index in sorted(answering):
            if 0 <= index < len(texts) and _long_enough(texts[index]):
                chosen = tuple(dict.fromkeys(o for o in others if o != texts[index]))[:negatives]
                if len(chosen) == negatives:
                    groups.append(Group(record["question"], texts[index], chosen, "selqa"))
                break  # one group a question: its first answering sentence
    return groups
