"""`newsbot`: a thin command line over index/ and retrieval/ (and the Telegram bot's `run`).

Commands parse arguments, call the library, and turn library errors into one readable line
and a non-zero exit: 1 when the command failed, 2 for a usage or settings mistake.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.cli.common import CommandError, UsageError, open_archive, parse_day, read_bounded
from bot.cli.evaluate import add_eval_command
from bot.cli.feeds import add_feeds_command, poll_line
from bot.cli.latest import add_latest_command
from bot.log_setup import configure_logging, installed_secrets
from config import Settings, SettingsError, load_settings

log = logging.getLogger("newsbot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in (("data_dir", None), ("config", None), ("verbose", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings(
            config_file=args.config,
            overrides={"data_dir": args.data_dir} if args.data_dir else None,
        )
    except SettingsError as error:
        print(f"newsbot: invalid settings: {error}", file=sys.stderr)
        return 2
    configure_logging(settings, args.verbose)
    from index import IndexError_
    from retrieval import QuestionError

    try:
        return int(args.handler(args, settings) or 0)
    except (QuestionError, UsageError) as error:
        print(f"newsbot: {error}", file=sys.stderr)
        return 2
    except (CommandError, IndexError_, SettingsError) as error:
        print(f"newsbot: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("newsbot: interrupted", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error in `newsbot %s`", args.command)
        print(
            f"newsbot: something went wrong; details are in {settings.data_dir / 'newsbot.log'}",
            file=sys.stderr,
        )
        return 1


def build_parser() -> argparse.ArgumentParser:
    # Global options are accepted before or after the command name.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="where SQLite and FAISS live (NEWSBOT_DATA_DIR)",
    )
    common.add_argument(
        "--config", default=argparse.SUPPRESS, help="a TOML settings file (NEWSBOT_CONFIG)"
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log details to the terminal",
    )
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Answer questions about the news by quoting the articles.",
        parents=[common],
    )
    # No set_defaults for the shared options: parents share Action objects, so a default set
    # here would leak into every subcommand and overwrite a value given before its name.
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest", parents=[common], help="add articles from files, URLs, feeds or OPML lists"
    )
    ingest.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a .txt/.md/.html/.jsonl(.gz)/.opml file, a folder of them, an article URL or a feed URL",
    )
    ingest.set_defaults(handler=cmd_ingest)

    ask = commands.add_parser(
        "ask", parents=[common], help="answer a question with quotes from the news"
    )
    ask.add_argument("question", nargs="?", help="the question (or use --questions)")
    ask.add_argument("--json", action="store_true", help="print one JSON object (see README)")
    ask.add_argument(
        "--as-of", type=parse_day, metavar="YYYY-MM-DD", help="answer as if that day were today"
    )
    ask.add_argument(
        "--questions",
        type=Path,
        metavar="FILE.jsonl",
        help='{"question": ..., "date": ...} per line in; one JSON answer per line out',
    )
    ask.add_argument("--quotes", type=int, metavar="N", help="how many quotes to show")
    ask.set_defaults(handler=cmd_ask)

    reindex = commands.add_parser(
        "reindex", parents=[common], help="rebuild the vector index from SQLite, atomically"
    )
    reindex.set_defaults(handler=cmd_reindex)

    stats = commands.add_parser(
        "stats", parents=[common], help="articles, passages, feeds, index type and size, model"
    )
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)

    run = commands.add_parser(
        "run", parents=[common], help="run the Telegram bot (TELEGRAM_BOT_TOKEN)"
    )
    run.set_defaults(handler=cmd_run)

    migrate = commands.add_parser(
        "migrate",
        parents=[common],
        help="copy the data directory's archive and bot state into an empty PostgreSQL database",
    )
    migrate.add_argument(
        "--to", required=True, metavar="postgresql://…", help="the database to copy into"
    )
    migrate.set_defaults(handler=cmd_migrate)

    add_eval_command(commands, parents=[common])
    add_feeds_command(commands, parents=[common])
    add_latest_command(commands, parents=[common])
    return parser


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from index import Ingestor, IngestReport, SourceError

    archive = open_archive(settings)
    ingestor = Ingestor(archive)
    failed_sources = 0
    total = IngestReport()
    for source in args.sources:
        try:
            with _progress(source) as on_article:
                report = ingestor.ingest(_read_source(source, settings), on_article=on_article)
        except SourceError as error:
            print(f"newsbot: {error}", file=sys.stderr)
            failed_sources += 1
            continue
        for failure in report.failures:
            print(f"newsbot: skipped {failure.label}: {failure.reason}", file=sys.stderr)
        if report.failed > len(report.failures):
            more = report.failed - len(report.failures)
            print(f"newsbot: skipped {more} more", file=sys.stderr)
        if report.failed and not (report.added or report.unchanged or report.duplicates):
            failed_sources += 1  # nothing of this source could be read
        print(f"{source}: {report.summary()}")
        total.added += report.added
        total.passages += report.passages
        total.unchanged += report.unchanged
        total.duplicates += report.duplicates
        total.failed += report.failed
    if len(args.sources) > 1:
        print(f"total: {total.summary()}")
    return 1 if failed_sources else 0


def _read_source(source: str, settings: Settings) -> Iterator:
    """The articles (and skipped items) of one source, streamed: a URL, a local OPML list
    (every feed read, a dead one recorded as a failure) or a file."""
    from index.sources import parse_opml, read_file, read_folder

    if source.startswith(("http://", "https://")):
        yield from _stream_web(settings, url=source)
        return
    path = Path(source)
    if path.is_dir():
        yield from read_folder(path, settings.sources)
        return
    if path.suffix.lower() == ".opml":
        data = read_bounded(path, settings.fetch.max_bytes)
        yield from _stream_web(settings, feeds=parse_opml(data, str(path)))
        return
    yield from read_file(path, settings.sources)


_QUEUED_ITEMS = 64  # articles read ahead of the ingest, at most


def _stream_web(settings: Settings, url: str = "", feeds: Sequence[str] = ()) -> Iterator:
    """Items read by an event loop in a worker thread, handed over through a bounded queue so
    the ingest starts at once and a large source is never held whole. An error that stops
    the source (the URL itself unreadable) is raised here."""
    import queue
    import threading

    from index.sources import Fetcher, read_feeds, read_url

    handover: queue.Queue = queue.Queue(maxsize=_QUEUED_ITEMS)
    stopped = threading.Event()

    def put(entry: tuple) -> bool:
        while not stopped.is_set():
            try:
                handover.put(entry, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    async def produce() -> None:
        concurrency, limits = settings.fetch.concurrency, settings.sources
        async with Fetcher(settings.fetch) as fetcher:
            items = (
                read_feeds(fetcher, list(feeds), concurrency, limits)
                if feeds
                else read_url(fetcher, url, concurrency, limits)
            )
            async for item in items:
                if not await asyncio.to_thread(put, ("item", item)):
                    return

    def run() -> None:
        try:
            asyncio.run(produce())
        except BaseException as error:  # handed to the reading thread, which raises it
            put(("error", error))
        else:
            put(("done", None))

    worker = threading.Thread(target=run, name="newsbot-fetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = handover.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stopped.set()


class _progress:
    """A terminal progress bar while a long ingest runs; silent when not on a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        self.bar = tqdm(
            desc=Path(self.label).name or self.label, unit=" articles", file=sys.stderr, leave=False
        )

        def on_article(report) -> None:
            done = len(report.added) + report.unchanged + report.duplicates + report.failed
            self.bar.update(done - self.bar.n)
            self.bar.set_postfix(passages=report.passages, refresh=False)

        return on_article

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.views import render_answer_text
    from retrieval import MAX_QUOTES, Answerer, validate_question

    if args.questions is None and args.question is None:
        raise CommandError("ask needs a question (or --questions FILE.jsonl)")
    if args.quotes is not None and not 1 <= args.quotes <= MAX_QUOTES:
        raise UsageError(f"--quotes must be a whole number from 1 to {MAX_QUOTES}")
    if args.questions is not None:
        if args.question is not None:
            raise UsageError("give either a question or --questions FILE.jsonl, not both")
        if args.as_of is not None:
            raise UsageError('--as-of does not apply to --questions: give each line its own "date"')
        lines = _question_lines(args.questions)
    if args.question is not None:
        validate_question(args.question)  # a bad question fails before the model loads
    archive = open_archive(settings)
    if archive.store.passage_summary()[0] == 0:
        raise CommandError("the archive is empty: add news first with `newsbot ingest SOURCE`")
    answerer = Answerer(archive, settings.retrieval)
    if args.questions is not None:
        return _ask_many(answerer, args.questions, lines, args.quotes)
    answer = answerer.answer(args.question, as_of=args.as_of, quotes=args.quotes)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_answer_text(answer, settings.retrieval.quote_context_chars))
    return 0


def _question_lines(path: Path) -> list[str]:
    """The lines of a questions file, checked before the model loads: a file whose first line
    is not a JSON object is not a questions file at all (a bad later line is one error record)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CommandError(f"{path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not UTF-8 text") from None
    first = next((line for line in lines if line.strip()), None)
    if first is not None and not isinstance(_json_or_none(first), dict):
        raise UsageError(
            f'{path}: not a questions file: each line must be a JSON object like {{"question":'
            ' "...", "date": "2024-05-31"}'
        )
    return lines


def _json_or_none(line: str) -> object:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _ask_many(answerer, path: Path, lines: list[str], quotes: int | None) -> int:
    from retrieval import QuestionError, end_of_day

    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record = None  # this line's, never the previous line's
        try:
            record = json.loads(line)
            question = str(record["question"])
            as_of = end_of_day(record["date"]) if record.get("date") else None
            out = answerer.answer(question, as_of=as_of, quotes=quotes).to_json()
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            QuestionError,
        ) as error:
            print(f"newsbot: {path} line {number}: {error}", file=sys.stderr)
            out = {
                "question": record.get("question") if isinstance(record, dict) else None,
                "answered": False,
                "quotes": [],
                "error": str(error),
            }
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from index import NewsArchive

    archive = NewsArchive(settings, rebuilding=True)
    started = time.perf_counter()
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="re-indexing", unit=" passages", file=sys.stderr, leave=False)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    vectors = archive.reindex(progress)
    if bar is not None:
        bar.close()
    print(
        f"re-indexed {vectors.count} passages into a {vectors.kind} index in {time.perf_counter() - started:.1f} s"
    )
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from index.clock import timestamp
    from index.state import archive_stats

    archive = open_archive(settings)
    state = archive.open_state()
    stats = archive_stats(archive, state.feeds, state.subscriptions)
    # How fresh the archive is: its newest story, and when each feed was last read.
    stats["newest_story"] = archive.store.newest_published(timestamp())
    feeds = state.feeds.all()
    polls = [
        {
            "url": feed.url,
            "last_success": feed.last_polled_at if not feed.error_count else None,
            "failures_in_a_row": feed.error_count,
            "last_error": feed.last_error,
        }
        for feed in feeds
    ]
    if args.json:
        print(json.dumps({**stats, "feed_polls": polls}, indent=2))
        return 0
    width = max(len(k) for k in stats)
    for key, value in stats.items():
        shown = f"{value:,}" if isinstance(value, int) else "none" if value is None else value
        print(f"{key.replace('_', ' '):<{width}}  {shown}")
    for feed in feeds:
        print(f"feed {feed.url}: {poll_line(feed)}")
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Copy SQLite + FAISS into PostgreSQL; the counts of both sides, exit 1 if any differ."""
    from config.redaction import passwords_in
    from config.settings import storage_url

    to = storage_url(args.to)  # read as storage.url is: spaces and a driver scheme forgiven
    secrets = installed_secrets()
    for password in passwords_in(to) if secrets is not None else ():
        secrets.add(password)  # no log line shows it either
    if not to.startswith(("postgresql://", "postgres://")):
        raise CommandError("--to must be a postgresql:// URL")
    from index.migrate import copy_to_postgres
    from index.storage.postgres.database import describe

    started = time.perf_counter()
    migrated = copy_to_postgres(settings, to)
    copied = migrated.copied
    if migrated.earlier:
        print(f"an earlier run of migrate had copied {settings.data_dir} into {describe(to)}")
    width = max(len(c.name) for c in copied)
    print(f"{'':<{width}}  {'SQLite + FAISS':>14}  {'PostgreSQL':>10}")
    for c in copied:
        mark = "" if c.matches else "  <- differs"
        print(f"{c.name.replace('_', ' '):<{width}}  {c.source:>14,}  {c.target:>10,}{mark}")
    differing = [c.name for c in copied if not c.matches]
    if differing:
        print(f"newsbot: the copy differs in {', '.join(differing)}", file=sys.stderr)
        return 1
    print(
        f"copied into {describe(to)} in {time.perf_counter() - started:.1f} s; "
        f"set storage.url (NEWSBOT_STORAGE_URL) to it to use it"
    )
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run_bot

    run_bot(settings)
    return 0
