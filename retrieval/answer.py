"""Answer a question from the archive: hybrid search, mark the answering sentences, abstain
when the evidence is weak. The quote is always the exact stored passage text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from config import RetrievalSettings
from index.archive import NewsArchive
from retrieval.errors import QuestionError
from retrieval.marking import mark, sentence_units, term_weights
from retrieval.search import Candidate, HybridSearcher, SearchMode, diversify
from retrieval.text_terms import content_terms

MAX_QUESTION_CHARS = 1000
# Quotes marked per answer beyond the ones shown, for the "More sources" button.
MORE_QUOTES = 3
# Candidates whose sentences are scored before the best are chosen; more finds better quotes
# but each costs a sentence-embedding pass.
MARKED_POOL = 12
# A quote's score blends the passage's similarity to the question with its best sentence's.
DENSE_SHARE = 0.4


@dataclass(frozen=True)
class Quote:
    text: str  # the passage exactly as stored
    marked_spans: tuple[tuple[int, int], ...]  # offsets into text of the answering sentence(s)
    title: str
    source: str
    url: str | None
    published: str | None
    score: float
    article_id: str
    passage_id: int

    @property
    def marked(self) -> str:
        return " ".join(self.text[s:e] for s, e in self.marked_spans)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "marked": self.marked,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": self.published,
            "score": round(self.score, 4),
            "article_id": self.article_id,
            "passage_id": self.passage_id,
        }


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    quotes: tuple[Quote, ...]
    more: tuple[Quote, ...] = ()  # further quotes, shown on request
    related: tuple[str, ...] = ()  # closest headlines when abstaining
    evidence: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The stable machine-readable form (see README "ask --json")."""
        return {
            "question": self.question,
            "answered": self.answered,
            "quotes": [q.to_json() for q in self.quotes],
        }


@dataclass
class Answerer:
    """Answers questions over a NewsArchive with the retrieval settings given."""

    archive: NewsArchive
    settings: RetrievalSettings
    searcher: HybridSearcher = field(init=False)

    def __post_init__(self) -> None:
        self.searcher = HybridSearcher(self.archive.store, self.settings)

    def answer(
        self,
        question: str,
        as_of: datetime | None = None,
        quotes: int | None = None,
        mode: SearchMode = SearchMode(),
    ) -> Answer:
        question = validate_question(question)
        shown = quotes or self.settings.quotes
        as_of = as_of or datetime.now(UTC)
        terms = content_terms(question)
        query_vector = self.archive.embedder.encode([question])[0]
        candidates = self.searcher.search(
            self.archive.vectors, query_vector, terms, as_of, MARKED_POOL, mode
        )
        if not candidates:
            return Answer(question, False, (), related=self._related(candidates))
        marked = diversify(
            self._mark(question, query_vector, terms, candidates),
            lambda q: (q.article_id, q.text),
            self.settings.max_per_article,
            shown + MORE_QUOTES,
        )
        evidence = max(q.score for q in marked)
        if evidence < self.settings.abstain_below:
            return Answer(question, False, (), related=self._related(candidates), evidence=evidence)
        return Answer(
            question, True, tuple(marked[:shown]), tuple(marked[shown:]), evidence=evidence
        )

    def _mark(
        self, question: str, query_vector: np.ndarray, terms: list[str], candidates: list[Candidate]
    ) -> list[Quote]:
        store = self.archive.store
        total = max(store.passage_summary()[0], 1)
        weights = term_weights(terms, store.document_frequencies(terms), total)
        units = [sentence_units(c.passage.text) for c in candidates]
        sentences = [
            c.passage.text[s:e]
            for c, spans in zip(candidates, units, strict=True)
            for s, e in spans
        ]
        cosines = self.archive.embedder.encode(sentences) @ query_vector
        quotes, offset = [], 0
        for candidate, spans in zip(candidates, units, strict=True):
            marking = mark(
                candidate.passage.text, spans, cosines[offset : offset + len(spans)], weights
            )
            offset += len(spans)
            p = candidate.passage
            quotes.append(
                Quote(
                    text=p.text,
                    marked_spans=tuple((m.start, m.end) for m in marking.spans),
                    title=p.title,
                    source=p.source,
                    url=p.url,
                    published=p.published,
                    score=DENSE_SHARE * max(candidate.dense, 0.0)
                    + (1 - DENSE_SHARE) * marking.score,
                    article_id=p.article_id,
                    passage_id=p.id,
                )
            )
        quotes.sort(key=lambda q: q.score, reverse=True)
        return quotes

    def _related(self, candidates: list[Candidate]) -> tuple[str, ...]:
        titles = dict.fromkeys(c.passage.title for c in candidates if c.passage.title)
        return tuple(list(titles)[:3])


def validate_question(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise QuestionError("Please ask a question: the text is empty.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"That question is {len(question):,} characters long; please keep it under "
            f"{MAX_QUESTION_CHARS:,}."
        )
    return question
