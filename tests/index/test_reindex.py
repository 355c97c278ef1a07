"""Re-indexing swaps a new vector index in atomically; questions asked meanwhile never fail."""

from __future__ import annotations

import threading

from index import Ingestor
from newsbot_testing.made_up import distinct_article
from newsbot_testing.postgres import both_backends
from retrieval import Answerer


@both_backends
def test_reads_never_fail_while_reindexing(seed_archive):
    Ingestor(seed_archive).ingest(distinct_article(i) for i in range(40))
    answerer = Answerer(seed_archive, seed_archive.settings.retrieval)
    before = seed_archive.vectors
    errors: list[BaseException] = []
    answers = []
    done = threading.Event()

    def ask_repeatedly() -> None:
        while not done.is_set():
            try:
                answers.append(answerer.answer("What condition did Zelensky set?"))
            except BaseException as error:  # noqa: BLE001 - the test reports any failure
                errors.append(error)

    readers = [threading.Thread(target=ask_repeatedly) for _ in range(2)]
    for reader in readers:
        reader.start()
    progress: list[tuple[int, int]] = []
    seed_archive.reindex(lambda done_, total: progress.append((done_, total)))
    done.set()
    for reader in readers:
        reader.join()
    assert errors == []
    assert answers and all(a.answered and "Zelensky" in a.quotes[0].title for a in answers)
    assert seed_archive.vectors is not before
    assert seed_archive.vectors.count == seed_archive.store.passage_summary()[0]
    assert progress[-1][0] == progress[-1][1]
    # FAISS saved its file; PostgreSQL keeps the vectors in the database alone
    assert seed_archive.vectors_path.exists() == (not seed_archive.settings.storage.url)
