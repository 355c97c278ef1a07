"""The read side: a question in, quoted and sourced passages out (hybrid search, marking,
abstention), or the newest stories and a day's main ones (stories, routing, time_phrases). Topic alerts live in retrieval.alerts, the evaluation harness in
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
from retrieval.follow_ups import FollowUp, carry_over
from retrieval.marking_rule import Marking
from retrieval.routing import Kind, QuestionRouter, Routed
from retrieval.search import HybridSearcher, SearchMode
from retrieval.stories import Story, StoryFinder
from retrieval.text_terms import content_terms
from retrieval.time_phrases import TimeQuestion, read_time
from retrieval.windowed import answer_within

__all__ = [
    "MAX_QUESTION_CHARS",
    "MAX_QUOTES",
    "Answer",
    "Answerer",
    "DayError",
    "FollowUp",
    "HybridSearcher",
    "Kind",
    "Marking",
    "QuestionError",
    "QuestionRouter",
    "Quote",
    "Routed",
    "SearchMode",
    "Story",
    "StoryFinder",
    "TimeQuestion",
    "answer_within",
    "carry_over",
    "content_terms",
    "end_of_day",
    "read_time",
    "validate_question",
]
