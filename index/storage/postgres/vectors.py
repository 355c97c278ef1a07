"""Passage vectors in PostgreSQL with pgvector: the same `VectorStore` as the FAISS index.

Like FAISS here, search is exact while the archive is small and approximate (HNSW) past
`vectors.approximate_after`: the HNSW index is built once the table grows past it. It indexes
the vectors as `halfvec` (half the size of the graph's copy) while the table keeps them in full
precision, so each query's candidates are re-scored exactly and `vectors_for` returns what was
stored.

The database is the one copy every process reads: an `add` is there for everyone once it
returns, so nothing is saved and nothing is loaded again. A re-index fills a table of its own
beside the live one and swaps it in with one transaction (`PostgresVectorHome.publish`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection

import numpy as np
import psycopg
from pgvector import Vector
from psycopg import sql

from config import VectorSettings
from index.errors import ForeignIndexError, StoreError
from index.storage.interfaces import checked_batch
from index.storage.lock import ArchiveBusyError
from index.storage.postgres.database import PUBLISH_LOCK, REBUILD_LOCK, PostgresDatabase

LIVE = "passage_vectors"
REBUILD_PREFIX = "passage_vectors_rebuild_"
# The live table is replaced (or first made) under PUBLISH_LOCK; a re-index holds
# REBUILD_LOCK from its first vector to its swap, so there is one at a time and whoever takes
# it may drop the tables of re-indexes that were killed.


# The only names a vector table has: its statements are built with them as they are.
_TABLE_NAME = re.compile(rf"{LIVE}|{REBUILD_PREFIX}[0-9a-f]{{12}}")


def checked_table(name: str) -> str:
    """`name` if it is a vector table's (the live one, or a re-index's); StoreError if not."""
    if not _TABLE_NAME.fullmatch(name):
        raise StoreError(f"{name!r} is not a vector table's name")
    return name


class PostgresVectorStore:
    """Passage ids and their vectors in one table; nearest neighbours by inner product."""

    def __init__(
        self,
        database: PostgresDatabase,
        table: str,
        dimension: int,
        model_name: str,
        settings: VectorSettings,
        graph_later: bool = False,
    ) -> None:
        """`graph_later`: a re-index's table, whose HNSW graph is built once when it is
        published (in one pass over every vector, far faster than one insert at a time)."""
        self.database = database
        self.graph_later = graph_later
        self.table = checked_table(table)
        self.dimension = dimension
        self.model_name = model_name
        self.settings = settings

    @property
    def count(self) -> int:
        row = self.database.execute(
            "SELECT vectors FROM vector_counts WHERE name = %s", [self.table]
        ).fetchone()
        return int(row[0]) if row else 0

    @property
    def kind(self) -> str:
        return "hnsw" if self._has_hnsw() else "flat"

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = checked_batch(ids, vectors, self.dimension)
        if not len(ids):
            return
        with self.database.transaction() as tx, tx.cursor() as cursor:
            # An id stored again keeps only its new vector, as a re-embedded passage should.
            cursor.executemany(
                f"""INSERT INTO {self.table} (passage_id, embedding) VALUES (%s, %s)
                    ON CONFLICT (passage_id) DO UPDATE SET embedding = EXCLUDED.embedding""",
                [(int(i), Vector(v)) for i, v in zip(ids.tolist(), vectors, strict=True)],
            )
        if (
            not self.graph_later
            and self.count > self.settings.approximate_after
            and not self._has_hnsw()
        ):
            self._build_hnsw()

    def remove(self, ids: np.ndarray) -> int:
        """Remove ids; returns how many were present."""
        wanted = [int(i) for i in np.asarray(ids, dtype=np.int64).reshape(-1)]
        if not wanted:
            return 0
        with self.database.transaction() as tx:
            removed = tx.execute(
                f"DELETE FROM {self.table} WHERE passage_id = ANY(%s)", [wanted]
            ).rowcount
        return int(removed)

    def search(
        self, queries: np.ndarray, k: int, excluded: Collection[int] = ()
    ) -> list[list[tuple[int, float]]]:
        """For each query row, up to k (passage_id, cosine) pairs, best first, none of
        `excluded` (filtered inside the index scan, so k others take their places)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dimension)
        if self._has_hnsw():
            # The HNSW index's own expression, so the planner walks the graph; the candidates
            # are then scored against the full-precision vectors.
            order = f"(embedding::halfvec({self.dimension})) <#> %(query)s::halfvec"
        else:
            order = "embedding <#> %(query)s"
        # With a filter, the HNSW scan goes on past ef_search candidates until k pass it
        # (hnsw.iterative_scan, set for the session: index/storage/postgres/backend.py).
        where = "WHERE passage_id <> ALL(%(excluded)s::bigint[])" if excluded else ""
        sql = f"""SELECT passage_id, -(embedding <#> %(query)s) AS score FROM (
                      SELECT passage_id, embedding FROM {self.table} {where}
                      ORDER BY {order} LIMIT %(k)s) AS candidates
                  ORDER BY score DESC, passage_id"""
        left_out = [int(i) for i in excluded]
        results = []
        for query in queries:
            rows = self.database.execute(
                sql, {"query": Vector(query), "k": int(k), "excluded": left_out}
            ).fetchall()
            results.append([(int(i), float(score)) for i, score in rows])
        return results

    def ids(self) -> np.ndarray:
        rows = self.database.execute(f"SELECT passage_id FROM {self.table} ORDER BY passage_id")
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def summary(self) -> tuple[int, int]:
        """From the running count and the primary key: no scan of the table."""
        row = self.database.execute(f"SELECT COALESCE(MAX(passage_id), 0) FROM {self.table}")
        return self.count, int(row.fetchone()[0])

    def vectors_for(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of these ids (rows of zeros for unknown ids)."""
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        wanted = [int(i) for i in ids]
        rows = self.database.execute(
            f"SELECT passage_id, embedding FROM {self.table} WHERE passage_id = ANY(%s)",
            [wanted],
            binary=True,  # as text, parsing the floats took most of an answer's time
        )
        found = {int(i): vector for i, vector in rows}
        for row, passage_id in enumerate(wanted):
            if passage_id in found:
                out[row] = found[passage_id].to_numpy()
        return out

    def size_bytes(self) -> int:
        row = self.database.execute(
            "SELECT pg_total_relation_size(to_regclass(%s))", [self.table]
        ).fetchone()
        return int(row[0] or 0)

    # -- internals -------------------------------------------------------------------------

    def _has_hnsw(self) -> bool:
        row = self.database.execute("SELECT to_regclass(%s)", [f"{self.table}_hnsw"]).fetchone()
        return row[0] is not None

    def _build_hnsw(self) -> None:
        """Build the graph once (reads go on meanwhile; writers wait for it)."""
        with self.database.transaction() as tx:
            tx.execute(
                f"""CREATE INDEX IF NOT EXISTS {self.table}_hnsw ON {self.table}
                    USING hnsw ((embedding::halfvec({self.dimension})) halfvec_ip_ops)
                    WITH (m = {int(self.settings.hnsw_m)},
                          ef_construction = {int(self.settings.hnsw_ef_construction)})"""
            )


class PostgresVectorHome:
    """Where the vectors of a PostgreSQL archive live: the live table every process reads, the
    tables a re-index fills, and which model made them."""

    def __init__(
        self,
        database: PostgresDatabase,
        dimension: int,
        model_name: str,
        settings: VectorSettings,
    ) -> None:
        self.database = database
        self.dimension = dimension
        self.model_name = model_name
        self.settings = settings
        self._rebuilding: psycopg.Connection | None = None  # holds REBUILD_LOCK
        self._staged: PostgresVectorStore | None = None  # this process's re-index table

    def open(self, rebuilding: bool = False) -> PostgresVectorStore:
        """The live vectors, refused if another model made them. When `rebuilding`, those
        are left to the processes still using them and an empty re-index table is returned
        instead; the re-index that follows fills it (`fresh`) and swaps it in."""
        with self.database.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLISH_LOCK])
            row = tx.execute("SELECT model, dimension FROM vector_index").fetchone()
            foreign = row is not None and tuple(row) != (self.model_name, self.dimension)
            if foreign and not rebuilding:
                raise ForeignIndexError(
                    f"the vector index was built with {row[0]} ({row[1]}-d), not "
                    f"{self.model_name}; run `newsbot reindex`"
                )
            if row is None:
                _create_table(tx, LIVE, self.dimension)
                tx.execute(
                    "INSERT INTO vector_index (model, dimension) VALUES (%s, %s)",
                    [self.model_name, self.dimension],
                )
        return self.fresh() if foreign else self._store(LIVE)

    def fresh(self) -> PostgresVectorStore:
        """An empty table beside the live one for a re-index to fill; ArchiveBusyError if
        another process is re-indexing."""
        if self._staged is not None and self._staged.count == 0:
            return self._staged  # made by `open` for this re-index, still empty
        if self._rebuilding is None or self._rebuilding.closed:
            connection = self.database.connect(vectors=False)
            taken = connection.execute("SELECT pg_try_advisory_lock(%s)", [REBUILD_LOCK])
            if not taken.fetchone()[0]:
                connection.close()
                raise ArchiveBusyError("another process is re-indexing the archive")
            self._rebuilding = connection
        name = REBUILD_PREFIX + uuid.uuid4().hex[:12]
        with self.database.transaction() as tx:
            leftovers = tx.execute(
                "SELECT name FROM vector_counts WHERE name LIKE %s", [REBUILD_PREFIX + "%"]
            ).fetchall()
            for (leftover,) in leftovers:  # of a re-index killed before its swap
                # A stored name: quoted as an identifier, never pasted into the statement.
                tx.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(leftover)))
                tx.execute("DELETE FROM vector_counts WHERE name = %s", [leftover])
            _create_table(tx, name, self.dimension)
        self._staged = self._store(name, graph_later=True)
        return self._staged

    def publish(self, vectors: PostgresVectorStore) -> PostgresVectorStore:
        """Make `vectors` what every process reads: the live table already is; a re-index's
        table replaces it in one transaction (searches in flight finish on the old one)."""
        if vectors.table == LIVE:
            return vectors
        self.prepare(vectors)
        with self.database.transaction() as tx:
            self.swap_in(tx, vectors)
        return self.finished()

    def prepare(self, vectors: PostgresVectorStore) -> None:
        """Build a filled re-index table's graph, once over all of it, before its swap."""
        if vectors.count > self.settings.approximate_after and not vectors._has_hnsw():
            vectors._build_hnsw()

    def swap_in(self, tx: psycopg.Connection, vectors: PostgresVectorStore) -> None:
        """Within `tx`: make the re-index table `vectors` the live one (`newsbot migrate`
        commits it with the rows it copies, so neither is there without the other)."""
        tx.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLISH_LOCK])
        tx.execute(f"DROP TABLE IF EXISTS {LIVE}")
        tx.execute("DELETE FROM vector_counts WHERE name = %s", [LIVE])
        tx.execute(f"ALTER TABLE {vectors.table} RENAME TO {LIVE}")
        tx.execute(f"ALTER INDEX IF EXISTS {vectors.table}_hnsw RENAME TO {LIVE}_hnsw")
        tx.execute(f"ALTER INDEX {vectors.table}_pkey RENAME TO {LIVE}_pkey")
        tx.execute("UPDATE vector_counts SET name = %s WHERE name = %s", [LIVE, vectors.table])
        tx.execute(
            "UPDATE vector_index SET model = %s, dimension = %s",
            [self.model_name, self.dimension],
        )

    def finished(self) -> PostgresVectorStore:
        """After the swap committed: another re-index may start; the live vectors."""
        if self._rebuilding is not None:
            self._rebuilding.close()
            self._rebuilding = None
        self._staged = None
        return self._store(LIVE)

    def stale(self) -> bool:
        """Never: no process holds a copy that another could have replaced."""
        return False

    def size_bytes(self) -> int:
        """The live table with its indexes."""
        return self._store(LIVE).size_bytes()

    def _store(self, table: str, graph_later: bool = False) -> PostgresVectorStore:
        return PostgresVectorStore(
            self.database, table, self.dimension, self.model_name, self.settings, graph_later
        )


def _create_table(tx, name: str, dimension: int) -> None:
    checked_table(name)
    tx.execute(
        f"""CREATE TABLE {name} (
            passage_id bigint PRIMARY KEY,
            embedding vector({int(dimension)}) NOT NULL
        )"""
    )
    tx.execute(
        """INSERT INTO vector_counts (name, vectors) VALUES (%s, 0)
           ON CONFLICT (name) DO UPDATE SET vectors = 0""",
        [name],
    )
    for event, rows in (("INSERT", "NEW"), ("DELETE", "OLD")):
        tx.execute(
            f"""CREATE TRIGGER counted_{event.lower()} AFTER {event} ON {name}
                REFERENCING {rows} TABLE AS changed FOR EACH STATEMENT
                EXECUTE FUNCTION newsbot_count_vectors()"""
        )
