"""Answer a question from the archive: hybrid search, mark the answering sentences, abstain
when the evidence is weak. The quote is always the exact stored passage text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config import RetrievalSettings
from index import NewsArchive
from index.clock import utc_now
from index.storage import PassageRecord
from retrieval.answer_types import question_cues
from retrieval.errors import QuestionError
from retrieval.marking import term_weights
from retrieval.search import Candidate, HybridSearcher, SearchMode, diversify
from retrieval.selection import DEFAULT_MODEL, answering_span, choose_sentence, rank_passages
from retrieval.text_terms import content_terms

MAX_QUESTION_CHARS = 1000
# Quotes marked per answer beyond the ones shown, for the "More sources" button.
MORE_QUOTES = 3
# Candidates whose sentences are scored: chosen by cross-validation on news questions
# (benchmarks/README.md "Answer quality", pool).
POOL = 12


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
            shown + MORE_QUOTES,
        )
        evidence = passages[0].score if passages else 0.0
        if evidence < self.settings.abstain_below:
            return Answer(question, False, (), related=self._related(candidates), evidence=evidence)
        # Only the passages shown get their sentences scored: the ranking needs words alone.
        cues = question_cues(question)
        ranked = [
            Quote.of(c.candidate.passage, answering_span(c), c.score)
            for c in (choose_sentence(p, query_vector, cues, DEFAULT_MODEL) for p in passages)
        ]
        # Quote 1 passed the abstention bar; each later quote must pass its own.
        ranked = ranked[:1] + [q for q in ranked[1:] if q.score >= self.settings.quote_below]
        return Answer(
            question, True, tuple(ranked[:shown]), tuple(ranked[shown:]), evidence=evidence
        )

    def _related(self, candidates: list[Candidate]) -> tuple[str, ...]:
        titles = dict.fromkeys(c.passage.title for c in candidates if c.passage.title)
        return tuple(list(titles)[:3])


def bars(settings: RetrievalSettings) -> tuple[float, float]:
    """(abstain below, later quotes below) on the scale of the scores that rank the quotes."""
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
