"""The subscription list alert matching reads every batch: kept between batches, never stale;
the cap on topics holds under concurrent adds. On both backends."""

from __future__ import annotations

import threading

from index.state import NewDelivery, SubscriptionLimitError, state_on
from tests.postgres import both_backends, both_backends_slow_on_postgres


# On PostgreSQL in the fast suite (the others there in the slow run): it takes the store
# through adding, pausing, resuming and removing.
@both_backends
def test_active_subscriptions_follow_every_change(state_database):
    store = state_on(state_database()).subscriptions
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


@both_backends_slow_on_postgres
def test_settle_counts_each_new_delivery_once(state_database):
    state = state_on(state_database())
    store, outbox = state.subscriptions, state.outbox
    subscription, _ = store.add(1, None, "tsunami", "tsunami")
    match = NewDelivery(1, None, subscription.id, 7, 0.5)
    assert outbox.settle("article-1", [match]) == 1
    assert outbox.settle("article-1", [match]) == 0  # a chat gets an article at most once
    assert outbox.settle("article-2", []) == 0


@both_backends_slow_on_postgres
def test_concurrent_subscribes_never_pass_the_cap(state_database):
    # Two database handles on one database: the cap holds through the database's transaction,
    # not through a lock of this process.
    stores = [state_on(state_database()).subscriptions for _ in range(2)]
    start = threading.Barrier(40)
    outcomes: list[str] = []

    def subscribe(number: int) -> None:
        start.wait(timeout=30)
        try:
            stores[number % 2].add(1, None, f"topic {number}", f"topic {number}", limit=25)
        except SubscriptionLimitError:
            outcomes.append("full")
        else:
            outcomes.append("added")

    threads = [threading.Thread(target=subscribe, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(stores[0].for_chat(1, None)) == 25
    assert sorted(outcomes) == ["added"] * 25 + ["full"] * 15
    # Another chat, or another forum topic of the same chat, has its own allowance.
    assert stores[0].add(1, 7, "topic 0", "topic 0", limit=25)[1]
    assert stores[0].add(2, None, "topic 0", "topic 0", limit=25)[1]
