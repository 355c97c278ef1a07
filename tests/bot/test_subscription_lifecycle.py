"""The whole subscription lifecycle as a state machine (hypothesis `RuleBasedStateMachine`), on
both backends: chats (private ones, a group, a forum supergroup with topics) subscribe,
unsubscribe and subscribe again, are paused and resumed, a group is upgraded to a supergroup
(its id changes), articles are matched and alerts delivered, readers vote (from the alert's
chat and, forged, from another), and the bot restarts (the stores are opened afresh).

After every step: each alert delivered so far went only to a chat that followed that topic
when the article was matched, still follows it, and is labelled with that chat's own topic;
each vote is on a subscription of the chat its alert went to; nothing waits for a chat's old
id. Matching is the matcher's view of the store (`active()`, cached as the matcher caches it)
with topics matched by name: the model adds nothing to what is checked here, the embeddings
are tested elsewhere. 60 cases on SQLite in `make test`, 1,000 on each backend in
`make reliability` (benchmarks/README.md "Reliability")."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bot.workers.outbox_sender import alert_subscription
from index.backends import sqlite
from index.state import BotState, NewDelivery
from index.storage import Database
from newsbot_testing.postgres import both_backends_slow_on_postgres

# (logical chat, its first id, forum threads where its members subscribe)
CHATS = {
    "alice": (101, (None,)),
    "bob": (102, (None,)),
    "group": (-201, (None,)),
    "forum": (-1000202, (None, 5, 6)),
}
PLACES = [(chat, thread) for chat, (_, threads) in CHATS.items() for thread in threads]
TOPICS = ("tsunami", "oil prices", "ceasefire talks")
WORKER = "lifecycle"
LEASE = 60.0
STATE_TABLES = "alert_votes, deliveries, alert_queue, subscriptions, chats"


def lifecycle_machine(
    open_database: Callable[[], object], state_on: Callable[[object], BotState], query: Callable
) -> type:
    """The state machine over the database `open_database` opens (emptied per case); a
    restart opens it again and makes new stores on it (`state_on`, its backend's)."""

    class SubscriptionLifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.database = open_database()
            self.state = state_on(self.database)
            self.chat_ids = {chat: first for chat, (first, _) in CHATS.items()}
            self.logical = {first: chat for chat, (first, _) in CHATS.items()}
            self.follows: dict[tuple[str, int | None], set[str]] = {p: set() for p in PLACES}
            self.paused: set[str] = set()
            self.matched: dict[tuple[str, int | None, str], str] = {}
            self.delivered: list[tuple[int, str]] = []  # (delivery id, chat it went to)
            self.articles = itertools.count(1)
            self.new_ids = itertools.count(-1000900, -1)

        def teardown(self) -> None:
            if isinstance(self.database, Database):
                self.database.connection().conn.close()

        # -- what chats do

        @rule(place=st.sampled_from(PLACES), topic=st.sampled_from(TOPICS))
        def subscribe(self, place, topic) -> None:
            chat, thread = place
            subscription, created = self.state.subscriptions.add(
                self.chat_ids[chat], thread, topic, topic, user_id=7
            )
            assert created == (topic not in self.follows[place])
            assert subscription.chat_id == self.chat_ids[chat]
            self.follows[place].add(topic)

        @rule(place=st.sampled_from(PLACES), topic=st.sampled_from(TOPICS))
        def unsubscribe(self, place, topic) -> None:
            chat, thread = place
            store = self.state.subscriptions
            ids = [s.id for s in store.for_chat(self.chat_ids[chat], thread) if s.topic == topic]
            removed = store.remove(self.chat_ids[chat], ids)
            assert [s.topic for s in removed] == ([topic] if topic in self.follows[place] else [])
            self.follows[place].discard(topic)

        @rule(chat=st.sampled_from(sorted(CHATS)))
        def pause(self, chat) -> None:
            self.state.subscriptions.pause_chat(self.chat_ids[chat])
            self.paused.add(chat)

        @rule(chat=st.sampled_from(sorted(CHATS)))
        def resume(self, chat) -> None:
            self.state.subscriptions.resume_chat(self.chat_ids[chat])
            self.paused.discard(chat)

        @precondition(lambda self: self.chat_ids["group"] == CHATS["group"][0])
        @rule()
        def group_becomes_a_supergroup(self) -> None:
            old, new = self.chat_ids["group"], next(self.new_ids)
            followed = len(self.follows[("group", None)])
            assert self.state.subscriptions.move_chat(old, new) == followed
            self.chat_ids["group"] = new
            self.logical[new] = "group"
            self.paused.discard("group")  # it is where the bot is now

        @rule()
        def restart(self) -> None:
            self.teardown()
            self.database = open_database()
            self.state = state_on(self.database)

        # -- what the bot does

        @rule(topic=st.sampled_from(TOPICS))
        def match_an_article(self, topic) -> None:
            article = f"article-{next(self.articles)}"
            matches = [
                NewDelivery(s.chat_id, s.thread_id, s.id, 1, 0.9)
                for s in self.state.subscriptions.active()
                if s.query == topic
            ]
            self.state.outbox.settle(article, matches)
            expected = {
                (chat, thread)
                for (chat, thread), topics in self.follows.items()
                if topic in topics and chat not in self.paused
            }
            assert {(self.logical[m.chat_id], m.thread_id) for m in matches} == expected
            for chat, thread in expected:
                self.matched[(chat, thread, article)] = topic

        @rule()
        def deliver(self) -> None:
            outbox, store = self.state.outbox, self.state.subscriptions
            for delivery in outbox.claim_due(WORKER, 20, LEASE):
                subscription = alert_subscription(store, delivery)
                assert subscription is not None, "a waiting alert of a removed subscription"
                chat = self.logical[delivery.chat_id]
                assert delivery.chat_id == self.chat_ids[chat], "sent to a chat's old id"
                place = (chat, delivery.thread_id)
                assert self.matched[(*place, delivery.article_id)] == subscription.topic
                assert subscription.topic in self.follows[place]
                assert outbox.record_pieces([delivery.id], WORKER, 1, 1, LEASE)
                self.delivered.append((delivery.id, chat))

        @precondition(lambda self: self.delivered)
        @rule(data=st.data(), vote=st.sampled_from([1, -1]), forged=st.booleans())
        def vote(self, data, vote, forged) -> None:
            delivery_id, chat = data.draw(st.sampled_from(self.delivered))
            delivery = self.state.outbox.get(delivery_id)
            voter_chat = self.chat_ids[chat]
            if forged:  # another chat's id: a client claiming someone else's alert
                voter_chat = self.chat_ids["bob" if chat == "alice" else "alice"]
            try:
                self.state.alert_votes.record(
                    delivery_id,
                    delivery.subscription_id,
                    99,
                    delivery.article_id,
                    vote,
                    chat_id=voter_chat,
                    keep=3,
                )
            except ValueError:
                kept = False
            else:
                kept = True
            place = (chat, delivery.thread_id)
            followed = self.matched[(*place, delivery.article_id)] in self.follows[place]
            # Kept exactly when the alert's chat still follows its topic and voted itself
            # (a topic dropped and followed again is a new subscription: nothing to teach).
            if kept:
                assert not forged and followed

        # -- what always holds

        @invariant()
        def votes_stay_in_their_chat(self) -> None:
            strays = query(
                self.database,
                """SELECT COUNT(*) FROM alert_votes v JOIN deliveries d ON d.id = v.delivery_id
                   JOIN subscriptions s ON s.id = v.subscription_id
                   WHERE s.chat_id <> d.chat_id OR d.subscription_id <> v.subscription_id""",
            )
            assert strays == 0
            assert query(self.database, "SELECT COUNT(*) FROM alert_votes") <= 3 * len(PLACES) * 3

        @invariant()
        def the_matcher_sees_what_each_chat_follows_now(self) -> None:
            seen = {
                (self.logical[s.chat_id], s.thread_id, s.topic, s.chat_id)
                for s in self.state.subscriptions.active()
            }
            assert seen == {
                (chat, thread, topic, self.chat_ids[chat])
                for (chat, thread), topics in self.follows.items()
                for topic in topics
                if chat not in self.paused
            }

        @invariant()
        def nothing_waits_for_an_old_id(self) -> None:
            current = set(self.chat_ids.values())
            waiting = query(
                self.database,
                "SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND chat_id NOT IN "
                f"({', '.join(str(i) for i in current)})",
            )
            assert waiting == 0

    return SubscriptionLifecycle


def _count_sqlite(database: Database, sql: str) -> int:
    return int(database.connection().execute(sql).fetchone()[0])


def _count_postgres(database, sql: str) -> int:
    return int(database.execute(sql).fetchone()[0])


# The PostgreSQL run (16 s at 60 cases on a loaded machine) is in `make reliability`.
@both_backends_slow_on_postgres
def test_no_alert_or_vote_ever_reaches_another_chat(storage_url: str, tmp_path: Path) -> None:
    if storage_url:
        from index.backends import postgres

        # One pool for the whole test: opening one costs ~80 ms, and what a restart loses is
        # the stores' own state (their caches), made afresh on it by `state_on`.
        shared = postgres.open_database(storage_url)
        state_on = postgres.state_on

        def open_database():
            return shared

        def fresh() -> None:  # each case starts from an empty state (ids go on growing)
            with shared.transaction() as tx:
                for table in STATE_TABLES.split(", "):
                    tx.execute(f"DELETE FROM {table}")

        count = _count_postgres
    else:
        cases = itertools.count()
        paths: list[Path] = []
        template = tmp_path / "template.db"
        made = sqlite.open_database(template).connection()  # migrated once, copied for each case
        made.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        made.conn.close()

        def open_database():
            return sqlite.open_database(paths[-1])

        def fresh() -> None:
            paths.append(tmp_path / f"case-{next(cases)}.db")
            shutil.copyfile(template, paths[-1])

        count = _count_sqlite
        state_on = sqlite.state_on

    machine = lifecycle_machine(open_database, state_on, count)
    original_init = machine.__init__

    def init(self) -> None:  # a fresh database per case, then the case's own handles
        fresh()
        original_init(self)

    machine.__init__ = init
    try:
        run_state_machine_as_test(machine, settings=settings(stateful_step_count=30))
    finally:
        if storage_url:
            shared.close()


pytestmark = pytest.mark.properties
