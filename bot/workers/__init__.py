"""The bot's background work: the outbox sender (alerts, retries), digests, and the feed
poller with its scheduled jobs."""

from bot.workers.digests import send_digests
from bot.workers.feed_poller import after_ingest, poll_feeds, schedule_jobs
from bot.workers.outbox_sender import drain_outbox, request_send

__all__ = [
    "after_ingest",
    "drain_outbox",
    "poll_feeds",
    "request_send",
    "schedule_jobs",
    "send_digests",
]
