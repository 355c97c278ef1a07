"""The subscription list alert matching reads every batch: kept between batches, never stale."""

from __future__ import annotations

from index.database import Database
from index.deliveries import DeliveryOutbox, NewDelivery
from index.subscriptions import SubscriptionStore


def test_active_subscriptions_follow_every_change(tmp_path):
    store = SubscriptionStore(Database(tmp_path / "news.db"))
    first, _ = store.add(1, None, "ceasefire talks", "ceasefire talks")
    store.add(2, None, "oil prices", "oil prices", required=["brent"])
    assert [s.topic for s in store.active()] == ["ceasefire talks", "oil prices"]
    assert store.active()[1].required == ("brent",)
    store.pause_chat(2)
    assert [s.topic for s in store.active()] == ["ceasefire talks"]
    store.resume_chat(2)
    third, _ = store.add(3, None, "tsunami", "tsunami")
    assert [s.topic for s in store.active()] == ["ceasefire talks", "oil prices", "tsunami"]
    store.remove(1, [first.id])
    assert [s.topic for s in store.active()] == ["oil prices", "tsunami"]
    # A list handed out is the caller's: changing it does not change the next one.
    store.active().clear()
    assert len(store.active()) == 2


def test_settle_counts_each_new_delivery_once(tmp_path):
    database = Database(tmp_path / "news.db")
    store = SubscriptionStore(database)
    subscription, _ = store.add(1, None, "tsunami", "tsunami")
    outbox = DeliveryOutbox(database)
    match = NewDelivery(1, None, subscription.id, 7, 0.5)
    assert outbox.settle("article-1", [match]) == 1
    assert outbox.settle("article-1", [match]) == 0  # a chat gets an article at most once
    assert outbox.settle("article-2", []) == 0
