"""The reader ablation's arithmetic (benchmarks/reader_ablation.py): each variant played out on
recorded readings as retrieval/answer.py and retrieval/reading.py play it, its combination
weights fitted on the other folds' questions."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from retrieval.evaluation.quotes import KEPT_SHARE
from retrieval.reading import Combination, passage_score, sentence_probabilities
from retrieval.selection import FOLLOWING_RATIO


@dataclass
class Read:
    """One candidate passage, in the rule's order: what the Answerer knows about it."""

    article_id: str
    rule: float  # the rule's passage score (selection.passage_score)
    model: np.ndarray  # the sentence model's probability per sentence
    reader: np.ndarray  # the reader's logit per sentence
    labels: np.ndarray  # per sentence: holds the answer
    holds: bool  # the passage holds it
    relevant: bool  # its article answers (a gold URL, or holds the answer string)


@dataclass
class Asked:
    id: str
    passages: list[Read] = field(default_factory=list)
    unanswerable: bool = False


def _limited(p: Read, sentences: int) -> np.ndarray:
    """The reader's logits as retrieval/reading.py sees them when it reads `sentences`."""
    if sentences <= 0 or sentences >= len(p.reader):
        return p.reader
    picked = np.argsort(-p.model, kind="stable")[:sentences]
    out = np.full(len(p.reader), p.reader[picked].min(), dtype=np.float32)
    out[picked] = p.reader[picked]
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _fit(rows: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    from sklearn.linear_model import LogisticRegression

    if len(set(labels.tolist())) < 2:
        return (1.0, 0.0, 0.0)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(rows, labels)
    a, b = model.coef_[0]
    return (float(a), float(b), float(model.intercept_[0]))


def fit_combination(train: list[Asked], depth: int, sentences: int) -> Combination:
    passages = [p for a in train for p in a.passages[:depth]]
    if not passages:
        return Combination((1.0, 0.0, 0.0), (1.0, 0.0, 0.0))
    passage_rows = np.array([[p.rule, _limited(p, sentences).max()] for p in passages])
    holding = [p for p in passages if p.holds and p.labels.any()]
    sentence_rows = np.vstack(
        [np.column_stack([_logit(p.model), _limited(p, sentences)]) for p in holding]
    )
    return Combination(
        _fit(passage_rows, np.array([p.holds for p in passages])),
        _fit(sentence_rows, np.concatenate([p.labels for p in holding])),
    )


@dataclass
class Played:
    order: list[int]  # passage indices as shown, best first
    scores: list[float]  # their scores
    marked: bool  # quote 1's marked sentence(s) hold the answer
    marked_sentences: int


def play(a: Asked, combo: Combination, rerank, mark, depth, sentences, per_article) -> Played:
    read, rest = a.passages[:depth], a.passages[depth:]
    probs, scores = [], []
    lowest = min((float(_limited(p, sentences).min()) for p in read), default=0.0)
    for number, p in enumerate(a.passages):
        logits = _limited(p, sentences) if number < depth else None
        probs.append(
            sentence_probabilities(p.model, logits, combo)
            if mark and logits is not None
            else p.model
        )
        if rerank:
            best = float(logits.max()) if logits is not None else lowest
            scores.append(passage_score(p.rule, best, combo))
        else:
            scores.append(p.rule)
    order = list(range(len(read)))
    if rerank:
        order.sort(key=lambda i: scores[i], reverse=True)
    order += [len(read) + i for i in range(len(rest))]
    if not order:
        return Played([], [], False, 0)
    first = a.passages[order[0]]
    s = probs[order[0]]
    best = int(s.argmax())
    chosen = [best]
    if best + 1 < len(s) and s[best + 1] >= FOLLOWING_RATIO * s[best]:
        chosen.append(best + 1)
    return Played(order, [scores[i] for i in order], bool(first.labels[chosen].any()), len(chosen))


def _quantile_bar(values: list[float]) -> float:
    return float(np.quantile(values, 1 - KEPT_SHARE)) if values else 0.0


def figures(asked: list[Asked], played: list[Played], quotes: int) -> dict:
    answerable = [(a, p) for a, p in zip(asked, played, strict=True) if not a.unanswerable]
    hits = {
        k: [any(a.passages[i].holds for i in p.order[:k]) for a, p in answerable] for k in (1, 5)
    }
    right = [p.scores[0] for (a, p), ok in zip(answerable, hits[5], strict=True) if ok and p.order]
    threshold = _quantile_bar(right)
    gone = [p for a, p in zip(asked, played, strict=True) if a.unanswerable]
    answered = [(a, p) for a, p in answerable if p.order and p.scores[0] >= threshold]
    later = [
        s
        for a, p in answered
        for i, s in zip(p.order[1:quotes], p.scores[1:quotes], strict=False)
        if a.passages[i].relevant
    ]
    bar = _quantile_bar(later)
    shown = []
    for a, p in answered:
        flags = [a.passages[p.order[0]].relevant]
        for i, s in zip(p.order[1:], p.scores[1:], strict=False):
            if len(flags) < quotes and s >= bar:
                flags.append(a.passages[i].relevant)
        shown.append(flags)
    flat = [f for row in shown for f in row]
    return {
        "at1": float(np.mean(hits[1])),
        "at5": float(np.mean(hits[5])),
        "marked_at1": float(np.mean([p.marked for _, p in answerable])),
        "marked_sentences": float(np.mean([p.marked_sentences for _, p in answerable])),
        "threshold": threshold,
        "abstained": float(np.mean([not p.order or p.scores[0] < threshold for p in gone])),
        "quote_bar": bar,
        "quote_precision": float(np.mean(flat)) if flat else 0.0,
        "quotes_shown": float(np.mean([len(r) for r in shown])) if shown else 0.0,
    }


def evaluate_variant(
    asked, xquad, rerank, mark, depth, sentences, folds, per_article, quotes, seed=0
) -> dict:
    ids = sorted({a.id for a in asked})
    fold_of = dict(zip(ids, np.random.default_rng(seed).permutation(len(ids)) % folds, strict=True))
    played: list[Played | None] = [None] * len(asked)
    for fold in range(folds):
        train = [a for a in asked if fold_of[a.id] != fold and not a.unanswerable]
        combo = fit_combination(train, depth, sentences)
        for index, a in enumerate(asked):
            if fold_of[a.id] == fold:
                played[index] = play(a, combo, rerank, mark, depth, sentences, per_article)
    out = figures(asked, played, quotes)
    combo = fit_combination([a for a in asked if not a.unanswerable], depth, sentences)
    xquad_played = [play(a, combo, rerank, mark, depth, sentences, 1) for a in xquad]
    out["xquad_marked_at1"] = float(
        np.mean([p.marked and p.scores[0] >= out["threshold"] for p in xquad_played])
    )
    return out
