"""Topic alerts: a profile threshold from the topic's breadth, chosen on one corpus and
reported on the other (benchmarks/README.md "Topic alerts on news sections", breadth).

    .venv/bin/python benchmarks/alerts_breadth.py --cache-path /work/cache/embeddings.sqlite \
        [--sections-dir /work/cache/sections-alerts] [--bbc-dir /work/cache/bbc-alerts]

The archive halves of both alert benchmarks (alerts_sections.py, alerts_quality.py store them
in their --work-dir once; run those first) are copied; every topic subscribes and learns its
profile from the archive half; the news half arrives (Ingestor); then every story of both
halves gets `alerting.profile_value` for every topic: what decides a match at a profile
threshold t (value >= t). A rule bar = a + b x statistic(the topic's profile) is chosen on a
grid by macro-F1 on one corpus's archive half (the sections' short phrasings, or BBC's five
categories, as the single threshold is chosen) and reported on both news halves. b = 0 with
a = the default reproduces the benchmarks' figures at one threshold.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import tempfile
from pathlib import Path

import alerts_quality as bbc
import alerts_sections as sections
import numpy as np
from alerting import Archives, jaccard, prf, profile_value, stored_ids, subscribe_all

from index import Ingestor
from index.state import DeliveryOutbox, SubscriptionStore
from retrieval.alerts import DEFAULT_ALERT_MODEL, AlertMatcher, parse_topic

SHORT = [t for texts in sections.BROAD.values() for t in texts]
BBC_TOPICS = list(bbc.TOPICS.values())
# The statistics tried, each with the grid of slopes b.
SLOPES = {
    "log share of the sample in the feedback set": np.linspace(-0.4, 0.4, 33),
    "words in the topic": np.linspace(-0.2, 0.2, 21),
    "raw top score of the profile": np.linspace(-3, 3, 31),
}
INTERCEPTS = np.linspace(-0.5, 1.5, 81)


def breadth(matcher: AlertMatcher, text: str) -> dict[str, float]:
    """The topic's breadth as its profile shows it (every statistic 0 without a profile)."""
    query = parse_topic(text).query
    profile = matcher.topic_profiles([query])[0]
    if profile is None:
        return dict.fromkeys(SLOPES, 0.0)
    # The sample is private to TopicProfiles: a benchmark may look.
    scores = matcher.profiles._sample.articles @ profile.vector
    model = matcher.model
    relative = model.feedback_relative_cosine
    most = max(min(model.feedback_articles, len(scores) // 5), 1)
    k = int(np.clip((scores >= relative * scores.max()).sum(), min(10, most), most))
    return dict(
        zip(SLOPES, (float(np.log(k / len(scores))), len(query.split()), profile.top), strict=True)
    )


class Corpus:
    """One benchmark's topics, their breadth, and profile values on both halves."""

    def __init__(self, archives, history: Path, texts, news, halves, gold, scratch: Path):
        archive = archives.open(Path(shutil.copytree(history, scratch)))
        store = SubscriptionStore(archive.database)
        subscribe_all(store, texts)
        outbox = DeliveryOutbox(archive.database)
        matcher = AlertMatcher(archive, store, outbox, archive.settings.alerts)
        active = {s.query: s for s in store.active()}
        matcher.topic_profiles(list(active))  # learnt from the archive half only
        self.breadth = {t: breadth(matcher, t) for t in texts}

        def values(ids):
            found = [e for e in (matcher.evidence(i) for i in ids) if e is not None]
            return {
                t: {
                    e.article_id: profile_value(matcher, active[parse_topic(t).query], e)
                    for e in found
                }
                for t in texts
            }

        archive_ids = stored_ids(archive, halves[0])
        self.values = {"archive": values(archive_ids)}
        Ingestor(archive).ingest(news)
        news_ids = stored_ids(archive, halves[1])
        self.values["news"] = values(news_ids)
        self.gold = {"archive": gold(archive_ids), "news": gold(news_ids)}

    def alerts(self, half: str, statistic: str, a: float, b: float, topics=None):
        """Topic -> the stories of that half it matches at bar a + b x its statistic."""
        rows = self.values[half]
        return {
            t: {i for i, v in rows[t].items() if v >= a + b * self.breadth[t][statistic]}
            for t in (rows if topics is None else topics)
        }

    def macro(self, half: str, topics, statistic: str, a: float, b: float) -> float:
        found = self.alerts(half, statistic, a, b, topics)
        return float(np.mean([prf(found[t], self.gold[half][t])[2] for t in topics]))


def section_goals(corpus: Corpus, statistic: str, a: float, b: float) -> str:
    found, gold = corpus.alerts("news", statistic, a, b), corpus.gold["news"]
    rows = {t: prf(found[t], gold[t]) for t in found}
    agreement = [
        np.mean(
            [jaccard(found[x], found[y]) for x, y in itertools.combinations([*texts, described], 2)]
        )
        for texts, described in zip(
            sections.BROAD.values(), sections.DESCRIPTIVE.values(), strict=True
        )
    ]
    sent = sum(len(found[t]) for t in sections.NARROW)
    hits = sum(len(found[t] & gold[t]) for t in sections.NARROW)
    described = sections.DESCRIPTIVE.values()
    return (
        f"macro-F1 short {np.mean([rows[t][2] for t in SHORT]):.3f}, least recall"
        f" {min(rows[t][1] for t in SHORT):.3f}, descriptive"
        f" {np.mean([rows[t][2] for t in described]):.3f}, Jaccard {np.mean(agreement):.3f},"
        f" names' precision {hits / sent if sent else 0.0:.3f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-path", help="the shared embedding cache file")
    parser.add_argument("--sections-dir", type=Path, default=Path("/work/cache/sections-alerts"))
    parser.add_argument("--bbc-dir", type=Path, default=Path("/work/cache/bbc-alerts"))
    args = parser.parse_args()
    archives = Archives(args.cache_path)
    pool = sections.Pool(2400, 2500)
    keys = sections.phrasings()
    history = args.sections_dir / f"history-{len(pool.articles)}-2500"
    articles, category, half = bbc.load_bbc()
    by_text = {text: key for key, text in bbc.TOPICS.items()}
    with tempfile.TemporaryDirectory(prefix="newsbot-breadth-") as work:
        corpora = {
            "sections": Corpus(
                archives,
                history,
                list(keys),
                pool.of_half(1),
                [{a.id for a in pool.of_half(h)} for h in (0, 1)],
                lambda ids: (lambda gold: {t: gold[keys[t]] for t in keys})(pool.gold(ids)),
                Path(work) / "sections",
            ),
            "bbc": Corpus(
                archives,
                args.bbc_dir / "history",
                BBC_TOPICS + bbc.NARROW,
                [a for a in articles if half[a.id] == 1],
                [{i for i, h in half.items() if h == n} for n in (0, 1)],
                lambda ids: {t: {i for i in ids if category[i] == by_text[t]} for t in BBC_TOPICS},
                Path(work) / "bbc",
            ),
        }
    default = DEFAULT_ALERT_MODEL.profile_threshold
    chosen_by = {"sections": SHORT, "bbc": BBC_TOPICS}
    print(
        f"one bar {default}: sections {section_goals(corpora['sections'], 'words in the topic', default, 0.0)};"
        f" BBC macro-F1 {corpora['bbc'].macro('news', BBC_TOPICS, 'words in the topic', default, 0.0):.3f}"
    )
    for statistic, slopes in SLOPES.items():
        for name, topics in chosen_by.items():
            a, b = max(
                itertools.product(INTERCEPTS, slopes),
                key=lambda ab, n=name, t=topics: corpora[n].macro("archive", t, statistic, *ab),
            )
            print(
                f"{statistic}, chosen on {name}: a {a:.3f}, b {b:.3f}; news sections"
                f" {section_goals(corpora['sections'], statistic, a, b)}; BBC macro-F1"
                f" {corpora['bbc'].macro('news', BBC_TOPICS, statistic, a, b):.3f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
