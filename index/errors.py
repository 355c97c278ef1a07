"""Errors raised by index/. Each message is one sentence a user can act on.

IndexError_ is the root (named so to avoid shadowing the built-in IndexError):
- SourceError: a file, URL or feed could not be read or held no article.
  - FetchError: the HTTP request failed (refused address, timeout, status, size, type).
- StoreError: the SQLite database or FAISS index is missing, corrupt or inconsistent.
  - ForeignIndexError: the vector index was built by another model or backend.
"""


class IndexError_(Exception):
    """Root of the errors raised while ingesting or storing news."""


class SourceError(IndexError_):
    """A source (file, URL, feed) could not be read or contained no usable article."""


class FetchError(SourceError):
    """An HTTP fetch failed: refused address, timeout, bad status, too large, wrong type."""


class StoreError(IndexError_):
    """The database or the vector index cannot be used as it is."""


class ForeignIndexError(StoreError):
    """The vector index holds another model's vectors (e.g. torch's, after a backend change)."""
