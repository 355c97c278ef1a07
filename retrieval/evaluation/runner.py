"""Answer quality, measured through the same Answerer the bot uses.

Every question is asked with its own date as "today". Each run records, per question, whether
the answer string (case-insensitive) is in each of the first quotes, whether it is in the
marked sentence(s) of the first, and the evidence score. The archive is asked with abstention
switched off and the product's threshold applied afterwards: the quotes are the same either
way (Answerer abstains only by comparing that score), and one run then also gives the
abstention curve for any threshold.
"""

from __future__ import annotations

import logging
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from config import RetrievalSettings
from index import NewsArchive
from index.text import Article, sentence_spans
from retrieval.answer import Answerer, Quote
from retrieval.evaluation.datasets import EvalQuestion
from retrieval.evaluation.quotes import answers, normalised_url
from retrieval.reader import Reader
from retrieval.search import SearchMode

log = logging.getLogger(__name__)

DEPTHS = (1, 3, 5)
MODES = {
    "hybrid": SearchMode(),
    "lexical": SearchMode(dense=False),
    "dense": SearchMode(lexical=False),
}
THRESHOLD_GRID = tuple(round(0.01 * i, 2) for i in range(5, 71))


@dataclass(frozen=True)
class QuestionResult:
    id: str
    evidence: float  # the best quote's score; the bot abstains below the threshold
    hits: tuple[bool, ...]  # the answer string is in quote 1, 2, ... (as many as were given)
    marked_hit: bool  # the answer string is in the marked sentence(s) of quote 1
    seconds: float
    top_article: str = ""
    marked_offsets: tuple[tuple[int, int], ...] = ()  # marked spans of quote 1, article offsets
    marked_sentences: int = 0
    opening_hit: bool = False  # ... in the first bold sentence, which opens the quote
    quote_scores: tuple[float, ...] = ()  # every quote's score, bar off (evaluation/quotes.py)
    quote_relevant: tuple[bool, ...] = ()  # whether each quote answers (evaluation/quotes.py)


def contains(text: str, answer: str) -> bool:
    return answer.lower() in text.lower()


def ask_all(
    archive: NewsArchive,
    settings: RetrievalSettings,
    questions: Sequence[EvalQuestion],
    mode: SearchMode = SearchMode(),
    depth: int = max(DEPTHS),
    label: str = "",
    reader: Reader | None = None,
) -> list[QuestionResult]:
    """Ask every question; nothing is scored against a threshold yet (see module docstring)."""
    off = {"abstain_below": 0.0, "quote_below": 0.0}
    off.update({f"reader_{k}": v for k, v in off.items()})
    answerer = Answerer(archive, replace(settings, **off), reader)
    results = []
    for number, q in enumerate(questions, 1):
        started = time.perf_counter()
        answer = answerer.answer(q.question, as_of=q.as_of, quotes=depth, mode=mode)
        seconds = time.perf_counter() - started
        quotes = answer.quotes if answer.answered else ()
        every = (*quotes, *answer.more) if answer.answered else ()
        gold = frozenset(normalised_url(u) for u in q.gold_urls)
        first = quotes[0] if quotes else None
        offsets: tuple[tuple[int, int], ...] = ()
        if first is not None and q.answer_start is not None:
            start = archive.store.passages([first.passage_id])[first.passage_id].start
            offsets = tuple((start + s, start + e) for s, e in first.marked_spans)
        results.append(
            QuestionResult(
                id=q.id,
                evidence=answer.evidence if quotes else 0.0,
                hits=tuple(q.answer is not None and contains(x.text, q.answer) for x in quotes),
                marked_hit=bool(first and q.answer and contains(first.marked, q.answer)),
                opening_hit=bool(first and q.answer and contains(opening(first), q.answer)),
                seconds=seconds,
                top_article=first.article_id if first else "",
                marked_offsets=offsets,
                marked_sentences=sum(
                    len(sentence_spans(first.text[a:b])) for a, b in first.marked_spans
                )
                if first
                else 0,
                quote_scores=tuple(x.score for x in every),
                quote_relevant=tuple(
                    answers(archive.store.article(x.article_id), q.answer, gold) for x in every
                ),
            )
        )
        if number % 50 == 0:
            log.info("%s: %d/%d questions", label or "eval", number, len(questions))
    return results


def opening(quote: Quote) -> str:
    """The first sentence of the quote's marked span: the bold sentence the reply opens on."""
    if not quote.marked_spans:
        return ""
    start, end = quote.marked_spans[0]
    sentences = sentence_spans(quote.text[start:end])
    a, b = sentences[0] if sentences else (0, end - start)
    return quote.text[start + a : start + b]


def answered(result: QuestionResult, threshold: float) -> bool:
    return bool(result.hits) and result.evidence >= threshold


def right_at(result: QuestionResult, k: int, threshold: float, bar: float = 0.0) -> bool:
    """Right within the first k quotes the bot shows: quote 1, then those reaching `bar`."""
    return answered(result, threshold) and any(shown_hits(result, bar)[:k])


def shown_hits(result: QuestionResult, bar: float) -> tuple[bool, ...]:
    """`hits` of the quotes the bot shows with the later quotes held to `bar`."""
    if not bar or not result.quote_scores:
        return result.hits
    scores = result.quote_scores[: len(result.hits)]
    return tuple(
        h for i, (h, s) in enumerate(zip(result.hits, scores, strict=True)) if not i or s >= bar
    )


def _share(flags: Sequence[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def accuracy(
    results: Sequence[QuestionResult], threshold: float, bar: float = 0.0
) -> dict[str, float]:
    """Answer accuracy @k and marked accuracy @1 of the quotes (abstention off: what the
    baselines measure); the same as the bot answers (`bot_`: an abstention counts wrong); the
    share abstained; seconds per question."""
    seconds = [r.seconds for r in results]
    out = {f"at{k}": _share([any(r.hits[:k]) for r in results]) for k in DEPTHS}
    out["marked_at1"] = _share([r.marked_hit for r in results])
    out.update(
        {f"bot_at{k}": _share([right_at(r, k, threshold, bar) for r in results]) for k in DEPTHS}
    )
    out["bot_marked_at1"] = _share([answered(r, threshold) and r.marked_hit for r in results])
    out["abstained"] = _share([not answered(r, threshold) for r in results])
    out["marked_sentences_mean"] = (
        round(statistics.fmean([r.marked_sentences for r in results]), 3) if results else 0.0
    )
    out["seconds_mean"] = round(statistics.fmean(seconds), 4) if seconds else 0.0
    out["seconds_p95"] = round(_percentile(seconds, 0.95), 4)
    out["questions"] = len(results)
    return out


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def seeded_half(questions: Sequence[EvalQuestion], seed: int) -> set[str]:
    """Ids of the questions made unanswerable: a seeded random half."""
    ids = sorted(q.id for q in questions if q.answer)
    return set(random.Random(seed).sample(ids, len(ids) // 2))


def answer_articles(
    articles: Sequence[Article], questions: Sequence[EvalQuestion]
) -> dict[str, list[str]]:
    """For each question, the ids of the articles whose text holds its answer string."""
    texts = [(article.id, article.text.lower()) for article in articles]
    return {
        q.id: [article_id for article_id, text in texts if q.answer.lower() in text]
        for q in questions
        if q.answer
    }


def abstention(
    full: Sequence[QuestionResult],
    unanswerable: Sequence[QuestionResult],
    removed: set[str],
    threshold: float,
) -> dict[str, object]:
    """`unanswerable` holds the removed half asked without their answers' articles. Reports
    the share of them the bot abstains on, and of the other half's answers right @5 in the
    full run (abstention off), the share the bot still gives; also for other thresholds."""
    gone = [r for r in unanswerable if r.id in removed]
    right = [r for r in full if r.id not in removed and any(r.hits[:5])]

    def shares(t: float) -> dict[str, float]:
        return {
            "threshold": t,
            "unanswerable_abstained": _share([not answered(r, t) for r in gone]),
            "answers_kept": _share([answered(r, t) for r in right]),
        }

    return {
        **shares(threshold),
        "unanswerable": len(gone),
        "answerable_right_at5": len(right),
        "curve": [shares(t) for t in THRESHOLD_GRID],
    }


def xquad_marking(
    results: Sequence[QuestionResult], questions: Sequence[EvalQuestion], threshold: float
) -> dict[str, float]:
    """Marked accuracy @1 by position: quote 1 comes from the answer's paragraph and a marked
    sentence holds the start of the answer span."""
    by_id = {q.id: q for q in questions}
    right_paragraph, marked_right, marked_given_paragraph = [], [], []
    for r in results:
        q = by_id[r.id]
        paragraph = bool(r.top_article) and r.top_article == Article("", q.article_text or "").id
        holds = paragraph and any(s <= (q.answer_start or 0) < e for s, e in r.marked_offsets)
        right_paragraph.append(paragraph and answered(r, threshold))
        marked_right.append(holds and answered(r, threshold))
        if paragraph:
            marked_given_paragraph.append(holds)
    return {
        "marked_at1": _share(marked_right),
        "paragraph_at1": _share(right_paragraph),
        "marked_given_paragraph": _share(marked_given_paragraph),
        "marked_sentences_mean": round(
            statistics.fmean([r.marked_sentences for r in results]) if results else 0.0, 3
        ),
        "questions": len(results),
    }


def seed_check(
    results: Sequence[QuestionResult],
    questions: Sequence[EvalQuestion],
    threshold: float,
    bar: float = 0.0,
) -> dict[str, object]:
    """A seed question is right when a shown quote holds its answer (with no answer: when the
    bot abstains), as the seed tests have it; `first` and `marked` ask the same of quote 1
    and of its marked sentence(s)."""
    rows = []
    for q, r in zip(questions, results, strict=True):
        if q.answer is None:
            right = first = marked = opening_right = not answered(r, threshold)
        else:
            right = answered(r, threshold) and any(shown_hits(r, bar))
            first = right_at(r, 1, threshold)
            marked = first and r.marked_hit
            opening_right = first and r.opening_hit
        rows.append(
            {
                "question": q.question,
                "answer": q.answer,
                "right": right,
                "first": first,
                "marked": marked,
                "opening": opening_right,
                "evidence": round(r.evidence, 4),
            }
        )
    return {
        "right": sum(row["right"] for row in rows),
        "first": sum(row["first"] for row in rows),
        "marked": sum(row["marked"] for row in rows),
        "opening": sum(row["opening"] for row in rows),
        "questions": len(rows),
        "rows": rows,
    }
