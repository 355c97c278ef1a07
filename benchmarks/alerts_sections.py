"""Topic alerts on news sections (benchmarks/README.md "Topic alerts on news sections"):
/subscribe as people type it, labelled by the newspaper section in each story's URL.

    .venv/bin/python benchmarks/alerts_sections.py --cache-path /work/cache/embeddings.sqlite \
        [--work-dir /work/cache/sections-alerts] [--json FILE] [--sample 2400]
        [--max-chars 2500] [--choose-threshold | --profile-threshold T]
        [--smoke]

The RealTimeQA dev pool (../shared/data/realtimeqa; USA Today, CNN and The Week pages; 4,653
stories, 69,000 passages) takes over an hour to embed on two shared cores, so by default a
fixed-seed sample of 2,400 stories is used, each cut to its first 2,500 characters (at a
sentence end; a section is told by a story's opening). The sample is split by URL: the first
byte of sha1(url) even = the archive half, odd = the news half. The
archive half is stored first and the chats subscribe on it (topic profiles learn from it, and
the plain cosine anchor's threshold is chosen on it with labels). The news half then arrives
through the bot's path: `Ingestor` stores it, the database queues it in the outbox,
`AlertMatcher.process_queue()` matches it, and the deliveries are counted.

Labels. Broad topics: the section in the URL path (USA Today `story/sports/nfl/...`, CNN
`/2022/05/21/politics/...`, The Week `news/politics/...`; SECTIONS). Narrow topics (names):
NFL and NBA by the USA Today subsection (`sports/nfl`, `sports/nba`), the others by the name
written in the title or the first 500 characters (the story is about them, not a mention).
Every story without the label is a negative, so labels are imperfect (a health story can sit
in `news/nation`): read the figures beside the anchor, which runs on the same stories.

Topics. Each broad section as one or two everyday words and their paraphrases (BROAD), and
as a descriptive phrase (DESCRIPTIVE), each its own chat; NARROW names. Reported: precision,
recall and F1 per phrasing; macro-F1 over the short phrasings; paraphrase agreement (the
mean Jaccard of the alert sets of two phrasings of one section, over every pair); narrow-topic
precision; and the anchor: the cosine of the topic phrase to the story's title and opening
(one embedding) >= one threshold for every topic, chosen on the archive half.

Articles the archive stores as near-duplicates of another get no alert by design and are left
out of the counts. --smoke runs a few dozen short articles in seconds (no figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from alerting import (
    Archives,
    add_common_arguments,
    best_threshold,
    delivered,
    jaccard,
    prf,
    profile_value,
    stored_ids,
    subscribe_all,
)
from measuring import machine, rtqa_articles

from index import Ingestor
from index.state import DeliveryOutbox, SubscriptionStore
from index.text import Article
from retrieval.alerts import (
    DEFAULT_ALERT_MODEL,
    AlertMatcher,
    AlertModel,
    move_topic,
    parse_topic,
    profile_shift,
    raised_bar,
)

# Section label -> the URL path segments that mean it (any segment of the section path).
SECTIONS = {
    "sports": {"sports", "sport", "football", "tennis", "golf", "motorsport"},
    "politics": {"politics"},
    "entertainment": {"entertainment", "celebrities", "movies", "tv", "music", "people"},
    "business": {"money", "business", "economy", "investing", "business-food", "homes"},
    "technology": {"tech", "technology"},
    "health": {"health", "science-health"},
    "travel": {"travel"},
}
# One or two everyday words; the first is the section's own word.
BROAD = {
    "sports": ["sports", "sport"],
    "politics": ["politics", "political news"],
    "entertainment": ["entertainment", "showbiz", "celebrities"],
    "business": ["business", "economy", "money"],
    "technology": ["technology", "tech"],
    "health": ["health", "medicine"],
    "travel": ["travel", "tourism"],
}
DESCRIPTIVE = {
    "sports": "sports, games and athletes",
    "politics": "politics and government",
    "entertainment": "film, music and entertainment",
    "business": "business and the economy",
    "technology": "technology and gadgets",
    "health": "health and medicine",
    "travel": "travel, holidays and airlines",
}
# Name topics as typed -> how a story is labelled as theirs: a USA Today subsection, or the
# name written in the title or the opening.
NARROW = {
    "NFL": ("subsection", "sports/nfl"),
    "NBA": ("subsection", "sports/nba"),
    "Taylor Swift": ("name", "Taylor Swift"),
    "Elon Musk": ("name", "Elon Musk"),
    "Ukraine": ("name", "Ukraine"),
    "Gaza": ("name", "Gaza"),
    "Super Bowl": ("name", "Super Bowl"),
}
OPENING_CHARS = 500
VOTES = (5, 10)  # simulated votes per topic


def section_path(url: str) -> list[str]:
    """The section segments of a story's URL path (no dates, ids or the story's slug)."""
    parsed = urlparse(url)
    parts = [p for p in parsed.path.strip("/").split("/") if p]
    if "usatoday" in parsed.netloc and parts[:1] == ["story"]:
        parts = parts[1:]
    parts = parts[:-1] if len(parts) > 1 else parts  # the slug (or index.html)
    if "cnn" in parsed.netloc:
        parts = parts[:-1]  # CNN: /yyyy/mm/dd/section/slug/index.html
    return [p for p in parts if not p.isdigit()]


def labels(row: dict) -> set[str]:
    """The section and name labels of one story."""
    path = section_path(row["url"])
    found = {k for k, segments in SECTIONS.items() if segments & set(path[:2])}
    opening = f"{row['title']}\n{row['text'][:OPENING_CHARS]}"
    for topic, (kind, key) in NARROW.items():
        if (kind == "subsection" and "/".join(path[:2]) == key) or (
            kind == "name" and key in opening
        ):
            found.add(topic)
    return found


def opening_of(text: str, max_chars: int) -> str:
    """The text up to the last sentence end before max_chars (whole when shorter)."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(". ", 0, max_chars)
    return text[: cut + 1] if cut > 0 else text[:max_chars]


def half_of(url: str) -> int:
    return hashlib.sha1(url.encode()).digest()[0] % 2


class Pool:
    """The labelled stories, split into the archive half (0) and the news half (1)."""

    def __init__(self, sample: int, max_chars: int, smoke: bool = False) -> None:
        rows = list(rtqa_articles(400 if smoke else None))
        if smoke:  # short ones: the first articles of the file are long photo galleries
            rows = [r for r in rows if len(r["text"]) < 4000][:24]
        if sample and sample < len(rows):
            rows = random.Random(12).sample(rows, sample)
        self.articles: list[Article] = []
        self.labels: dict[str, set[str]] = {}
        self.half: dict[str, int] = {}
        self.opening: dict[str, str] = {}
        for row in rows:
            text = opening_of(row["text"], max_chars)
            article = Article(row["title"], text, row["url"], row["source"], None)
            self.articles.append(article)
            self.labels[article.id] = labels(row)
            self.half[article.id] = half_of(row["url"])
            self.opening[article.id] = f"{row['title']}\n{row['text'][:OPENING_CHARS]}"

    def of_half(self, half: int) -> list[Article]:
        return [a for a in self.articles if self.half[a.id] == half]

    def gold(self, ids: list[str]) -> dict[str, set[str]]:
        """Topic key (section or name topic) -> the stories that carry its label."""
        keys = [*BROAD, *NARROW]
        return {k: {i for i in ids if k in self.labels[i]} for k in keys}


def phrasings() -> dict[str, str]:
    """Every subscribed topic text -> its label key."""
    found = {t: k for k, texts in BROAD.items() for t in texts}
    found.update({t: k for k, t in DESCRIPTIVE.items()})
    found.update({t: t for t in NARROW})
    return found


def report(alerts: dict[str, set[str]], gold: dict[str, set[str]], title: str) -> dict:
    """Print and return the figures of one set of alerts (topic text -> article ids)."""
    keys = phrasings()
    rows = {t: prf(alerts[t], gold[keys[t]]) for t in keys if t in alerts}
    short = [t for k in BROAD for t in BROAD[k] if t in rows]
    described = [DESCRIPTIVE[k] for k in BROAD if DESCRIPTIVE[k] in rows]
    agreement = {}
    for key in BROAD:
        texts = [t for t in [*BROAD[key], DESCRIPTIVE[key]] if t in alerts]
        pairs = list(itertools.combinations(texts, 2))
        if pairs:
            agreement[key] = float(np.mean([jaccard(alerts[a], alerts[b]) for a, b in pairs]))
    narrow = [t for t in NARROW if t in rows]
    figures = {
        "topics": {
            t: {"alerts": len(alerts[t]), "labelled": len(gold[keys[t]]), "p": p, "r": r, "f1": f}
            for t, (p, r, f) in rows.items()
        },
        "macro_f1_short": float(np.mean([rows[t][2] for t in short])) if short else 0.0,
        "min_recall_short": float(min(rows[t][1] for t in short)) if short else 0.0,
        "macro_f1_descriptive": (
            float(np.mean([rows[t][2] for t in described])) if described else 0.0
        ),
        "paraphrase_jaccard": agreement,
        "mean_paraphrase_jaccard": float(np.mean(list(agreement.values()))) if agreement else 0.0,
        # Pooled over the name topics: alerts that are about the name / all their alerts.
        "narrow_precision": _pooled_precision(alerts, gold, narrow),
        "narrow_macro_precision": (
            float(np.mean([rows[t][0] for t in narrow if alerts[t]])) if narrow else 0.0
        ),
    }
    print(f"\n{title}\n  {'topic':32s} alerts  label  P      R      F1")
    for t, (p, r, f) in rows.items():
        print(f"  {t:32s} {len(alerts[t]):6d} {len(gold[keys[t]]):6d}  {p:.3f}  {r:.3f}  {f:.3f}")
    print(
        f"  macro-F1 short {figures['macro_f1_short']:.3f} (min recall"
        f" {figures['min_recall_short']:.3f}); descriptive {figures['macro_f1_descriptive']:.3f};"
        f" paraphrase Jaccard {figures['mean_paraphrase_jaccard']:.3f}"
        f" ({', '.join(f'{k} {v:.2f}' for k, v in agreement.items())});"
        f" narrow precision {figures['narrow_precision']:.3f}"
        f" (macro {figures['narrow_macro_precision']:.3f})"
    )
    return figures


def _pooled_precision(alerts, gold, narrow: list[str]) -> float:
    sent = sum(len(alerts[t]) for t in narrow)
    return sum(len(alerts[t] & gold[t]) for t in narrow) / sent if sent else 0.0


class Bench:
    def __init__(self, args) -> None:
        self.pool = Pool(args.sample, args.max_chars, args.smoke)
        overrides = {"alerts.profile_min_articles": 10} if args.smoke else {}
        self.archives = Archives(args.cache_path, overrides)
        self.work_dir = args.work_dir
        self.max_chars = args.max_chars

    def history(self) -> Path:
        """The archive half, stored once."""
        name = f"history-{len(self.pool.articles)}-{self.max_chars}"
        return self.archives.stored_once(
            self.work_dir / name,
            lambda: self.pool.of_half(0),
            f"archive half of the RealTimeQA dev pool ({len(self.pool.articles)} articles)",
        )

    def news(self, scratch: Path, model: AlertModel) -> tuple[dict[str, set[str]], dict]:
        """Subscribe every topic on a copy of the archive half, then let the news half arrive
        through the bot's path; the alerts per topic text and the run's counts."""
        data_dir = Path(shutil.copytree(self.history(), scratch))
        archive = self.archives.open(data_dir)
        store = SubscriptionStore(archive.database)
        by_subscription = subscribe_all(store, phrasings())
        outbox = DeliveryOutbox(archive.database)
        matcher = AlertMatcher(archive, store, outbox, archive.settings.alerts, model=model)
        matcher.topic_profiles([s.query for s in store.active()])  # learnt from the archive half
        began = time.perf_counter()
        news = self.pool.of_half(1)
        ingested = Ingestor(archive).ingest(news)
        enqueued = matcher.process_queue()
        seconds = time.perf_counter() - began
        ids = stored_ids(archive, {a.id for a in news})
        found = {t: a & set(ids) for t, a in delivered(archive, by_subscription).items()}
        print(
            f"news half: {ingested.summary()}; {len(ids)} scored; {enqueued} alerts; {seconds:.0f} s"
        )
        return found, {"ids": ids, "archive": archive, "matcher": matcher}

    def choose_threshold(self, scratch: Path, model: AlertModel) -> tuple[float, float]:
        """(profile threshold, macro-F1 over the short phrasings) with the best macro-F1 on the
        archive half, every archive story scored for every topic, as alerts_quality.py chooses
        it on BBC's tuning half."""
        data_dir = Path(shutil.copytree(self.history(), scratch))
        archive = self.archives.open(data_dir)
        store = SubscriptionStore(archive.database)
        subscribe_all(store, phrasings())
        outbox = DeliveryOutbox(archive.database)
        matcher = AlertMatcher(archive, store, outbox, archive.settings.alerts, model=model)
        ids = stored_ids(archive, {a.id for a in self.pool.of_half(0)})
        evidence = [e for e in (matcher.evidence(i) for i in ids) if e is not None]
        active = {s.query: s for s in store.active()}
        keys = phrasings()
        short = [t for k in BROAD for t in BROAD[k]]
        values = {
            t: {
                e.article_id: profile_value(matcher, active[parse_topic(t).query], e)
                for e in evidence
            }
            for t in short
        }
        gold = self.pool.gold(ids)
        return best_threshold(values, {t: gold[keys[t]] for t in short})

    def votes(self, matcher: AlertMatcher, news_ids: list[str]) -> dict:
        """A simulated user per broad phrasing votes on its first alerts by the labels (👍
        labelled, 👎 not); then the topic moves: "bot", the bot's own rule (`profile_shift`
        on the topic's profile, `TopicProfiles.move`, and the bar its 👎 raise,
        `raised_bar`); "move", the same without the raised bar (the rule before); "profile",
        a stand-in (`rocchio_vote`, unbounded, on the learnt profile's vector). Either way the
        profile's scale (0 = typical article, 1 = its top k) is read again over the archive
        sample. F1 on the news that arrives after the last vote, before and after. Matching is
        AlertMatcher's rule with the moved profile, scored here rather than through the
        outbox. The vote settings were chosen on each section's first phrasing; the other
        phrasings are reported apart, as a check they were not tuned on."""
        gold = self.pool.gold(news_ids)
        evidence = [e for e in (matcher.evidence(i) for i in news_ids) if e is not None]
        by_query = {s.query: s for s in matcher.subscriptions.active()}
        bar = matcher.model.profile_threshold
        out: dict = {"bot": {}, "move": {}, "profile": {}}
        for key, texts in BROAD.items():
            for text in texts:
                subscription = by_query[parse_topic(text).query]
                sent = [e for e in evidence if matcher.score(subscription, e) is not None]
                for count in VOTES:
                    if len(sent) < count:
                        continue
                    voted = sent[:count]
                    later = evidence[evidence.index(voted[-1]) + 1 :]
                    wanted = gold[key] & {e.article_id for e in later}
                    before = {e.article_id for e in sent} & {e.article_id for e in later}
                    for kind in out:
                        profile = moved_profile(matcher, subscription.query, voted, gold[key], kind)
                        after = {
                            e.article_id
                            for e in later
                            if (found := matcher.relevance(subscription, e)) is not None
                            and (
                                matcher.own_match(subscription.query, e, found[1])
                                or (
                                    profile is not None
                                    and profile.score(e.vectors) >= max(bar, profile.floor)
                                )
                            )
                        }
                        out[kind].setdefault(text, {})[count] = {
                            "f1_before": prf(before, wanted)[2],
                            "f1_after": prf(after, wanted)[2],
                        }
        print("\nSimulated votes (👍 labelled, 👎 not) on the first alerts; F1 on the news after")
        for kind, topics in out.items():
            for text, rows in topics.items():
                cells = "; ".join(
                    f"{n} votes {r['f1_before']:.3f} -> {r['f1_after']:.3f}"
                    for n, r in rows.items()
                )
                print(f"  {kind:8s} {text:16s} {cells}")
        first = {texts[0] for texts in BROAD.values()}
        for kind, topics in list(out.items()):
            for group, chosen in (("first phrasings", True), ("other phrasings", False)):
                gains = {}
                for count in VOTES:
                    done = [
                        r[count] for t, r in topics.items() if count in r and (t in first) == chosen
                    ]
                    if done:
                        gains[count] = float(
                            np.mean([r["f1_after"] - r["f1_before"] for r in done])
                        )
                        print(
                            f"  {kind}, {group}: mean F1 gain after {count} votes:"
                            f" {gains[count]:+.3f} ({len(done)} topics)"
                        )
                suffix = "" if chosen else "_other_phrasings"
                out[f"{kind}_mean_gain{suffix}"] = gains
        return out

    def anchor(self, archive, tuning_ids: list[str], news_ids: list[str]) -> dict:
        """The plain cosine rule: topic phrase vs title + opening, one threshold chosen on the
        archive half with labels, applied to the news half."""
        embedder = archive.embedder
        texts = phrasings()
        topics = dict(zip(texts, embedder.encode(list(texts)), strict=True))
        ids = tuning_ids + news_ids
        openings = embedder.encode([self.pool.opening[i] for i in ids])
        cosines = {
            t: dict(zip(ids, (openings @ v).tolist(), strict=True)) for t, v in topics.items()
        }
        short = [t for k in BROAD for t in BROAD[k]]
        tune_gold = self.pool.gold(tuning_ids)
        tuning = {t: {i: cosines[t][i] for i in tuning_ids} for t in short}
        threshold, tune_macro = best_threshold(tuning, {t: tune_gold[texts[t]] for t in short})
        alerts = {t: {i for i in news_ids if cosines[t][i] >= threshold} for t in texts}
        figures = report(
            alerts,
            self.pool.gold(news_ids),
            f"Anchor: cosine(topic, title + opening) >= {threshold:.3f}"
            f" (chosen on the archive half, macro-F1 there {tune_macro:.3f})",
        )
        figures["threshold"] = threshold
        return figures


def article_vector(passages: np.ndarray) -> np.ndarray:
    """An article as profiles see it: the unit mean of its passage vectors."""
    mean = passages.mean(axis=0)
    return mean / np.linalg.norm(mean)


def rocchio_vote(
    topic: np.ndarray,
    liked: list[np.ndarray],
    disliked: list[np.ndarray],
    toward: float = 0.75,
    away: float = 0.25,
) -> np.ndarray:
    """The topic vector moved by votes (Rocchio): toward the mean of the liked articles,
    away from the mean of the disliked ones, renormalised: what moving the learnt profile
    itself can do (the bot moves the topic's seed, `move_topic`)."""
    moved = topic.astype(np.float64)
    if liked:
        moved = moved + toward * np.mean(liked, axis=0)
    if disliked:
        moved = moved - away * np.mean(disliked, axis=0)
    return (moved / np.linalg.norm(moved)).astype(np.float32)


def moved_profile(matcher: AlertMatcher, query: str, voted, liked_ids: set[str], kind: str):
    """The topic's profile after votes on `voted` (liked when labelled), moved the `kind` way
    (AlertMatcher.votes says which); None when the topic has no profile."""
    liked = [e.vectors for e in voted if e.article_id in liked_ids]
    disliked = [e.vectors for e in voted if e.article_id not in liked_ids]
    if kind in ("bot", "move"):  # the bot's own rule (retrieval/alerts/feedback.py), as it runs
        topic = matcher.topic_vectors([query])[0]
        dimension = len(topic)
        liked_vectors = np.asarray([article_vector(v) for v in liked], np.float32)
        disliked_vectors = np.asarray([article_vector(v) for v in disliked], np.float32)
        liked_vectors = liked_vectors.reshape(-1, dimension)
        disliked_vectors = disliked_vectors.reshape(-1, dimension)
        key = f"{query}\0{len(voted)}"
        shift = profile_shift(liked_vectors, disliked_vectors, matcher.model)
        # "move": the profile moved, its bar left where it was (the bot's rule before 👎
        # raised it).
        bar = raised_bar(len(liked), len(disliked), matcher.model) if kind == "bot" else 0.0
        matcher.profiles.move(key, query, topic, shift, bar)
        moved = move_topic(topic, liked_vectors, disliked_vectors, matcher.model)
        return matcher.profiles.profiles([key], [moved])[0]
    profile = matcher.topic_profiles([query])[0]
    if profile is None:
        return None

    def centred(v: np.ndarray) -> np.ndarray:
        c = article_vector(v) - profile.center
        return c / np.linalg.norm(c)

    vector = rocchio_vote(
        profile.vector, [centred(v) for v in liked], [centred(v) for v in disliked]
    )
    # The profile's scale read again over the archive sample it was learnt from (private to
    # TopicProfiles: a benchmark may look; the bot's rule will own this).
    sample = matcher.profiles._sample.articles
    scores = sample @ vector
    k = int((scores >= matcher.model.feedback_relative_cosine * scores.max()).sum())
    k = int(np.clip(k, 10, max(len(scores) // 5, 10)))
    baseline, top = float(scores.mean()), float(np.sort(scores)[-k:].mean())
    reach = int(matcher.model.profile_max_expansion * k)
    floor = -np.inf
    if reach < len(scores):
        floor = (float(np.sort(scores)[-reach - 1]) - baseline) / (top - baseline)
    return dataclasses.replace(profile, vector=vector, baseline=baseline, top=top, floor=floor)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, "/work/cache/sections-alerts", "alerts_quality.py on BBC")
    parser.add_argument(
        "--sample", type=int, default=2400, help="this many stories, fixed seed (0 = all 4,653)"
    )
    parser.add_argument(
        "--max-chars", type=int, default=2500, help="each story's opening, cut at a sentence"
    )
    parser.add_argument("--smoke", action="store_true", help="a few dozen stories, seconds")
    parser.add_argument(
        "--choose-threshold",
        action="store_true",
        help="match with the profile threshold that is best on the archive half, not the default",
    )
    args = parser.parse_args()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsbot-sections-") as work:
        if args.smoke:
            args.work_dir = Path(work) / "cache"
        bench = Bench(args)
        model = DEFAULT_ALERT_MODEL
        results: dict = {"machine": machine(), "stories": len(bench.pool.articles)}
        if args.profile_threshold is not None:
            model = dataclasses.replace(model, profile_threshold=args.profile_threshold)
        if args.choose_threshold:
            chosen, tuned = bench.choose_threshold(Path(work) / "tune", model)
            print(
                f"archive half: profile threshold {chosen:.3f} (macro-F1 there {tuned:.3f});"
                f" default {model.profile_threshold}"
            )
            model = dataclasses.replace(model, profile_threshold=chosen)
            results["chosen_profile_threshold"] = chosen
        results["model"] = dataclasses.asdict(model)  # every fitted value the run matched with
        found, run = bench.news(Path(work) / "news", model)
        results["bot"] = report(
            found,
            bench.pool.gold(run["ids"]),
            f"The bot's matching (profile threshold {model.profile_threshold:.3f})",
        )
        results["votes"] = bench.votes(run["matcher"], run["ids"])
        tuning_ids = stored_ids(run["archive"], {a.id for a in bench.pool.of_half(0)})
        results["anchor"] = bench.anchor(run["archive"], tuning_ids, run["ids"])
    results["seconds"] = time.perf_counter() - began
    print(f"\nmachine: {results['machine']}; {results['seconds']:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
