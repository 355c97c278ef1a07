"""Quick measures of a reader on its own, without the answer pipeline (the integrated figures
are benchmarks/quality.py's):

- XQuAD sentence accuracy: for each question, does the top-scored sentence of its paragraph
  (split by the product's splitter) hold the first character of the answer span?
- RealTimeQA dev sentence ranking: for each dev question, every sentence of its gold articles
  and of `distractors` other dev articles sharing most words with it; MRR of the first
  sentence holding the answer string, and the share whose top sentence holds it. Dev is
  never trained on (recipe/data.py reads the train split only).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index.text.sentences import sentence_spans
from retrieval.reader.recipe.data import articles_by_url, read_jsonl
from retrieval.reader.text import reader_text
from retrieval.text_terms import content_terms, stem


class Scorer(Protocol):
    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray: ...


class WordOverlap:
    """The baseline: question words (stemmed) a sentence shares, ties to the shorter."""

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        asked = {stem(t) for t in content_terms(question)}
        return np.array(
            [
                len(asked & {stem(t) for t in content_terms(s)}) - 1e-3 * len(s.split())
                for s in sentences
            ],
            dtype=np.float32,
        )


def _texts(title: str, sentences: Sequence[str]) -> list[str]:
    return [reader_text(s, title, sentences[i - 1] if i else "") for i, s in enumerate(sentences)]


def xquad_accuracy(reader: Scorer, path: Path, limit: int | None = None) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    right = asked = 0
    for article in data:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = sentence_spans(context)
            texts = _texts(article["title"], [context[a:b] for a, b in spans])
            for qa in paragraph["qas"]:
                if limit is not None and asked >= limit:
                    break
                start = qa["answers"][0]["answer_start"]
                best = int(np.argmax(reader.score(qa["question"], texts)))
                a, b = spans[best]
                right += a <= start < b
                asked += 1
    return {"xquad_sentence_accuracy": round(right / max(asked, 1), 4), "xquad_questions": asked}


def _distractors(
    question: str, gold: set[str], heads: dict[str, frozenset[str]], count: int
) -> list[str]:
    """The `count` other articles whose title and first sentences share most question words."""
    asked = {stem(t) for t in content_terms(question)}
    others = sorted((u for u in heads if u not in gold), key=lambda u: -len(asked & heads[u]))
    return others[:count]


def dev_ranking(
    reader: Scorer, data_dir: Path, distractors: int = 3, limit: int | None = None
) -> dict:
    articles = articles_by_url(read_jsonl(data_dir / "realtimeqa-dev-articles.jsonl.gz"))
    heads = {
        u: frozenset(stem(t) for t in content_terms(" ".join((a.title, *a.sentences[:3]))))
        for u, a in articles.items()
    }
    reciprocal, top1, asked = [], 0, 0
    for q in read_jsonl(data_dir / "realtimeqa-dev-questions.jsonl.gz"):
        if limit is not None and asked >= limit:
            break
        answer = (q.get("answer") or "").lower()
        gold = {u for u in q.get("gold_urls", []) if u in articles}
        chosen = [articles[u] for u in sorted(gold)]
        chosen += [articles[u] for u in _distractors(q["question"], gold, heads, distractors)]
        texts, holds = [], []
        for article in chosen:
            texts += _texts(article.title, article.sentences)
            holds += [bool(answer) and answer in s.lower() for s in article.sentences]
        if not any(holds):
            continue
        order = np.argsort(-reader.score(q["question"], texts), kind="stable")
        rank = next(r for r, i in enumerate(order, 1) if holds[i])
        reciprocal.append(1 / rank)
        top1 += rank == 1
        asked += 1
    return {
        "dev_mrr": round(float(np.mean(reciprocal)), 4),
        "dev_top1": round(top1 / max(asked, 1), 4),
        "dev_questions": asked,
    }
