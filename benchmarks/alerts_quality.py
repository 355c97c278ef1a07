"""Topic alert quality (benchmarks/README.md "Topic alerts"): precision, recall and F1 of /subscribe alerts on BBC news.

    .venv/bin/python benchmarks/alerts_quality.py [--cache-path /work/cache/embeddings.sqlite]
        [--work-dir /work/cache/bbc-alerts] [--json FILE]
        [--profile-threshold T] [--quick]

Five chats subscribe with a plain phrase per BBC category. The articles are split by id (the
first byte of sha1(id), even = tuning half, odd = reporting half). The tuning half is the
archive the chats subscribe on: topic profiles learn from it, and the profile threshold is the
one single value (for all topics) with the best macro-F1 on it (or --profile-threshold, a value
chosen on another corpus: benchmarks/alerts_sections.py). Then the reporting half is
ingested through the Ingestor as news arriving after the subscriptions, matched by
`AlertMatcher.process_queue()` exactly as the bot does, and the deliveries in the outbox are
counted against the categories. Articles the archive stores as near-duplicates of another get
no alert by design and are left out of the counts.

Narrow-topic flood: six more chats follow narrow topics (NARROW); on the reporting half the
script counts each one's alerts and, as a precision proxy, how many of them name the topic
(the article's words include every content word of the topic, stemmed: the test the lexical
relief uses), next to how many reporting articles name it at all.

Ablations score the reporting half with `AlertMatcher.relevance()` under other settings (same
profiles, built before the reporting half arrived). The tuning archive is built once in
--work-dir (embeddings come from the shared cache file when given); each run works on copies.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from alerting import Archives, add_common_arguments, prf, stored_ids
from alerting import best_threshold as shared_best_threshold
from measuring import DATA, machine

from config import load_settings
from index import Ingestor, NewsArchive
from index.state import DeliveryOutbox, SubscriptionStore
from index.text import Article
from newsbot_testing.bbc_news import CATEGORY_TOPICS
from retrieval.alerts import DEFAULT_ALERT_MODEL, AlertMatcher, names_topic, parse_topic

BBC = DATA / "bbc" / "bbc-articles.jsonl.gz"
TOPICS = CATEGORY_TOPICS
# Narrow topics: a chat following one must not get its whole category (the flood measurement).
NARROW = ["ceasefire talks", "chelsea", "ipod", "oil prices", "oscars", "tsunami"]


def load_bbc() -> tuple[list[Article], dict[str, str], dict[str, int]]:
    """Articles, category by article id, half (0 tuning, 1 reporting) by article id."""
    articles, category, half = [], {}, {}
    with gzip.open(BBC, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            url = f"https://www.bbc.co.uk/news/{row['id']}"
            article = Article(row["title"], row["text"], url, "BBC News", "2005-02-01")
            articles.append(article)
            category[article.id] = row["category"]
            half[article.id] = hashlib.sha1(row["id"].encode()).digest()[0] % 2
    return articles, category, half


def table(name: str, rows: dict[str, tuple[float, float, float]]) -> dict:
    macro = float(np.mean([r[2] for r in rows.values()]))
    print(f"\n{name}\n  {'topic':34s}  P      R      F1")
    for key, (p, r, f) in rows.items():
        print(f"  {TOPICS[key]:34s}  {p:.3f}  {r:.3f}  {f:.3f}")
    print(f"  {'macro-F1':34s}                {macro:.3f}")
    return {
        "macro_f1": macro,
        "topics": {k: dict(zip("prf", v, strict=True)) for k, v in rows.items()},
    }


class Bench:
    def __init__(self, work_dir: Path, cache_path: str | None) -> None:
        self.work_dir = work_dir
        self.archives = Archives(cache_path)
        self.articles, self.category, self.half = load_bbc()

    def archive(self, data_dir: Path) -> NewsArchive:
        return self.archives.open(data_dir)

    def history(self) -> Path:
        """The tuning half, stored once (delete the folder to rebuild it)."""
        return self.archives.stored_once(
            self.work_dir / "history",
            lambda: [a for a in self.articles if self.half[a.id] == 0],
            "tuning half of the BBC corpus",
        )

    def gold(self, ids: list[str]) -> dict[str, set[str]]:
        return {k: {i for i in ids if self.category[i] == k} for k in TOPICS}


def subscribe(store: SubscriptionStore) -> dict[int, str]:
    """One chat per category, then one per narrow topic; returns category by subscription id
    (the categories only)."""
    found = {}
    for chat_id, (key, text) in enumerate(TOPICS.items(), 1):
        topic = parse_topic(text)
        subscription, _ = store.add(chat_id, None, topic.text, topic.query)
        found[subscription.id] = key
    for chat_id, text in enumerate(NARROW, len(TOPICS) + 1):
        topic = parse_topic(text)
        store.add(chat_id, None, topic.text, topic.query)
    return found


def narrow_flood(matcher: AlertMatcher, ids: list[str]) -> dict[str, dict[str, int]]:
    """For each narrow topic: alerts by the matcher's rule, how many of them name the topic,
    and how many of the articles name it."""
    subscriptions = {s.query: s for s in matcher.subscriptions.active()}
    out = {t: {"alerts": 0, "naming": 0, "articles_naming": 0} for t in NARROW}
    for article_id in ids:
        evidence = matcher.evidence(article_id)
        if evidence is None:
            continue
        for text in NARROW:
            query = parse_topic(text).query
            named = names_topic(evidence.stems, query)  # the precision proxy
            out[text]["articles_naming"] += named
            if matcher.score(subscriptions[query], evidence) is not None:
                out[text]["alerts"] += 1
                out[text]["naming"] += named
    return out


def flood_table(name: str, rows: dict[str, dict[str, int]]) -> dict:
    print(f"\n{name}\n  {'topic':18s}  alerts  naming it  precision proxy  articles naming it")
    for text, r in rows.items():
        proxy = r["naming"] / r["alerts"] if r["alerts"] else float("nan")
        r["precision_proxy"] = proxy
        print(
            f"  {text:18s}  {r['alerts']:6d}  {r['naming']:9d}  {proxy:15.2f}"
            f"  {r['articles_naming']:18d}"
        )
    return rows


def scores(matcher: AlertMatcher, ids: list[str]) -> dict[str, dict[str, tuple]]:
    """topic -> article id -> (best passage cosine, profile score or None, matched by the
    matcher's own rule at its settings, the profile's reach floor)."""
    subscriptions = {s.query: s for s in matcher.subscriptions.active()}
    out: dict[str, dict[str, tuple]] = {k: {} for k in TOPICS}
    for article_id in ids:
        evidence = matcher.evidence(article_id)
        if evidence is None:
            continue
        for key, text in TOPICS.items():
            subscription = subscriptions[parse_topic(text).query]
            found = matcher.relevance(subscription, evidence)
            if found is not None:
                matched = matcher.score(subscription, evidence) is not None
                profile = matcher.topic_profiles([subscription.query])[0]
                floor = profile.floor if profile is not None else -np.inf
                out[key][article_id] = (found[1], found[2], matched, floor)
    return out


def value(found: tuple, rule: str) -> float:
    if rule == "cosine":
        return found[0]
    # A profile score below the profile's reach floor cannot match, whatever the threshold.
    return found[1] if found[1] is not None and found[1] >= found[3] else -np.inf


def best_threshold(table_scores, gold, rule: str) -> tuple[float, float]:
    """The single threshold (the same for every topic) with the best macro-F1."""
    values = {k: {i: value(f, rule) for i, f in t.items()} for k, t in table_scores.items()}
    return shared_best_threshold(values, gold)


def rows_for(table_scores, gold, predicate) -> dict[str, tuple[float, float, float]]:
    return {
        k: prf({i for i, f in table_scores[k].items() if predicate(f)}, gold[k]) for k in TOPICS
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, "/work/cache/bbc-alerts", "alerts_sections.py, news sections")
    parser.add_argument("--quick", action="store_true", help="no ablations")
    args = parser.parse_args()
    bench = Bench(args.work_dir, args.cache_path)
    began = time.perf_counter()
    history = bench.history()
    settings = load_settings(env={}).alerts
    defaults = DEFAULT_ALERT_MODEL
    unguarded = dataclasses.replace(defaults, profile_min_overlap=0.0, profile_max_expansion=1e9)
    variants = {
        "final (defaults)": defaults,
        "no drift/reach guards (before the narrow-topic fix)": unguarded,
        "drift guard only (no reach cap)": dataclasses.replace(defaults, profile_max_expansion=1e9),
        "reach cap 1.5": dataclasses.replace(defaults, profile_max_expansion=1.5),
        "reach cap 3": dataclasses.replace(defaults, profile_max_expansion=3.0),
        "1 feedback round": dataclasses.replace(defaults, feedback_rounds=1),
        "feedback from the closest 0.6 (not 0.5)": dataclasses.replace(
            defaults, feedback_relative_cosine=0.6
        ),
        "at most 100 feedback articles": dataclasses.replace(defaults, feedback_articles=100),
        "topic weight 0.3": dataclasses.replace(defaults, feedback_topic_weight=0.3),
        "topic weight 0.6": dataclasses.replace(defaults, feedback_topic_weight=0.6),
    }
    if args.quick:
        variants = {k: v for k, v in variants.items() if k.startswith(("final", "no drift"))}
    results: dict = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="newsbot-bbc-alerts-") as work:
        # Tuning: every tuning article scored for every topic; thresholds chosen here only.
        tune_dir = Path(shutil.copytree(history, Path(work) / "tune"))
        tune_archive = bench.archive(tune_dir)
        store = SubscriptionStore(tune_archive.database)
        subscribe(store)
        tune_ids = stored_ids(tune_archive, {i for i, h in bench.half.items() if h == 0})
        tune_gold = bench.gold(tune_ids)
        tuned = {}
        for name, model in variants.items():
            matcher = AlertMatcher(
                tune_archive, store, DeliveryOutbox(tune_archive.database), settings, model=model
            )
            tuned[name] = scores(matcher, tune_ids)
        cosine_threshold, cosine_tune = best_threshold(
            tuned["final (defaults)"], tune_gold, "cosine"
        )
        thresholds = {name: best_threshold(t, tune_gold, "profile") for name, t in tuned.items()}
        chosen = thresholds["final (defaults)"][0]
        if args.profile_threshold is not None:
            chosen = args.profile_threshold
        print(
            f"tuning half: {len(tune_ids)} articles; best single cosine threshold"
            f" {cosine_threshold:.3f} (macro-F1 {cosine_tune:.3f}); best profile threshold"
            f" {thresholds['final (defaults)'][0]:.3f} (macro-F1"
            f" {thresholds['final (defaults)'][1]:.3f}); used {chosen:.3f};"
            f" default {defaults.profile_threshold}"
        )

        # Reporting: the other half arrives as news; the bot's own matching fills the outbox.
        report_dir = Path(shutil.copytree(history, Path(work) / "report"))
        model = dataclasses.replace(defaults, profile_threshold=chosen)
        archive = bench.archive(report_dir)
        store = SubscriptionStore(archive.database)
        by_subscription = subscribe(store)
        outbox = DeliveryOutbox(archive.database)
        matcher = AlertMatcher(archive, store, outbox, settings, model=model)
        matchers = {
            name: AlertMatcher(
                archive,
                store,
                outbox,
                settings,
                model=dataclasses.replace(a, profile_threshold=thresholds[name][0]),
            )
            for name, a in variants.items()
        }
        queries = [s.query for s in store.active()]
        for m in [matcher, *matchers.values()]:
            m.topic_profiles(queries)  # learnt at subscription time, from the tuning half only
        reporting = [a for a in bench.articles if bench.half[a.id] == 1]
        ingest_began = time.perf_counter()
        report = Ingestor(archive).ingest(reporting)
        enqueued = matcher.process_queue()
        match_seconds = time.perf_counter() - ingest_began
        report_ids = stored_ids(archive, {a.id for a in reporting})
        gold = bench.gold(report_ids)
        delivered: dict[str, set[str]] = {k: set() for k in TOPICS}
        for subscription_id, article_id in archive.database.connection().execute(
            "SELECT subscription_id, article_id FROM deliveries"
        ):
            if subscription_id in by_subscription:  # the narrow topics are counted below
                delivered[by_subscription[subscription_id]].add(article_id)
        print(
            f"reporting half: {report.summary()}; {len(report_ids)} scored; {enqueued} alerts; "
            f"ingest + matching {match_seconds:.0f} s"
        )
        results["final"] = table(
            f"Final: the bot's matching (profile threshold {chosen:.3f}), deliveries in the outbox",
            {k: prf(delivered[k] & set(report_ids), gold[k]) for k in TOPICS},
        )
        results["final"]["profile_threshold"] = chosen
        results["final"]["model"] = dataclasses.asdict(model)  # every fitted value it ran with

        base = scores(matchers["final (defaults)"], report_ids)
        results["topic_alone_best_threshold"] = table(
            f"Baseline-like: topic alone, best passage cosine >= {cosine_threshold:.3f} (chosen on tuning half)",
            rows_for(base, gold, lambda f: f[0] >= cosine_threshold),
        )
        absolute = AlertMatcher(
            archive, store, outbox, dataclasses.replace(settings, profile_articles=0)
        )
        results["absolute_rule_only"] = table(
            f"Before this change: best passage cosine >= {defaults.threshold}"
            f" (-{defaults.lexical_relief} when naming the topic), no profile",
            rows_for(scores(absolute, report_ids), gold, lambda f: f[2]),
        )
        for name, m in matchers.items():
            t = thresholds[name][0]
            results[name] = table(
                f"Ablation: {name}, profile only (threshold {t:.3f},"
                f" tuning macro-F1 {thresholds[name][1]:.3f})",
                rows_for(scores(m, report_ids), gold, lambda f, t=t: value(f, "profile") >= t),
            )
        results["narrow_flood"] = flood_table(
            "Narrow topics, reporting half: the bot's rule (final)",
            narrow_flood(matchers["final (defaults)"], report_ids),
        )
        before = matchers["no drift/reach guards (before the narrow-topic fix)"]
        results["narrow_flood_before"] = flood_table(
            "Narrow topics, reporting half: before the fix (no drift/reach guards,"
            f" profile threshold {thresholds['no drift/reach guards (before the narrow-topic fix)'][0]:.3f})",
            narrow_flood(before, report_ids),
        )
    results["seconds"] = time.perf_counter() - began
    print(f"\nmachine: {results['machine']}; {results['seconds']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
