"""Digests: for chats with /digest on, one message listing their new alerts at an interval;
for chats with a schedule (/digest daily 08:00, weekly mon 08:00; bot/chat_clock.py), once per
slot in the chat's time zone. A slot is done when its digest is recorded sent (last_digest_at
at or after the slot): the job runs on one worker at a time (DIGEST_JOB), so across restarts
and workers a chat gets one digest per slot.

A digest claims its rows the way the sender does (`DeliveryOutbox.claim_for_chat`), stores the
rendered digest on each of them and records its pieces as they are accepted, so a digest
interrupted part way sends only its remaining pieces, and the sender never sends a row a
digest holds (see bot/workers/outbox_sender.py for what Telegram's answers mean).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from telegram import Bot
from telegram.ext import ContextTypes

from bot.chat_clock import latest_slot
from bot.services import BotServices, only_one_worker, services
from bot.views import DigestItem, render_digest_html
from bot.workers.outbox_sender import (
    Outcome,
    flooded,
    not_prepared,
    outbox_worker,
    preparation_failed,
    quote_of,
    record_outcome,
    send_claimed,
)
from index.clock import timestamp, utc_now
from index.state import DIGEST_JOB, Delivery

log = logging.getLogger(__name__)

DIGEST_MAX_ITEMS = 30


async def send_digests(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: for each digest chat whose interval has passed, one message with its alerts."""
    await run_digests(context, services(context))


async def run_digests(context: ContextTypes.DEFAULT_TYPE, svc: BotServices) -> None:
    """The digests due now, sent by this worker unless another is sending them."""
    async with only_one_worker(svc, DIGEST_JOB) as ours:
        if ours:
            await _send_due_digests(context, svc)


async def _send_due_digests(context: ContextTypes.DEFAULT_TYPE, svc: BotServices) -> None:
    worker = outbox_worker(context.application)
    interval = timedelta(minutes=svc.settings.alerts.digest_minutes)
    now = utc_now()
    schedules = {p.chat_id: p for p in await asyncio.to_thread(svc.chat_settings.scheduled)}
    for chat in await asyncio.to_thread(svc.subscriptions.digest_chats):
        if flooded(svc):
            return
        last = datetime.fromisoformat(chat.last_digest_at) if chat.last_digest_at else None
        scheduled = schedules.get(chat.chat_id)
        if scheduled is not None:  # /digest daily 08:00: once per slot, in the chat's zone
            slot = latest_slot(scheduled.digest_schedule or "", scheduled.timezone, now)
            if last is not None and last >= slot:
                continue
        elif last is not None and last + interval > now:
            continue
        claimed = await asyncio.to_thread(
            svc.outbox.claim_for_chat,
            chat.chat_id,
            worker,
            DIGEST_MAX_ITEMS,
            svc.settings.alerts.claim_lease_seconds,
        )
        sent_all = True
        try:
            for group in _digest_groups(claimed):
                sent_all &= not flooded(svc) and await _send_digest(context.bot, svc, worker, group)
        finally:
            await asyncio.to_thread(svc.outbox.release, [d.id for d in claimed], worker)
        if scheduled is not None and sent_all:
            # The slot is done, with a digest or with nothing to send: an alert matched
            # later waits for the next slot instead of going out at once.
            await asyncio.to_thread(svc.subscriptions.mark_digest_sent, chat.chat_id, timestamp())


def _digest_groups(claimed: list[Delivery]) -> list[list[Delivery]]:
    """A digest interrupted part way (same stored body) first, then one new one per topic."""
    started: dict[tuple, list[Delivery]] = {}
    fresh: dict[int | None, list[Delivery]] = {}
    for delivery in claimed:
        if delivery.body is not None:
            started.setdefault((delivery.thread_id, delivery.body), []).append(delivery)
        else:
            fresh.setdefault(delivery.thread_id, []).append(delivery)
    return [*started.values(), *fresh.values()]


async def _send_digest(bot: Bot, svc: BotServices, worker: str, group: list[Delivery]) -> bool:
    """Whether the group is done with: sent, or nothing of it left to send."""
    chat_id = group[0].chat_id
    pieces = group[0].body
    if pieces is None:
        items, group = await asyncio.to_thread(_digest_items, svc, worker, group)
        if not items:
            return True
        try:
            pieces = tuple(render_digest_html(items))
        except Exception as error:
            await not_prepared(svc, worker, group, error)
            return False
        ids = [d.id for d in group]
        if not await asyncio.to_thread(svc.outbox.store_body, ids, worker, pieces):
            return False
    if await send_claimed(bot, svc, worker, group, pieces) is not Outcome.SENT:
        return False
    await asyncio.to_thread(svc.subscriptions.mark_digest_sent, chat_id, timestamp())
    log.info("digest of %d alerts sent to chat %s", len(group), chat_id)
    return True


def _digest_items(
    svc: BotServices, worker: str, deliveries: list[Delivery]
) -> tuple[list[DigestItem], list[Delivery]]:
    items, usable = [], []
    for delivery in deliveries:
        try:
            quote, topic = quote_of(svc, delivery)
        except Exception as error:  # this item waits and is counted; the rest go out
            log.error("could not prepare alert %s for a digest", delivery.id, exc_info=error)
            failure = preparation_failed(error)
            record_outcome(svc, worker, [delivery.id], delivery.chat_id, failure)
            continue
        if quote is None:
            svc.outbox.mark_failed([delivery.id], worker, "article no longer stored")
            continue
        items.append(DigestItem(topic, quote))
        usable.append(delivery)
    return items, usable
