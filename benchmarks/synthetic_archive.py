"""Grow a real archive into a large one (e.g. 1M passages) for the latency and memory
benchmarks, cheaply: no model runs.

    .venv/bin/python benchmarks/synthetic_archive.py SOURCE_DIR OUT_DIR [--passages 1000000]

OUT_DIR starts as a copy of SOURCE_DIR (its SQLite database and vector index, real passages
and real vectors), then synthetic articles are added until it holds --passages passages:

- each synthetic article copies the shape of a random real one (passage count, title,
  outlet, a date within 180 days of it);
- each synthetic passage is a real passage with about a third of its sentences replaced by
  sentences of another random real passage, so FTS5 sees real vocabulary at a realistic
  spread (posting lists grow with the archive, as they would);
- its sentence vectors (stored as ingest stores them) are normalise(v + 0.5 g) of that vector;
- its vector is normalise(v_passage + 0.5 v_donor + 0.3 g), g a random unit-length vector:
  near its sources as the text is, not an embedding of that text. Dense search therefore
  works over a realistic neighbourhood structure (clusters of similar stories), but the
  synthetic passages say nothing about answer quality.

Rows go straight into SQLite (the FTS5 triggers index them) and the vectors into the
archive's own VectorIndex, which switches to HNSW past vectors.approximate_after exactly as
ingest would. Writes OUT_DIR/SYNTHETIC.json describing what was made.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from measuring import machine

from config import load_settings
from index.embedding import SentenceVectors
from index.storage import VectorIndex, metadata_path
from index.text import passage_sentences, sentence_spans

CHUNK_ARTICLES = 2000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a real archive (data directory)")
    parser.add_argument("out", type=Path, help="where to write the large archive (new)")
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists; remove it first")
    began = time.time()
    made = grow(args.source, args.out, args.passages, args.seed)
    print(f"machine: {machine()}")
    print(
        f"{args.out}: {made['passages']} passages ({made['synthetic_passages']} synthetic), "
        f"{made['index']} index, {time.time() - began:.0f} s"
    )
    return 0


def grow(source: Path, out: Path, target: int, seed: int) -> dict:
    out.mkdir(parents=True)
    src_db = sqlite3.connect(f"file:{source / 'newsbot.db'}?mode=ro", uri=True)
    db = sqlite3.connect(out / "newsbot.db", isolation_level=None)
    src_db.backup(db)
    src_db.close()

    settings = load_settings(env={}, overrides={"data_dir": str(out)})
    model = json.loads(metadata_path(source / "vectors.faiss").read_text())["model"]
    vectors = VectorIndex.load(source / "vectors.faiss", 384, model, settings.vectors)

    passages = db.execute(
        """SELECT p.id, p.article_id, p.text, a.title, a.source, a.published
           FROM passages p JOIN articles a ON a.id = p.article_id ORDER BY p.id"""
    ).fetchall()
    real_ids = [row[0] for row in passages]
    real_vectors = vectors.vectors_for(real_ids)
    by_article: dict[str, list[int]] = {}
    for row_number, row in enumerate(passages):
        by_article.setdefault(row[1], []).append(row_number)
    templates = list(by_article.values())
    sentences = [sentence_spans(row[2]) or [(0, len(row[2]))] for row in passages]

    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    have = len(passages)
    article_number = 0
    while have < target:
        article_rows, passage_rows, new_vectors = [], [], []
        next_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM passages").fetchone()[0]
        for _ in range(CHUNK_ARTICLES):
            if have >= target:
                break
            template = rng.choice(templates)[: target - have]
            article_number += 1
            article_id = f"synthetic-{article_number:07d}"
            first = passages[template[0]]
            texts, vecs = [], []
            for row_number in template:
                donor = rng.randrange(len(passages))
                texts.append(_mixed_text(passages, sentences, row_number, donor, rng))
                vecs.append(real_vectors[row_number] + 0.5 * real_vectors[donor])
            body, offsets = _join(texts)
            published = _shifted(first[5], rng)
            article_rows.append(
                (
                    article_id,
                    f"https://synthetic.example/{article_number}",
                    first[3],
                    first[4],
                    published,
                    body,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
            for ordinal, (text, (start, end)) in enumerate(zip(texts, offsets, strict=True)):
                passage_rows.append((next_id, article_id, ordinal, start, end, first[3], text))
                next_id += 1
            new_vectors.extend(vecs)
            have += len(texts)
        with_noise = np.asarray(new_vectors, dtype=np.float32)
        g = noise.standard_normal(with_noise.shape).astype(np.float32)
        with_noise += 0.3 * g / np.linalg.norm(g, axis=1, keepdims=True)
        with_noise /= np.linalg.norm(with_noise, axis=1, keepdims=True)
        sentence_rows = _sentence_rows(passage_rows, with_noise, noise)
        db.execute("BEGIN")
        db.executemany(
            """INSERT INTO articles (id, url, title, source, published, text, ingested_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            article_rows,
        )
        db.executemany(
            """INSERT INTO passages (id, article_id, ordinal, start, "end", title, text)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            passage_rows,
        )
        db.executemany(
            "INSERT INTO passage_sentences (passage_id, spans, vectors) VALUES (?, ?, ?)",
            sentence_rows,
        )
        # The alert queue's trigger queued these as new; a grown archive has matched them.
        db.execute("DELETE FROM alert_queue WHERE article_id LIKE 'synthetic-%'")
        db.execute("COMMIT")
        vectors.add(np.array([row[0] for row in passage_rows], dtype=np.int64), with_noise)
        print(f"  {have} passages, {vectors.kind} index", flush=True)
    db.close()
    vectors.save(out / "vectors.faiss")
    made = {
        "source": str(source),
        "passages": have,
        "real_passages": len(passages),
        "synthetic_passages": have - len(passages),
        "synthetic_articles": article_number,
        "index": vectors.kind,
        "seed": seed,
        "how": "see benchmarks/synthetic_archive.py: real passages with a third of their "
        "sentences swapped for another passage's; vector normalise(v + 0.5 v_donor + 0.3 g)",
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (out / "SYNTHETIC.json").write_text(json.dumps(made, indent=2) + "\n")
    return made


def _sentence_rows(passage_rows, passage_vectors: np.ndarray, noise) -> list[tuple]:
    """Sentence vectors for synthetic passages, stored as ingest stores them: each near its
    passage's vector as late-chunked ones are (for speed and size, not for quality)."""
    rows = []
    for row, vector in zip(passage_rows, passage_vectors, strict=True):
        spans = passage_sentences(row[6])
        g = noise.standard_normal((len(spans), len(vector))).astype(np.float32)
        near = vector + 0.5 * g / np.linalg.norm(g, axis=1, keepdims=True)
        near /= np.linalg.norm(near, axis=1, keepdims=True)
        rows.append((row[0], *SentenceVectors(tuple(spans), near).to_blobs()))
    return rows


def _mixed_text(passages, sentences, row_number: int, donor: int, rng: random.Random) -> str:
    """The passage's sentences, about a third of them swapped for the donor's, in order."""
    own, theirs = sentences[row_number], sentences[donor]
    text, donor_text = passages[row_number][2], passages[donor][2]
    out = []
    for index, (start, end) in enumerate(own):
        if rng.random() < 1 / 3:
            s, e = theirs[index % len(theirs)]
            out.append(donor_text[s:e])
        else:
            out.append(text[start:end])
    return " ".join(out)


def _join(texts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The article body and each passage's offsets in it (passages are exact slices)."""
    offsets, position = [], 0
    for text in texts:
        offsets.append((position, position + len(text)))
        position += len(text) + 2
    return "\n\n".join(texts), offsets


def _shifted(published: str | None, rng: random.Random) -> str | None:
    if not published:
        return None
    try:
        when = datetime.fromisoformat(published)
    except ValueError:
        return published
    shifted = when + timedelta(days=rng.randint(-180, 180))
    # Keep the stored form: a bare date stays a bare date.
    return shifted.date().isoformat() if len(published) == 10 else shifted.isoformat()


if __name__ == "__main__":
    sys.exit(main())
