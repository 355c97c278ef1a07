"""Schema version 7 of the subscriptions table (index/state/subscriptions.py owns it): ids
never reused, `created_by`, and the version row its cache is keyed on. Apart, as rebuilding a
table that others reference takes more care than the store's own statements."""

from __future__ import annotations

from index.storage.database import Transaction


def never_reuse_ids(db: Transaction) -> None:
    """Schema version 7: subscription ids are never given again (AUTOINCREMENT), who made
    each subscription (`created_by`, for the per-user cap), and the version row that
    `active()` keys its cache on.

    Without AUTOINCREMENT SQLite gave the id of the newest subscription, once removed, to
    the next one made in any chat, and its old alerts, votes and cached matches went with
    it. The table is rebuilt with every row and id; the first id given next is past every
    id still named anywhere (a removed subscription's alerts keep its id). Tables that
    reference subscriptions (alert_votes) are set aside and put back around the rebuild, as
    dropping the old table would delete their rows with it (ON DELETE CASCADE)."""
    (last,) = db.execute(
        """SELECT MAX(id) FROM (SELECT MAX(id) AS id FROM subscriptions
           UNION ALL SELECT MAX(subscription_id) FROM deliveries)"""
    ).fetchone()
    children = _set_aside_references(db, "subscriptions")
    db.execute(
        """CREATE TABLE subscriptions_rebuilt (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id INTEGER NOT NULL,
            thread_id INTEGER,
            topic TEXT NOT NULL,
            query TEXT,
            required TEXT,
            excluded TEXT,
            created_at TEXT,
            created_by INTEGER
        )"""
    )
    columns = "id, chat_id, thread_id, topic, query, required, excluded, created_at"
    db.execute(f"INSERT INTO subscriptions_rebuilt ({columns}) SELECT {columns} FROM subscriptions")
    db.execute("DROP TABLE subscriptions")
    db.execute("ALTER TABLE subscriptions_rebuilt RENAME TO subscriptions")
    db.execute("CREATE INDEX idx_subscriptions_chat_id ON subscriptions (chat_id)")
    db.execute("CREATE INDEX subscriptions_created_by ON subscriptions (created_by)")
    db.execute("DELETE FROM sqlite_sequence WHERE name = 'subscriptions'")
    db.execute(
        "INSERT INTO sqlite_sequence (name, seq) VALUES ('subscriptions', ?)", [int(last or 0)]
    )
    _put_back(db, children)
    db.execute("CREATE TABLE subscriptions_version (version INTEGER NOT NULL)")
    db.execute("INSERT INTO subscriptions_version (version) VALUES (0)")


def _set_aside_references(db: Transaction, parent: str) -> list[tuple[str, list[str], int | None]]:
    """Copy aside and drop every table whose foreign keys reference `parent`: (name, its
    schema statements, its AUTOINCREMENT sequence) for `_put_back`."""
    children = []
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        references = db.execute(f"PRAGMA foreign_key_list('{table}')").fetchall()
        if table == parent or not any(fk[2] == parent for fk in references):
            continue
        schema = [
            row[0]
            for row in db.execute(
                """SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL
                   ORDER BY type = 'table' DESC""",
                [table],
            )
        ]
        sequence = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [table]).fetchone()
        db.execute(f"CREATE TEMP TABLE set_aside_{table} AS SELECT * FROM {table}")
        db.execute(f"DROP TABLE {table}")
        children.append((table, schema, sequence[0] if sequence else None))
    return children


def _put_back(db: Transaction, children: list[tuple[str, list[str], int | None]]) -> None:
    for table, schema, sequence in children:
        for statement in schema:
            db.execute(statement)
        db.execute(f"INSERT INTO {table} SELECT * FROM temp.set_aside_{table}")
        db.execute(f"DROP TABLE temp.set_aside_{table}")
        if sequence is not None:
            db.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", [sequence, table]
            )
