"""What a question asks for: an answer quoted from the archive, the newest stories (on a
topic or not), or the main stories of a time ("what happened yesterday"). The bot's plain
messages and inline queries go through `QuestionRouter.route`.

- a time phrase and nothing else ("what happened on 1 June 2024?", "yesterday's news"):
  that window's digest, never "no news";
- "latest" without a time ("what's the latest?", "latest on Ukraine"): the newest stories,
  on the subject when there is one, ranked by meaning and recency;
- a time phrase and a subject ("what did Biden say last Monday?"): the answer from that
  window's stories only;
- anything else: the answer, as `newsbot ask` gives it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from config import Settings
from retrieval.answer import Answer, Answerer, validate_question
from retrieval.stories import Story, StoryFinder
from retrieval.time_phrases import TimeQuestion, read_time
from retrieval.windowed import answer_within


class Kind(enum.Enum):
    ANSWER = "answer"
    LATEST = "latest"
    DIGEST = "digest"


@dataclass(frozen=True)
class Routed:
    kind: Kind
    question: str
    now: datetime  # the archive's now the question was read against
    answer: Answer | None = None
    stories: list[Story] = field(default_factory=list)
    topic: str = ""  # LATEST: the subject, "" for all news
    start: datetime | None = None  # DIGEST (and a windowed ANSWER): the window
    end: datetime | None = None


@dataclass
class QuestionRouter:
    answerer: Answerer
    stories: StoryFinder
    settings: Settings

    def route(
        self, question: str, as_of: datetime | None = None, count: int = 0, latest: bool = True
    ) -> Routed:
        """The reply's kind and content; `count` stories for listings (the settings' page
        or digest size when 0); without `latest`, a LATEST reply comes without its stories
        (a caller that pages through them lists them itself). Raises QuestionError for an
        empty or over-long question."""
        question = validate_question(question)
        now = self.stories.now(as_of)
        asked = read_time(question, now)
        subject = " ".join(asked.subject)
        listed = self.settings.stories
        if asked.has_window and not subject:
            return self.digest(asked, now, count or listed.digest_stories, question)
        if asked.latest and not asked.has_window:
            found = (
                self.stories.latest(subject or None, now, count or listed.per_page)
                if latest
                else []
            )
            return Routed(Kind.LATEST, question, now, stories=found, topic=subject)
        if asked.has_window:
            assert asked.start is not None and asked.end is not None
            answer = answer_within(
                self.stories.archive,
                self.settings.retrieval,
                asked.text,
                asked.start,
                min(asked.end, now + timedelta(seconds=1)),
                listed.digest_articles,
            )
            return Routed(Kind.ANSWER, question, now, answer, start=asked.start, end=asked.end)
        return Routed(Kind.ANSWER, question, now, self.answerer.answer(question, as_of=as_of))

    def digest(self, asked: TimeQuestion, now: datetime, count: int, question: str) -> Routed:
        assert asked.start is not None and asked.end is not None
        found = self.stories.digest(asked.start, min(asked.end, now), count)
        return Routed(Kind.DIGEST, question, now, stories=found, start=asked.start, end=asked.end)
