"""Draining the alert outbox: one message per alert, or one digest per chat at an interval.

Telegram's answers decide what happens to a delivery: accepted -> sent; 429 -> tried again
after `retry_after` (and the sender pauses, as the limit is per bot); network error or 5xx
-> retried with exponential backoff; 403 (blocked, kicked) or "chat not found" -> the chat
is paused; any other 400 -> failed, since sending the same message again cannot succeed.
The sender paces itself (alerts.send_interval_seconds) so a burst of alerts never crowds out
the answers users are waiting for.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot.replies import send_pieces
from bot.services import BotServices, services, services_of
from index.deliveries import Delivery
from retrieval.render_alerts import DigestItem, render_alert_html, render_digest_html

log = logging.getLogger(__name__)

BATCH = 20
DIGEST_MAX_ITEMS = 30
RETRY_JOB = "outbox_retry"


class Outcome(enum.Enum):
    SENT = "sent"
    FLOOD = "flood"  # 429: wait retry_after
    UNREACHABLE = "unreachable"  # 403 or chat gone: pause the chat
    RETRY = "retry"  # network trouble: back off and try again
    FAILED = "failed"  # Telegram refused this message for good


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    error: str = ""
    retry_after: float = 0.0


async def send_alert_pieces(
    bot: Bot, chat_id: int, thread_id: int | None, pieces: list[str]
) -> SendResult:
    """Send without the rate limiter's own retries: the outbox decides what a failure means."""
    try:
        await send_pieces(bot, chat_id, pieces, thread_id=thread_id, retries=0)
    except RetryAfter as error:
        return SendResult(Outcome.FLOOD, str(error), _seconds(error))
    except Forbidden as error:
        return SendResult(Outcome.UNREACHABLE, str(error))
    except BadRequest as error:  # a subclass of NetworkError: must come first
        if "chat not found" in str(error).lower():
            return SendResult(Outcome.UNREACHABLE, str(error))
        return SendResult(Outcome.FAILED, str(error))
    except TelegramError as error:  # NetworkError, TimedOut, 5xx and the like
        return SendResult(Outcome.RETRY, f"{type(error).__name__}: {error}")
    return SendResult(Outcome.SENT)


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns while moving retry_after to timedelta
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


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
            await _drain(context.bot, svc)
    await _schedule_retry(context.application, svc)


async def _drain(bot: Bot, svc: BotServices) -> None:
    pause = svc.settings.alerts.send_interval_seconds
    while not _flooded(svc):
        batch = await asyncio.to_thread(svc.outbox.due, BATCH)
        if not batch:
            return
        for delivery in batch:
            outcome = await _deliver(bot, svc, delivery)
            if outcome is Outcome.FLOOD:
                return
            if pause:
                await asyncio.sleep(pause)


async def _deliver(bot: Bot, svc: BotServices, delivery: Delivery) -> Outcome:
    subscription = (
        await asyncio.to_thread(svc.subscriptions.get, delivery.subscription_id)
        if delivery.subscription_id is not None
        else None
    )
    topic = subscription.topic if subscription else "A topic you follow"
    query = subscription.query if subscription else topic
    quote = (
        await asyncio.to_thread(svc.matcher.quote, delivery.passage_id, query)
        if delivery.passage_id is not None
        else None
    )
    if quote is None:
        await asyncio.to_thread(svc.outbox.mark_failed, delivery.id, "article no longer stored")
        return Outcome.FAILED
    result = await send_alert_pieces(
        bot, delivery.chat_id, delivery.thread_id, render_alert_html(quote, topic)
    )
    await asyncio.to_thread(_record, svc, [delivery], result)
    if result.outcome is Outcome.SENT:
        log.info("alert sent to chat %s: %s", delivery.chat_id, quote.title[:80])
    return result.outcome


def _record(svc: BotServices, deliveries: list[Delivery], result: SendResult) -> None:
    """Write what Telegram's answer means for these deliveries. Blocking."""
    ids = [d.id for d in deliveries]
    chat_id = deliveries[0].chat_id
    alerts = svc.settings.alerts
    if result.outcome is Outcome.SENT:
        svc.outbox.mark_sent(ids)
    elif result.outcome is Outcome.FLOOD:
        until = datetime.now(UTC) + timedelta(seconds=result.retry_after)
        svc.flood_until = until
        for delivery_id in ids:
            svc.outbox.defer(delivery_id, until, result.error)
        log.warning("flood control: alerts wait %.0f s (%s)", result.retry_after, result.error)
    elif result.outcome is Outcome.UNREACHABLE:
        svc.subscriptions.pause_chat(chat_id)
        log.warning("chat %s cannot be reached (%s): its alerts are paused", chat_id, result.error)
    elif result.outcome is Outcome.RETRY:
        for delivery_id in ids:
            if not svc.outbox.retry_later(
                delivery_id, result.error, alerts.retry_seconds, alerts.max_attempts
            ):
                log.error("alert %s to chat %s given up: %s", delivery_id, chat_id, result.error)
        log.warning("alert to chat %s will be retried: %s", chat_id, result.error)
    else:
        for delivery_id in ids:
            svc.outbox.mark_failed(delivery_id, result.error)
        log.error("alert to chat %s refused by Telegram: %s", chat_id, result.error)


def _flooded(svc: BotServices) -> bool:
    return svc.flood_until is not None and datetime.now(UTC) < svc.flood_until


async def _schedule_retry(application: Application, svc: BotServices) -> None:
    """Wake the sender when the next delivery is due, rather than at the next sweep."""
    due = await asyncio.to_thread(svc.outbox.next_due_at)
    if due is None:
        return
    if svc.flood_until is not None:
        due = max(due, svc.flood_until)
    for job in application.job_queue.get_jobs_by_name(RETRY_JOB):
        job.schedule_removal()
    delay = max((due - datetime.now(UTC)).total_seconds(), 0.05)
    application.job_queue.run_once(send_outbox, when=delay, name=RETRY_JOB)


async def send_digests(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: for each digest chat whose interval has passed, one message with its alerts."""
    svc = services(context)
    interval = timedelta(minutes=svc.settings.alerts.digest_minutes)
    now = datetime.now(UTC)
    for chat in await asyncio.to_thread(svc.subscriptions.digest_chats):
        if _flooded(svc):
            return
        if chat.last_digest_at and datetime.fromisoformat(chat.last_digest_at) + interval > now:
            continue
        deliveries = await asyncio.to_thread(
            svc.outbox.pending_for_chat, chat.chat_id, DIGEST_MAX_ITEMS
        )
        by_thread: dict[int | None, list[Delivery]] = {}
        for delivery in deliveries:
            by_thread.setdefault(delivery.thread_id, []).append(delivery)
        for thread_id, group in by_thread.items():
            await _send_digest(context.bot, svc, chat.chat_id, thread_id, group)


async def _send_digest(
    bot: Bot, svc: BotServices, chat_id: int, thread_id: int | None, group: list[Delivery]
) -> None:
    items, usable = await asyncio.to_thread(_digest_items, svc, group)
    if not items:
        return
    result = await send_alert_pieces(bot, chat_id, thread_id, render_digest_html(items))
    await asyncio.to_thread(_record, svc, usable, result)
    if result.outcome is Outcome.SENT:
        await asyncio.to_thread(
            svc.subscriptions.mark_digest_sent, chat_id, datetime.now(UTC).isoformat()
        )
        log.info("digest of %d alerts sent to chat %s", len(items), chat_id)


def _digest_items(
    svc: BotServices, deliveries: list[Delivery]
) -> tuple[list[DigestItem], list[Delivery]]:
    items, usable = [], []
    for delivery in deliveries:
        subscription = (
            svc.subscriptions.get(delivery.subscription_id) if delivery.subscription_id else None
        )
        topic = subscription.topic if subscription else "A topic you follow"
        quote = (
            svc.matcher.quote(delivery.passage_id, subscription.query if subscription else topic)
            if delivery.passage_id is not None
            else None
        )
        if quote is None:
            svc.outbox.mark_failed(delivery.id, "article no longer stored")
            continue
        items.append(DigestItem(topic, quote))
        usable.append(delivery)
    return items, usable
