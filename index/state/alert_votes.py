"""Readers' votes on alerts (👍/👎 under an alert): one per reader and alert, kept with the
subscription they teach and removed with it."""

from __future__ import annotations

from index.clock import timestamp
from index.state.interfaces import AlertVote
from index.state.statements import Statements
from index.storage.database import Migration, Transaction


class AlertVoteStore(Statements):
    """Reads and writes the `alert_votes` table."""

    def record(
        self,
        delivery_id: int,
        subscription_id: int,
        user_id: int,
        article_id: str,
        vote: int,
        *,
        chat_id: int,
        keep: int | None = None,
    ) -> bool:
        """Keep one reader's vote (+1 or -1) on an alert of `chat_id`, replacing their
        earlier vote on it; True when there was one. A vote is kept only on a subscription
        of that very chat (the alert's), so no vote ever teaches another chat's topic; on a
        removed subscription (it would teach nothing) or another chat's: ValueError. With
        `keep`, only the subscription's latest `keep` votes stay (what the vote rule reads,
        `alerts.vote_memory`): the older ones are deleted in the same transaction."""
        if vote not in (1, -1):
            raise ValueError(f"a vote is +1 or -1, got {vote!r}")
        with self.database.transaction() as tx:
            known = tx.execute(
                self._sql(
                    "SELECT 1 FROM subscriptions WHERE id = ? AND chat_id = ?"
                    + self.dialect.for_share  # no removal slips in before the insert
                ),
                [subscription_id, chat_id],
            ).fetchone()
            if known is None:
                raise ValueError(f"chat {chat_id} has no subscription {subscription_id}")
            replaced = tx.execute(
                self._sql("DELETE FROM alert_votes WHERE delivery_id = ? AND user_id = ?"),
                [delivery_id, user_id],
            ).rowcount
            # A new row (a new id) even for a replaced vote, so `versions` sees the change.
            tx.execute(
                self._sql(
                    """INSERT INTO alert_votes
                       (delivery_id, subscription_id, user_id, article_id, vote, created_at)
                       VALUES (?, ?, ?, ?, ?, ?)"""
                ),
                [delivery_id, subscription_id, user_id, article_id, vote, timestamp()],
            )
            if keep is not None:
                tx.execute(
                    self._sql(
                        """DELETE FROM alert_votes WHERE subscription_id = ? AND id NOT IN
                           (SELECT id FROM alert_votes WHERE subscription_id = ?
                            ORDER BY id DESC LIMIT ?)"""
                    ),
                    [subscription_id, subscription_id, keep],
                )
        return replaced > 0

    def for_subscription(self, subscription_id: int) -> list[AlertVote]:
        """The subscription's votes, oldest first."""
        rows = self._read(
            """SELECT delivery_id, subscription_id, user_id, article_id, vote FROM alert_votes
               WHERE subscription_id = ? ORDER BY id""",
            [subscription_id],
        )
        return [AlertVote(*row) for row in rows]

    def versions(self) -> dict[int, tuple[int, int]]:
        """(vote count, last vote id) of each subscription that has votes: what changes
        whenever a vote is cast, replaced or removed, read in one cheap query."""
        rows = self._read(
            "SELECT subscription_id, COUNT(*), MAX(id) FROM alert_votes GROUP BY subscription_id"
        )
        return {int(s): (int(n), int(last)) for s, n, last in rows}


# -- the tables this module owns, created and changed by schema version (index/backends/sqlite/schema.py
# runs every owner's migrations in one ordered list)


def _create_alert_votes(db: Transaction) -> None:
    """Schema version 6: the alert_votes table; a subscription's votes go with it."""
    db.execute(
        """CREATE TABLE alert_votes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            delivery_id INTEGER NOT NULL,
            subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,
            article_id TEXT NOT NULL,
            vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
            created_at TEXT NOT NULL,
            UNIQUE (delivery_id, user_id)
        )"""
    )
    db.execute("CREATE INDEX alert_votes_subscription ON alert_votes (subscription_id)")


MIGRATIONS: dict[int, Migration] = {6: _create_alert_votes}
