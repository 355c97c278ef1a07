"""`newsbot eval` (and benchmarks/quality.py): run the quality suite, print a table, write JSON.

bot/cli/main.py adds the command with `add_eval_command(commands, common)`; the handler follows
its convention `handler(args, settings) -> exit code`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from config import Settings, load_settings
from retrieval.evaluation import MODES, SuitePlan, run_suite


def add_eval_arguments(parser: argparse.ArgumentParser, data: Path | None = None) -> None:
    """The suite's options; `data` (a folder laid out like ../shared/data) sets defaults."""

    def default(*parts: str) -> Path | None:
        return data.joinpath(*parts) if data else None

    rtqa = ("realtimeqa",)
    parser.add_argument(
        "--questions",
        type=Path,
        metavar="FILE.jsonl[.gz]",
        default=default(*rtqa, "realtimeqa-dev-questions.jsonl.gz"),
        help="question, answer, date per line (RealTimeQA format)",
    )
    parser.add_argument(
        "--articles",
        type=Path,
        metavar="FILE.jsonl[.gz]",
        default=default(*rtqa, "realtimeqa-dev-articles.jsonl.gz"),
        help="url, title, published, source, text per line",
    )
    parser.add_argument("--xquad", type=Path, default=default("xquad", "xquad.en.json"))
    parser.add_argument(
        "--seed-article", type=Path, default=default("seed", "zelensky-putin-meeting.txt")
    )
    parser.add_argument("--seed-questions", type=Path, default=default("seed", "questions.jsonl"))
    parser.add_argument(
        "--limit", type=int, metavar="N", help="a seeded sample of N questions per set"
    )
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated: hybrid,lexical,dense"
    )
    parser.add_argument("--no-abstention", action="store_true", help="skip the half-removed run")
    parser.add_argument("--no-xquad", action="store_true")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--no-realtimeqa", action="store_true")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path("newsbot-eval"),
        help="where evaluation archives and the embedding cache live",
    )
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a setting for this run, e.g. retrieval.dense_weight=0.5",
    )


def add_eval_command(subparsers, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Register `newsbot eval` on the CLI's subparsers."""
    command = subparsers.add_parser(
        "eval",
        parents=list(parents),
        help="measure answer quality on RealTimeQA-style, XQuAD and seed question sets",
    )
    add_eval_arguments(command)
    command.set_defaults(handler=run_eval)


def plan_from_args(args: argparse.Namespace) -> SuitePlan:
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise ValueError(f"unknown mode {unknown[0]!r}; use {', '.join(MODES)}")
    return SuitePlan(
        questions=None if args.no_realtimeqa else args.questions,
        articles=None if args.no_realtimeqa else args.articles,
        xquad=None if args.no_xquad else args.xquad,
        seed_article=None if args.no_seed else args.seed_article,
        seed_questions=None if args.no_seed else args.seed_questions,
        modes=modes,
        limit=args.limit,
        with_abstention=not args.no_abstention,
        seed=args.seed,
        cache_dir=args.cache_dir,
    )


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Run the suite, print the table, write the JSON; 2 for a usage mistake."""
    try:
        plan = plan_from_args(args)
        overrides = dict(_parse_set(item) for item in args.set)
    except ValueError as error:
        print(f"newsbot eval: {error}", file=sys.stderr)
        return 2
    if overrides:
        overrides.setdefault("data_dir", str(settings.data_dir))
        settings = load_settings(config_file=getattr(args, "config", None), overrides=overrides)
    if not (plan.questions or plan.xquad or plan.seed_questions):
        print("newsbot eval: give --questions/--articles, --xquad or --seed-*", file=sys.stderr)
        return 2
    report = run_suite(settings, plan)
    print(format_report(report))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written to {args.out}")
    return 0


def _parse_set(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or "." not in key:
        raise ValueError(f"--set {item!r}: use SECTION.KEY=VALUE")
    return key.strip(), value.strip()


def format_report(report: dict) -> str:
    """The human-readable table."""
    lines = []
    rtqa = report.get("realtimeqa")
    if rtqa:
        lines.append(
            f"RealTimeQA: {rtqa['questions']} questions, {rtqa['articles']} articles, "
            f"{rtqa['passages']} passages"
        )
        lines.append(
            f"{'mode':<8} {'@1':>6} {'@3':>6} {'@5':>6} {'mark@1':>7} │ {'bot@1':>6} {'bot@5':>6} "
            f"{'abst':>6} {'s/q':>6}"
        )
        for name, m in rtqa["modes"].items():
            lines.append(
                f"{name:<8} {m['at1']:>6.3f} {m['at3']:>6.3f} {m['at5']:>6.3f} "
                f"{m['marked_at1']:>7.3f} │ {m['bot_at1']:>6.3f} {m['bot_at5']:>6.3f} "
                f"{m['abstained']:>6.3f} {m['seconds_mean']:>6.2f}"
            )
        lines.append(
            "(@k: quotes with abstention off; bot@k: as the bot answers, abstaining = wrong)"
        )
        q = rtqa.get("quotes")
        if q:
            lines.append(
                f"quote precision (later quotes from {q['bar']}): {q['quote_precision']:.3f} of "
                f"{q['quotes_shown_mean']:.2f} quotes shown when answered (without the bar "
                f"{q['without_bar']['quote_precision']:.3f} of "
                f"{q['without_bar']['quotes_shown_mean']:.2f}; calibrated bar "
                f"{q['calibrated_bar']})"
            )
        a = rtqa.get("abstention")
        if a:
            lines.append(
                f"abstention (threshold {a['threshold']}): {a['unanswerable_abstained']:.3f} of "
                f"{a['unanswerable']} unanswerable abstained; {a['answers_kept']:.3f} of "
                f"{a['answerable_right_at5']} right answers @5 kept"
            )
    x = report.get("xquad")
    if x:
        lines.append(
            f"XQuAD ({x['questions']} questions): marked@1 {x['marked_at1']:.3f}, paragraph@1 "
            f"{x['paragraph_at1']:.3f}, marked given paragraph {x['marked_given_paragraph']:.3f}"
        )
    seed = report.get("seed")
    if seed:
        lines.append(
            f"seed: {seed['right']}/{seed['questions']} right (a shown quote holds the answer, "
            f"or the bot abstains), {seed['first']}/{seed['questions']} in quote 1, "
            f"{seed['marked']}/{seed['questions']} in its marked sentence, "
            f"{seed['opening']}/{seed['questions']} in the first bold sentence"
        )
    return "\n".join(lines)
