"""Draining the alert outbox: one message (or a few) per alert; digests are in bot/workers/digests.py.

Every row is claimed first (`DeliveryOutbox.claim_due`, a lease), so two senders, in one
process or two, or the digest job and the sender, never hold the same row. An alert's pieces
are rendered once and stored with the row; after Telegram accepts piece k, pieces_sent = k is
committed before piece k+1 is sent, so a retry sends only the pieces that have not arrived.

Telegram's answers decide what happens next: all pieces accepted -> sent; 429 -> the rest
waits `retry_after` (not counted as an attempt; the sender pauses, as the limit is per bot);
network error or 5xx -> the rest is retried with capped exponential backoff for
alerts.retry_for_hours after the alert was matched; 403 (blocked, kicked) or "chat not
found" -> the chat is paused; "group upgraded to a supergroup" (400 with migrate_to_chat_id)
-> the chat's subscriptions, votes and alerts move to the new id and the alert goes there; any other 400 -> failed, or partial when earlier pieces had
arrived (sending the same piece again cannot succeed). Exactly once means: each piece is
sent at most once, except that a piece Telegram accepted whose acceptance was not recorded
(a crash while its request, its answer or its commit was under way, or a connection lost
before the answer) is sent again, one piece per such event; nothing is lost across restarts
or kill -9 (index/state/outbox.py). The sender paces itself (alerts.send_interval_seconds) so a burst of alerts never
crowds out the answers users are waiting for.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import secrets
import socket
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot.replies import send_pieces
from bot.services import BotServices, services, services_of
from bot.views import alert_vote_keyboard, render_alert_html
from bot.workers.send_manner import SendManner, send_manner
from index.clock import utc_now
from index.state import Delivery, RetryPolicy, Subscription, Subscriptions

log = logging.getLogger(__name__)

RETRY_JOB = "outbox_retry"
WORKER_KEY = "newsbot.outbox_worker"


class Outcome(enum.Enum):
    SENT = "sent"
    FLOOD = "flood"  # 429: wait retry_after
    UNREACHABLE = "unreachable"  # 403 or chat gone: pause the chat
    RETRY = "retry"  # network trouble: back off and try again
    REFUSED = "refused"  # Telegram refused this piece for good
    LOST = "lost"  # the claim is gone (unsubscribed, paused, lease over): stop here
    MIGRATED = "migrated"  # the group became a supergroup: move the chat, send there


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    error: str = ""
    retry_after: float = 0.0
    new_chat_id: int | None = None  # MIGRATED: the supergroup's id


class ClaimLost(Exception):
    """The row is no longer ours to send: send no further piece."""


async def send_alert_pieces(
    bot: Bot,
    chat_id: int,
    thread_id: int | None,
    pieces: Sequence[str],
    on_accepted: Callable[[int], Awaitable[None]] | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
    manner: SendManner = SendManner(),
) -> SendResult:
    """Send without the rate limiter's own retries: the outbox decides what a failure means."""
    try:
        await send_pieces(
            bot,
            chat_id,
            pieces,
            thread_id=thread_id,
            retries=0,
            on_accepted=on_accepted,
            reply_markup=reply_markup,
            silent=manner.silent,
            previews=manner.previews,
        )
    except ClaimLost:
        return SendResult(Outcome.LOST)
    except RetryAfter as error:
        return SendResult(Outcome.FLOOD, str(error), _seconds(error))
    except ChatMigrated as error:  # not a network error: retrying the old id cannot work
        return SendResult(Outcome.MIGRATED, str(error), new_chat_id=error.new_chat_id)
    except Forbidden as error:
        return SendResult(Outcome.UNREACHABLE, str(error))
    except BadRequest as error:  # a subclass of NetworkError: must come first
        if "chat not found" in str(error).lower():
            return SendResult(Outcome.UNREACHABLE, str(error))
        return SendResult(Outcome.REFUSED, str(error))
    except TelegramError as error:  # NetworkError, TimedOut, 5xx and the like
        return SendResult(Outcome.RETRY, f"{type(error).__name__}: {error}")
    return SendResult(Outcome.SENT)


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns while moving retry_after to timedelta
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def outbox_worker(application: Application) -> str:
    """This process's name on the rows it claims (host, pid and a random part)."""
    return application.bot_data.setdefault(
        WORKER_KEY, f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    )


def request_send(application: Application) -> None:
    """Ask for an outbox drain as soon as possible (coalesced with one already running)."""
    services_of(application).send_requested = True
    application.job_queue.run_once(send_outbox, when=0, name="outbox_now")


async def send_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: send the alerts that are due, one message each, then plan the next attempt."""
    svc = services(context)
    svc.send_requested = True
    if svc.send_lock.locked():
        return  # the running drain goes round again because of send_requested
    async with svc.send_lock:
        while svc.send_requested:
            svc.send_requested = False
            await drain_outbox(context.bot, svc, outbox_worker(context.application))
    await _schedule_retry(context.application, svc)


async def drain_outbox(bot: Bot, svc: BotServices, worker: str) -> None:
    """Claim and send due alerts one at a time until none is due or flood control stops it;
    any number of workers may drain the same outbox at once."""
    alerts = svc.settings.alerts
    while not flooded(svc):
        # One row at a time: the lease then only has to cover one alert's pieces.
        claimed = await asyncio.to_thread(
            svc.outbox.claim_due, worker, 1, alerts.claim_lease_seconds
        )
        if not claimed:
            return
        try:
            outcome = await _deliver(bot, svc, worker, claimed[0])
        finally:
            await asyncio.to_thread(svc.outbox.release, [claimed[0].id], worker)
        if outcome is Outcome.FLOOD:
            return
        if alerts.send_interval_seconds:
            await asyncio.sleep(alerts.send_interval_seconds)


async def _deliver(bot: Bot, svc: BotServices, worker: str, delivery: Delivery) -> Outcome:
    pieces = delivery.body
    if pieces is None:
        try:
            quote, topic = await asyncio.to_thread(quote_of, svc, delivery)
            if quote is None:
                await asyncio.to_thread(
                    svc.outbox.mark_failed, [delivery.id], worker, "article no longer stored"
                )
                return Outcome.REFUSED
            context_chars = svc.settings.retrieval.quote_context_chars
            pieces = tuple(render_alert_html(quote, topic, context_chars))
        except Exception as error:
            await not_prepared(svc, worker, [delivery], error)
            return Outcome.RETRY
        if not await asyncio.to_thread(svc.outbox.store_body, [delivery.id], worker, pieces):
            return Outcome.LOST
    # 👍/👎 under the alert teach its subscription (bot/handlers/alert_votes.py).
    markup = alert_vote_keyboard(delivery.id)
    outcome = await send_claimed(bot, svc, worker, [delivery], pieces, markup)
    if outcome is Outcome.SENT:
        log.info("alert %s sent to chat %s", delivery.id, delivery.chat_id)
    return outcome


async def send_claimed(
    bot: Bot,
    svc: BotServices,
    worker: str,
    deliveries: list[Delivery],
    pieces: Sequence[str],
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Outcome:
    """Send the pieces of these claimed rows that have not arrived yet (the last one with
    `reply_markup`), committing progress after each piece Telegram accepts, then record what
    Telegram's answer means."""
    ids = [d.id for d in deliveries]
    done = min(d.pieces_sent for d in deliveries)
    lease = svc.settings.alerts.claim_lease_seconds

    async def accepted(count: int) -> None:
        recorded = await asyncio.to_thread(
            svc.outbox.record_pieces, ids, worker, done + count, len(pieces), lease
        )
        if not recorded:
            raise ClaimLost

    if done >= len(pieces):  # not left by this sender (the last record marks the row sent)
        await accepted(0)
        return Outcome.SENT
    # Renew the lease before the first piece: rendering may have outlasted the claim's lease,
    # and another worker may take a row whose lease ran out and send it too. Renewed, the
    # row is ours for a whole lease (or it is another's, and we send nothing).
    if not await asyncio.to_thread(svc.outbox.record_pieces, ids, worker, done, len(pieces), lease):
        return Outcome.LOST
    chat_id, thread_id = deliveries[0].chat_id, deliveries[0].thread_id
    preferences = await asyncio.to_thread(svc.chat_settings.get, chat_id)
    manner = send_manner(preferences, utc_now())
    result = await send_alert_pieces(
        bot, chat_id, thread_id, pieces[done:], accepted, reply_markup, manner
    )
    await asyncio.to_thread(record_outcome, svc, worker, ids, chat_id, result)
    return result.outcome


async def not_prepared(
    svc: BotServices, worker: str, deliveries: Sequence[Delivery], error: Exception
) -> None:
    """These rows could not be prepared (read, quoted or rendered): an attempt counted and
    backed off like a network error (given up once the retry window is over), so the rows
    behind them go out meanwhile instead of waiting behind them for ever."""
    log.error("could not prepare alerts %s", [d.id for d in deliveries], exc_info=error)
    ids = [d.id for d in deliveries]
    failure = preparation_failed(error)
    await asyncio.to_thread(record_outcome, svc, worker, ids, deliveries[0].chat_id, failure)


def preparation_failed(error: Exception) -> SendResult:
    """What an alert that could not be prepared counts as: a failed attempt, retried."""
    return SendResult(Outcome.RETRY, f"could not prepare: {type(error).__name__}: {error}")


def record_outcome(
    svc: BotServices, worker: str, ids: list[int], chat_id: int, result: SendResult
) -> None:
    """Write what Telegram's refusal means for these rows. Blocking."""
    alerts = svc.settings.alerts
    if result.outcome is Outcome.FLOOD:
        until = utc_now() + timedelta(seconds=result.retry_after)
        svc.flood_until = until
        svc.outbox.defer(ids, worker, until, result.error)
        log.warning("flood control: alerts wait %.0f s (%s)", result.retry_after, result.error)
    elif result.outcome is Outcome.UNREACHABLE:
        svc.subscriptions.pause_chat(chat_id)
        log.warning("chat %s cannot be reached (%s): its alerts are paused", chat_id, result.error)
    elif result.outcome is Outcome.RETRY:
        policy = RetryPolicy(
            alerts.retry_seconds, alerts.retry_max_seconds, timedelta(hours=alerts.retry_for_hours)
        )
        given_up = svc.outbox.retry_later(ids, worker, result.error, policy)
        if given_up:
            log.error("alerts %s to chat %s given up: %s", given_up, chat_id, result.error)
        else:
            log.warning("alert to chat %s will be retried: %s", chat_id, result.error)
    elif result.outcome is Outcome.REFUSED:
        svc.outbox.refuse(ids, worker, result.error)
        log.error("alert to chat %s refused by Telegram: %s", chat_id, result.error)
    elif result.outcome is Outcome.MIGRATED and result.new_chat_id is not None:
        # Not an attempt: the rows (still claimed) move with the chat and go out to the new
        # id as soon as they are claimed again, with every other alert of the chat.
        moved = svc.subscriptions.move_chat(chat_id, result.new_chat_id)
        log.warning(
            "chat %s became %s (a supergroup): %d subscriptions and its alerts moved there",
            chat_id,
            result.new_chat_id,
            moved,
        )
    elif result.outcome is Outcome.LOST:
        log.info("alerts %s to chat %s withdrawn while being sent", ids, chat_id)


def flooded(svc: BotServices) -> bool:
    """Telegram asked this bot to wait (429), and the wait is not over."""
    return svc.flood_until is not None and utc_now() < svc.flood_until


async def _schedule_retry(application: Application, svc: BotServices) -> None:
    """Wake the sender when the next delivery is due, rather than at the next sweep."""
    due = await asyncio.to_thread(svc.outbox.next_due_at)
    if due is None:
        return
    if svc.flood_until is not None:
        due = max(due, svc.flood_until)
    for job in application.job_queue.get_jobs_by_name(RETRY_JOB):
        job.schedule_removal()
    delay = max((due - utc_now()).total_seconds(), 0.05)
    application.job_queue.run_once(send_outbox, when=delay, name=RETRY_JOB)


def alert_subscription(subscriptions: Subscriptions, delivery: Delivery) -> Subscription | None:
    """The subscription an alert is sent for, whose topic it is labelled with: only one of
    the delivery's own chat (never another chat's), None when it is gone. Blocking."""
    if not delivery.subscription_id:
        return None
    return subscriptions.get(delivery.subscription_id, delivery.chat_id)


def quote_of(svc: BotServices, delivery: Delivery):
    """(the quote to send, its topic) of a delivery; the quote is None when the article is
    gone. Blocking."""
    subscription = alert_subscription(svc.subscriptions, delivery)
    topic = subscription.topic if subscription else "A topic you follow"
    query = subscription.query if subscription else topic
    quote = (
        svc.matcher.quote(delivery.passage_id, query) if delivery.passage_id is not None else None
    )
    return quote, topic
