"""The read side: a question in, quoted and sourced passages out (hybrid search, marking,
abstention). Topic alerts live in retrieval.alerts, the evaluation harness in
retrieval.evaluation; rendering is the bot's (bot.views)."""

from retrieval.answer import (
    MAX_QUESTION_CHARS,
    MAX_QUOTES,
    Answer,
    Answerer,
    Quote,
    validate_question,
)
from retrieval.dates import DayError, end_of_day
from retrieval.errors import QuestionError
from retrieval.marking import Marking
from retrieval.search import HybridSearcher, SearchMode
from retrieval.text_terms import content_terms

__all__ = [
    "MAX_QUESTION_CHARS",
    "MAX_QUOTES",
    "Answer",
    "Answerer",
    "DayError",
    "HybridSearcher",
    "Marking",
    "QuestionError",
    "Quote",
    "SearchMode",
    "content_terms",
    "end_of_day",
    "validate_question",
]
