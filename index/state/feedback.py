"""Users' votes on answers (👍/👎 under an answer), kept to judge retrieval by."""

from __future__ import annotations

import json
from collections.abc import Sequence

from index.clock import timestamp
from index.state.statements import Statements
from index.storage.database import Migration, Transaction
from index.text.articles import storable


class FeedbackStore(Statements):
    """Writes the `feedback` table."""

    def record(
        self, chat_id: int, user_id: int, question: str, passage_ids: Sequence[int], vote: int
    ) -> None:
        """Keep one vote (+1 or -1) on the answer to `question` that quoted these passages."""
        self._write(
            """INSERT INTO feedback (chat_id, user_id, question, passage_ids, vote, created_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            # A question is a user's text: what no backend stores (a NUL) is dropped, as from
            # an article's.
            [
                chat_id,
                user_id,
                storable(question),
                json.dumps(list(passage_ids)),
                vote,
                timestamp(),
            ],
        )


# -- the tables this module owns, created and changed by schema version (index/backends/sqlite/schema.py
# runs every owner's migrations in one ordered list)


def _create_feedback(db: Transaction) -> None:
    """Schema version 1: the feedback table."""
    db["feedback"].create(
        {
            "id": int,
            "chat_id": int,
            "user_id": int,
            "question": str,
            "passage_ids": str,
            "vote": int,
            "created_at": str,
        },
        pk="id",
    )


MIGRATIONS: dict[int, Migration] = {1: _create_feedback}
