"""Answer a question from the archive: hybrid search, mark the answering sentences, abstain
when the evidence is weak. The quote is always the exact stored passage text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from config import RetrievalSettings
from index import NewsArchive
from index.clock import utc_now
from index.storage import PassageRecord
from retrieval.answer_types import QuestionCues, question_cues
from retrieval.errors import QuestionError
from retrieval.marking_rule import term_weights
from retrieval.reader import Reader, load_reader
from retrieval.reading import Reading, read_choices, unread
from retrieval.search import Candidate, HybridSearcher, SearchMode, diversify
from retrieval.selection import (
    DEFAULT_MODEL,
    PassageSentences,
    SentenceChoice,
    answering_span,
    choose_sentence,
    rank_passages,
)
from retrieval.text_terms import content_terms

MAX_QUESTION_CHARS = 1000
# Quotes marked per answer beyond the ones shown, for the "More sources" button.
MORE_QUOTES = 3
# Candidates whose sentences are scored: chosen by cross-validation on news questions
# (benchmarks/README.md "Answer quality", pool).
POOL = 12
# An answer cannot show more quotes than it has candidates.
MAX_QUOTES = POOL


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

    @classmethod
    def of(cls, passage: PassageRecord, marked: tuple[tuple[int, int], ...], score: float) -> Quote:
        return cls(
            text=passage.text,
            marked_spans=marked,
            title=passage.title,
            source=passage.source,
            url=passage.url,
            published=passage.published,
            score=score,
            article_id=passage.article_id,
            passage_id=passage.id,
        )

    @property
    def marked(self) -> str:
        """The answering sentence (the best) first, then the other marked span if there is
        one, whatever their order in the passage."""
        return " ".join(self.text[s:e] for s, e in self.marked_spans[:2])

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
    # The trained reader (retrieval/reader), shared when given (it loads once); else the
    # committed one when `settings.reader` is on, loaded on the first question.
    reader: Reader | None = None
    searcher: HybridSearcher = field(init=False)
    _reader: Reader | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.searcher = HybridSearcher(self.archive.store, self.settings)
        if self.settings.reader:
            self._reader = self.reader or load_reader()

    def answer(
        self,
        question: str,
        as_of: datetime | None = None,
        quotes: int | None = None,
        mode: SearchMode = SearchMode(),
    ) -> Answer:
        question = validate_question(question)
        shown = quotes or self.settings.quotes
        as_of = as_of or utc_now()
        terms = content_terms(question)
        query_vector = self.archive.embedder.encode([question])[0]
        scope = self.searcher.lexical_scope(self.archive.vectors.count)
        candidates = self.searcher.search(
            self.archive.vectors, query_vector, terms, as_of, POOL, mode, scope
        )
        if not candidates:
            return Answer(question, False, (), related=self._related(candidates))
        weights = term_weights(
            terms, self.archive.store.document_frequencies(terms, scope.after_id), scope.passages
        )
        stored = self.archive.store.sentence_vectors([c.passage.id for c in candidates])
        passages = diversify(
            rank_passages(candidates, weights, stored, len(query_vector)),
            lambda p: (p.candidate.passage.article_id, p.candidate.passage.text),
            self.settings.max_per_article,
            len(candidates),
        )
        cues = question_cues(question)
        if self._reader is None:
            # Only the passages shown get their sentences scored: the ranking needs words alone.
            passages = passages[: shown + MORE_QUOTES]
            choices = [choose_sentence(p, query_vector, cues, DEFAULT_MODEL) for p in passages]
        else:
            choices = self._read(question, query_vector, cues, passages, shown + MORE_QUOTES)
        abstain_below, quote_below = bars(self.settings)
        evidence = choices[0].score if choices else 0.0
        if evidence < abstain_below:
            return Answer(question, False, (), related=self._related(candidates), evidence=evidence)
        # Quote 1 passed the abstention bar; each later quote must pass its own.
        kept = choices[:1] + [c for c in choices[1:] if c.score >= quote_below]
        ranked = [Quote.of(c.candidate.passage, answering_span(c), c.score) for c in kept]
        return Answer(
            question, True, tuple(ranked[:shown]), tuple(ranked[shown:]), evidence=evidence
        )

    def _read(
        self,
        question: str,
        query_vector: np.ndarray,
        cues: QuestionCues,
        passages: list[PassageSentences],
        limit: int,
    ) -> list[SentenceChoice]:
        """The best `reader_candidates` passages by the rule read with the question (off the
        event loop, as every answer is), re-ranked and marked as the settings say; those
        past them follow in the rule's order."""
        assert self._reader is not None
        reading = Reading.of(self.settings)
        head = [
            choose_sentence(p, query_vector, cues, DEFAULT_MODEL)
            for p in passages[: reading.candidates]
        ]
        read, lowest = read_choices(self._reader, question, head, reading)
        rest = [
            unread(choose_sentence(p, query_vector, cues, DEFAULT_MODEL), lowest, reading)
            for p in passages[reading.candidates : reading.candidates + max(limit - len(read), 0)]
        ]
        return [*read, *rest][:limit]

    def _related(self, candidates: list[Candidate]) -> tuple[str, ...]:
        titles = dict.fromkeys(c.passage.title for c in candidates if c.passage.title)
        return tuple(list(titles)[:3])


def bars(settings: RetrievalSettings) -> tuple[float, float]:
    """(abstain below, later quotes below) on the scale of the scores that rank the quotes:
    the reader's when it re-ranks them, else the rule's."""
    if settings.reader and settings.reader_rerank:
        return settings.reader_abstain_below, settings.reader_quote_below
    return settings.abstain_below, settings.quote_below


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
