"""Answer a question from the archive: hybrid search, mark the answering sentences, abstain
when the evidence is weak. The quote is always the exact stored passage text."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from config import RetrievalSettings
from index import NewsArchive
from index.clock import utc_now
from index.storage import PassageRecord
from retrieval.errors import QuestionError
from retrieval.marking import Marking, mark, sentence_units, term_weights
from retrieval.search import Candidate, HybridSearcher, SearchMode, diversify
from retrieval.text_terms import content_terms

MAX_QUESTION_CHARS = 1000
# Quotes marked per answer beyond the ones shown, for the "More sources" button.
MORE_QUOTES = 3
# Candidates ranked as quotes: a larger pool ranked worse on RealTimeQA dev
# (benchmarks/README.md "Answer quality", MARKED_POOL).
MARKED_POOL = 12
# A quote's score blends the passage's similarity to the question with its best sentence's
# (by the question's words), then is weighted by the article's recency (so the evidence is
# "recent, matching news"); leaning to the passage ranked and abstained better. Ranking by
# words alone, and embedding sentences only for the quotes shown, is as accurate as
# embedding every candidate's sentences and embeds a fraction of the sentences, the answer's
# largest cost (benchmarks/README.md "Answer quality", DENSE_SHARE and the words-only rows).
DENSE_SHARE = 0.6


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
    def of(cls, passage: PassageRecord, marking: Marking, score: float) -> Quote:
        return cls(
            text=passage.text,
            marked_spans=tuple((m.start, m.end) for m in marking.spans),
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
            self.archive.vectors, query_vector, terms, as_of, MARKED_POOL, mode, scope
        )
        if not candidates:
            return Answer(question, False, (), related=self._related(candidates))
        weights = term_weights(
            terms, self.archive.store.document_frequencies(terms, scope.after_id), scope.passages
        )
        ranked = diversify(
            self._rank(candidates, weights),
            lambda q: (q.article_id, q.text),
            self.settings.max_per_article,
            shown + MORE_QUOTES,
        )
        evidence = max(q.score for q in ranked)
        closely = min(shown, self.settings.embedded_marking_quotes)
        if evidence < self.settings.abstain_below:
            return Answer(question, False, (), related=self._related(candidates), evidence=evidence)
        return Answer(
            question,
            True,
            self._mark_closely(query_vector, ranked[:closely], weights)
            + tuple(ranked[closely:shown]),
            tuple(ranked[shown:]),
            evidence=evidence,
        )

    def _rank(self, candidates: list[Candidate], weights: dict[str, float]) -> list[Quote]:
        """Candidates as quotes, best first, each marked by the question's words alone."""
        quotes = []
        for candidate in candidates:
            p = candidate.passage
            marking = mark(p.text, sentence_units(p.text), weights)
            relevance = DENSE_SHARE * max(candidate.dense, 0.0) + (1 - DENSE_SHARE) * marking.score
            quotes.append(Quote.of(p, marking, candidate.recency * relevance))
        quotes.sort(key=lambda q: q.score, reverse=True)
        return quotes

    def _mark_closely(
        self, query_vector: np.ndarray, quotes: list[Quote], weights: dict[str, float]
    ) -> tuple[Quote, ...]:
        """The shown quotes marked again with each sentence's similarity to the question too,
        which finds the answering sentence more often when it paraphrases the question."""
        if not quotes:
            return ()
        units = [sentence_units(q.text) for q in quotes]
        sentences = [q.text[s:e] for q, spans in zip(quotes, units, strict=True) for s, e in spans]
        cosines = self.archive.embedder.encode(sentences) @ query_vector
        marked, offset = [], 0
        for quote, spans in zip(quotes, units, strict=True):
            marking = mark(quote.text, spans, weights, cosines[offset : offset + len(spans)])
            offset += len(spans)
            spans_marked = tuple((m.start, m.end) for m in marking.spans)
            marked.append(replace(quote, marked_spans=spans_marked))
        return tuple(marked)

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
