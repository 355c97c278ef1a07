"""Where an archive is kept, chosen in one place: `open_backend(settings, ...)` reads
`storage.url` and opens the backend its scheme names (SQLite + FAISS in the data directory
when it is empty, PostgreSQL + pgvector for postgresql://). Each backend is a folder here
that opens its own schema, passage store, vectors and state stores; adding one is a folder
and a line in `BACKENDS` (index/backends/choice.py)."""

from index.backends.backend import Backend, OnAcquire
from index.backends.choice import BACKENDS, Choice, keeps_data_dir, open_backend

__all__ = ["BACKENDS", "Backend", "Choice", "OnAcquire", "keeps_data_dir", "open_backend"]
