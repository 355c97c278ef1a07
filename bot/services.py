"""What the handlers and jobs work with: the archive and the stores around it, opened once in
`post_init` and kept in `application.bot_data` (no globals)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from telegram.ext import Application, CallbackContext

from bot.answer_memory import RecentAnswers
from bot.chat_rights import ChatAdmins
from bot.conversations import Conversations
from bot.inline_cache import InlineCache
from bot.listing_memory import RecentListings
from bot.question_limits import QuestionLimiter
from bot.token_memory import TokenMemory
from bot.views import Command
from config import Settings
from index import Ingestor, NewsArchive
from index.embedding import Embedder
from index.sources import Fetcher
from index.state import (
    AlertVotes,
    ChatPreferenceStore,
    Feedback,
    Feeds,
    JobLocks,
    Outbox,
    Subscriptions,
)
from retrieval import Answerer, QuestionRouter, StoryFinder
from retrieval.alerts import AlertMatcher, RecentStories, VotedTopics

log = logging.getLogger(__name__)

SERVICES_KEY = "newsbot.services"
COMMANDS_KEY = "newsbot.commands"  # the command table (bot/commands.py), for /help


@dataclass
class BotServices:
    settings: Settings
    archive: NewsArchive
    answerer: Answerer
    ingestor: Ingestor
    feeds: Feeds
    subscriptions: Subscriptions
    outbox: Outbox
    feedback: Feedback
    alert_votes: AlertVotes
    jobs: JobLocks  # which jobs this worker runs, when several share one database
    chat_settings: ChatPreferenceStore  # previews, quiet, time zone, digest schedule
    matcher: AlertMatcher
    recent_stories: RecentStories  # what /subscribe previews a topic on
    fetcher: Fetcher
    questions: QuestionLimiter
    chat_admins: ChatAdmins  # who may change a chat's alerts (getChatMember, kept briefly)
    buttons: QuestionLimiter  # button presses, per user across every chat
    stories: StoryFinder  # /latest, /today
    router: QuestionRouter  # a plain question: an answer, a listing or a day's digest
    conversations: Conversations  # the last questions, for follow-ups
    inline_cache: InlineCache
    answers: RecentAnswers = field(default_factory=RecentAnswers)
    listings: RecentListings = field(default_factory=RecentListings)
    examples: TokenMemory[str] = field(default_factory=TokenMemory)  # example-question buttons
    # One feed poll and one outbox drain at a time; a second request while one runs only
    # asks the running one to go round again.
    poll_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    poll_requested: bool = False
    send_requested: bool = False
    flood_until: datetime | None = None  # Telegram asked us to wait (429) until then
    reindexing: bool = False

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> BotServices:
        """Open the archive, make FAISS agree with SQLite and load the model. Blocking."""
        archive = NewsArchive(settings, embedder=embedder)
        changed = archive.reconcile()
        if changed:
            log.info("vector index brought in line with the database (%d passages)", changed)
        archive.embedder.encode(["warm up"])  # load the weights now, not on the first question
        state = archive.open_state()
        matcher = AlertMatcher(
            archive,
            state.subscriptions,
            state.outbox,
            settings.alerts,
            paused_topics=state.chat_settings.paused,
        )
        # Readers' votes on alerts move their subscription's topic from the next round on.
        matcher.adjust_topics = VotedTopics(
            archive, state.alert_votes, settings.alerts, matcher.profiles
        )
        answerer = Answerer(archive, settings.retrieval)
        stories = StoryFinder(archive, settings.retrieval, settings.stories)
        talk = settings.conversation
        return cls(
            settings=settings,
            archive=archive,
            answerer=answerer,
            ingestor=Ingestor(archive),
            feeds=state.feeds,
            subscriptions=state.subscriptions,
            outbox=state.outbox,
            feedback=state.feedback,
            alert_votes=state.alert_votes,
            jobs=state.jobs,
            chat_settings=state.chat_settings,
            matcher=matcher,
            recent_stories=RecentStories(matcher, settings.alerts),
            fetcher=Fetcher(settings.fetch),
            questions=QuestionLimiter(
                settings.telegram.questions_per_minute, settings.telegram.question_burst
            ),
            chat_admins=ChatAdmins(settings.telegram.admin_rights_seconds),
            buttons=QuestionLimiter(
                settings.telegram.buttons_per_minute, settings.telegram.button_burst
            ),
            stories=stories,
            router=QuestionRouter(answerer, stories, settings),
            conversations=Conversations(talk.follow_up_minutes * 60),
            inline_cache=InlineCache(talk.inline_cache_seconds, talk.inline_cache_entries),
        )

    async def aclose(self) -> None:
        await self.fetcher.aclose()


@asynccontextmanager
async def only_one_worker(svc: BotServices, job: str) -> AsyncIterator[bool]:
    """True inside when this worker runs `job` now; False when another worker (or another
    run in this one) already does, and this run should skip it."""
    taken = await asyncio.to_thread(svc.jobs.take, job)
    try:
        yield taken
    finally:
        if taken:
            await asyncio.to_thread(svc.jobs.give_back, job)


def services(context: CallbackContext) -> BotServices:
    return context.application.bot_data[SERVICES_KEY]


def services_of(application: Application) -> BotServices:
    return application.bot_data[SERVICES_KEY]


def command_table(context: CallbackContext) -> Sequence[Command]:
    """The commands bot/commands.py registered, as /start and /help list them."""
    return context.application.bot_data[COMMANDS_KEY]
