"""The subscription list alert matching reads every batch: kept between batches, never stale
(also when a change keeps every id); the cap on topics holds under concurrent adds, and one
user's subscriptions are capped across chats. A removed subscription's id is never given
again (an archive of the old schema migrated keeping rows, ids and votes), a vote is kept
only on the alert's own chat's subscription, and votes are pruned to what the rule reads. On
both backends."""

from __future__ import annotations

import threading

import pytest

from index.backends.sqlite import open_database, state_on
from index.state import NewDelivery, SubscriptionLimitError
from newsbot_testing.postgres import both_backends, both_backends_slow_on_postgres


# On PostgreSQL in the fast suite (the others there in the slow run): it takes the store
# through adding, pausing, resuming and removing.
@both_backends
def test_active_subscriptions_follow_every_change(state_database):
    store = state_database().open_state().subscriptions
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
    state = state_database().open_state()
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
    stores = [state_database().open_state().subscriptions for _ in range(2)]
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


@both_backends
def test_a_removed_subscriptions_id_is_never_given_again(state_database):
    # The newest subscription removed, the next one (any chat's) used to get its id on SQLite:
    # the matcher's cached list (keyed on count, max and sum of ids) then kept the removed
    # one, and the removed one's alerts and votes went to the new one.
    store = state_database().open_state().subscriptions
    store.add(1, None, "tsunami", "tsunami")
    removed, _ = store.add(2, None, "ceasefire talks", "ceasefire talks")
    assert [s.chat_id for s in store.active()] == [1, 2]  # cached now
    store.remove(2, [removed.id])
    new, _ = store.add(3, None, "ceasefire talks", "ceasefire talks")
    assert new.id > removed.id
    assert [(s.chat_id, s.topic) for s in store.active()] == [(1, "tsunami"), (3, new.topic)]
    # Not after a restart either (AUTOINCREMENT is kept in the file, the sequence in PostgreSQL).
    reopened = state_database().open_state().subscriptions
    reopened.remove(3, [new.id])
    assert reopened.add(4, None, "oil", "oil")[0].id > new.id
    assert reopened.get(new.id) is None


@both_backends
def test_the_cached_list_follows_a_change_that_keeps_every_id(state_database):
    # A chat's subscriptions moving to its new id (a group upgraded to a supergroup) keeps
    # count and ids: only a version bumped by every change tells the cache.
    store = state_database().open_state().subscriptions
    store.add(-5, None, "tsunami", "tsunami")
    assert [s.chat_id for s in store.active()] == [-5]
    assert store.move_chat(-5, -1005) == 1
    assert [s.chat_id for s in store.active()] == [-1005]
    assert store.move_chat(-5, -1005) == 0  # a repeated move (both service messages) is a no-op


@both_backends
def test_a_moved_chat_keeps_its_settings_and_paused_topics(state_database):
    state = state_database().open_state()
    [topic, _] = state.subscriptions.add(-5, None, "tsunami", "tsunami")
    state.chat_settings.update(-5, quiet=True, timezone="Europe/Kyiv")
    state.chat_settings.pause(-5, [(topic.id, topic.topic)])
    assert state.subscriptions.move_chat(-5, -1005) == 1
    moved = state.chat_settings.get(-1005)
    assert (moved.quiet, moved.timezone) == (True, "Europe/Kyiv")
    assert state.chat_settings.paused(-1005) == {(topic.id, "tsunami")}
    assert state.chat_settings.paused(-5) == set() and not state.chat_settings.get(-5).quiet


@both_backends
def test_a_vote_is_kept_only_on_a_subscription_of_the_alerts_own_chat(state_database):
    state = state_database().open_state()
    mine, _ = state.subscriptions.add(1, None, "tsunami", "tsunami")
    theirs, _ = state.subscriptions.add(2, None, "tsunami", "tsunami")
    with pytest.raises(ValueError, match="no subscription"):
        state.alert_votes.record(9, theirs.id, 7, "article", -1, chat_id=1)
    assert state.alert_votes.for_subscription(theirs.id) == []
    assert state.alert_votes.record(9, mine.id, 7, "article", -1, chat_id=1) is False
    assert [v.vote for v in state.alert_votes.for_subscription(mine.id)] == [-1]


@both_backends_slow_on_postgres
def test_votes_are_pruned_to_what_the_vote_rule_reads(state_database):
    state = state_database().open_state()
    votes = state.alert_votes
    mine, _ = state.subscriptions.add(1, None, "tsunami", "tsunami")
    for n in range(12):
        votes.record(n, mine.id, 100 + n, f"article-{n}", 1 if n % 2 else -1, chat_id=1, keep=5)
    kept = votes.for_subscription(mine.id)
    assert [v.delivery_id for v in kept] == [7, 8, 9, 10, 11]
    before = votes.versions()[mine.id]
    votes.record(7, mine.id, 107, "article-7", 1, chat_id=1, keep=5)  # a changed vote
    assert votes.versions()[mine.id] != before
    assert [v.delivery_id for v in votes.for_subscription(mine.id)] == [8, 9, 10, 11, 7]


@both_backends_slow_on_postgres
def test_one_user_may_make_only_so_many_subscriptions_across_chats(state_database):
    store = state_database().open_state().subscriptions
    for chat in range(3):
        for thread in (None, 7):
            store.add(-chat - 1, thread, "tsunami", "tsunami", user_id=42, user_limit=6)
    with pytest.raises(SubscriptionLimitError) as full:
        store.add(-9, None, "tsunami", "tsunami", user_id=42, user_limit=6)
    assert full.value.per_user and full.value.count == 6
    assert store.add(-9, None, "tsunami", "tsunami", user_id=43, user_limit=6)[1]


def test_an_archive_of_the_old_schema_keeps_every_row_id_and_vote(tmp_path):
    from index.backends.sqlite.schema import MIGRATIONS
    from index.storage import Database

    path = tmp_path / "news.db"
    old = Database(path, MIGRATIONS[:6]).connection()  # the schema of 7587b87
    for sid, chat, topic in [(1, 1, "tsunami"), (2, 2, "oil"), (4, 3, "ceasefire talks")]:
        old.execute(
            "INSERT INTO subscriptions (id, chat_id, topic, query) VALUES (?, ?, ?, ?)",
            [sid, chat, topic, topic],
        )
    # Subscription 5 was removed; its sent alert still names it.
    old.execute(
        "INSERT INTO deliveries (id, chat_id, article_id, subscription_id, status)"
        " VALUES (1, 3, 'a', 5, 'sent'), (2, 3, 'b', 4, 'sent')"
    )
    old.execute(
        "INSERT INTO alert_votes (id, delivery_id, subscription_id, user_id, article_id, vote,"
        " created_at) VALUES (3, 2, 4, 9, 'b', -1, 'now')"
    )
    old.conn.close()

    state = state_on(open_database(path))
    store = state.subscriptions
    assert [(s.id, s.chat_id, s.topic) for s in store.active()] == [
        (1, 1, "tsunami"),
        (2, 2, "oil"),
        (4, 3, "ceasefire talks"),
    ]
    assert [(v.delivery_id, v.vote) for v in state.alert_votes.for_subscription(4)] == [(2, -1)]
    # Past every id still named anywhere: 5, the removed subscription's alert's.
    assert store.add(6, None, "football", "football")[0].id == 6
    store.remove(3, [4])  # the votes still go with their subscription
    assert state.alert_votes.for_subscription(4) == []
