"""What the layers above storage may ask of it: the archive of articles and passages, and the
vector index. SQLite (passages.py) with FAISS (vectors.py) is one implementation,
PostgreSQL with pgvector (postgres/) the other; code in
retrieval/, bot/ and index/ingest.py depends on these Protocols only, so another backend can
take their place without them knowing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from index.errors import StoreError

if TYPE_CHECKING:
    from index.embedding.sentence_vectors import SentenceVectors
    from index.text.articles import Article
    from index.text.passages import PassageSpan


@dataclass(frozen=True)
class PassageRecord:
    """A stored passage with the article facts needed to quote and cite it."""

    id: int
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    title: str
    source: str
    url: str | None
    published: str | None


@dataclass(frozen=True)
class StoryRecord:
    """A stored story (an original article, not a near-copy) as a news listing shows it, with
    the outlets of the near-copies stored as its duplicates."""

    article_id: str
    title: str
    source: str
    url: str | None
    published: str | None
    first_passage: int | None  # its opening passage, whose vector stands for the story
    copies: tuple[str, ...] = ()  # the outlet of each near-copy


@dataclass(frozen=True)
class StoredArticle:
    """What `add_article` did: the id, whether it was new, and the passages it got."""

    id: str
    added: bool
    duplicate_of: str | None
    passage_ids: tuple[int, ...]


@runtime_checkable
class PassageStore(Protocol):
    """Articles and their passages, the source of truth, with full-text (BM25) search."""

    def has_article(self, article_id: str) -> bool: ...

    def add_article(
        self,
        article: Article,
        spans: Sequence[PassageSpan],
        feed_url: str | None = None,
        sentences: Sequence[SentenceVectors] | None = None,
    ) -> StoredArticle:
        """Store the article and its passages (and their sentence vectors, when given) at
        once; a no-op if it is already stored."""
        ...

    def delete_article(self, article_id: str) -> list[int]:
        """Remove an article and its passages; returns the removed passage ids."""
        ...

    def article(self, article_id: str) -> dict | None: ...

    def passages(self, ids: Sequence[int]) -> dict[int, PassageRecord]: ...

    def article_passages(self, article_id: str) -> list[PassageRecord]: ...

    def passage_ids_of_articles(self, article_ids: Sequence[str]) -> list[int]: ...

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        title_weight: float = 1.0,
        text_weight: float = 1.0,
        after_id: int = 0,
        published_by: str | None = None,
    ) -> list[tuple[int, float]]:
        """(passage_id, score), higher = better, among passages with id > after_id and, when
        `published_by` (ISO, UTC) is given, of articles published by then or undated."""
        ...

    def passage_ids_published_after(self, moment: str) -> list[int]:
        """The passages of articles published after `moment` (ISO, UTC): what a search as of
        that moment must not see."""
        ...

    def document_frequencies(self, terms: Sequence[str], after_id: int = 0) -> dict[str, int]:
        """How many passages with id > after_id contain each term."""
        ...

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, SentenceVectors]:
        """The sentence vectors of those passages that have them."""
        ...

    def put_sentence_vectors(self, rows: Sequence[tuple[int, SentenceVectors]]) -> None: ...

    def max_passage_id(self) -> int: ...

    def passage_ids(self) -> list[int]: ...

    def passage_summary(self) -> tuple[int, int]:
        """(count, max id) of passages."""
        ...

    def iter_passages_for_embedding(
        self, after_id: int = 0, batch: int = 2048
    ) -> Iterator[list[tuple[int, str, str]]]:
        """(id, title, text) of every passage with id > after_id, in id order, in batches."""
        ...

    def recent_article_passage_ids(self, limit: int) -> dict[str, list[int]]: ...

    def newest_published(self, before: str) -> str | None: ...

    def recent_titles(self, limit: int) -> list[str]: ...

    def stories(self, since: str, before: str, limit: int) -> list[StoryRecord]:
        """Up to `limit` originals published in [since, before) (ISO strings), newest first,
        each with the outlets of its near-copies. Undated articles are not listed."""
        ...

    def copies_of(self, article_ids: Sequence[str]) -> dict[str, list[str]]:
        """The outlet of each stored near-copy of these articles, by original."""
        ...

    def counts(self) -> dict[str, int]:
        """Articles, duplicates and passages stored."""
        ...


@runtime_checkable
class VectorStore(Protocol):
    """Passage ids and their vectors: nearest neighbours as plain (id, score) pairs."""

    @property
    def count(self) -> int: ...

    @property
    def kind(self) -> str: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> int: ...

    def search(
        self, queries: np.ndarray, k: int, excluded: Collection[int] = ()
    ) -> list[list[tuple[int, float]]]:
        """For each query row, up to k (id, score) pairs, best first, none of `excluded`:
        they are left out inside the search, so k others take their places."""
        ...

    def ids(self) -> np.ndarray: ...

    def summary(self) -> tuple[int, int]:
        """(count, max id) of the stored vectors: a cheap check against the passages."""
        ...

    def vectors_for(self, ids: list[int]) -> np.ndarray: ...


def checked_batch(
    ids: np.ndarray, vectors: np.ndarray, dimension: int
) -> tuple[np.ndarray, np.ndarray]:
    """What `VectorStore.add` takes: int64 ids and one float32 row of `dimension` per id;
    StoreError for anything else."""
    ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.shape != (len(ids), dimension):
        raise StoreError(f"expected {len(ids)} vectors of {dimension} dimensions")
    return ids, vectors


@runtime_checkable
class VectorHome(Protocol):
    """Where an archive's vectors are kept between processes, and how a process gets them:
    a FAISS file in the data directory (a copy in each process's memory, saved and loaded
    again), or a PostgreSQL table (one copy every process reads)."""

    def open(self, rebuilding: bool = False) -> VectorStore:
        """The archive's vectors, refused (ForeignIndexError) if another model made them;
        set aside and started empty instead when `rebuilding`."""
        ...

    def fresh(self) -> VectorStore:
        """An empty store beside the current one, for a re-index to fill."""
        ...

    def publish(self, vectors: VectorStore) -> VectorStore:
        """Make `vectors` what every process reads (save, or swap a re-index in); returns
        the store to use from now on."""
        ...

    def stale(self) -> bool:
        """Another process published since this one last opened or published."""
        ...

    def size_bytes(self) -> int: ...
