"""`newsbot feeds add|list|remove|export`: the feeds the bot polls, from the terminal.

`add` takes feed URLs and local OPML files (every feed in them), within alerts.max_feeds as
an OPML file sent to the bot is; the bot reads the new feeds on its next poll. `export`
writes the feeds as OPML, for a feed reader or another newsbot. bot/cli/main.py adds the
command with `add_feeds_command`; handlers follow its convention `handler(args, settings)`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.common import CommandError, open_archive, read_bounded
from config import Settings


def add_feeds_command(commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    feeds = commands.add_parser(
        "feeds", parents=list(parents), help="the feeds the bot polls: add, list, remove, export"
    )
    actions = feeds.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=list(parents), help="feed URLs or OPML files")
    add.add_argument("sources", nargs="+", metavar="URL|FILE.opml")
    add.set_defaults(handler=cmd_feeds_add)
    listing = actions.add_parser("list", parents=list(parents), help="each feed, last read")
    listing.set_defaults(handler=cmd_feeds_list)
    remove = actions.add_parser("remove", parents=list(parents), help="stop polling a feed")
    remove.add_argument("feed", metavar="URL|NUMBER", help="a URL, or its number in `list`")
    remove.set_defaults(handler=cmd_feeds_remove)
    export = actions.add_parser("export", parents=list(parents), help="the feeds as OPML")
    export.add_argument("-o", "--output", type=Path, help="a file (default: standard output)")
    export.set_defaults(handler=cmd_feeds_export)


def _state(settings: Settings):

    return open_archive(settings).open_state()


def _listed(source: str, settings: Settings) -> list[tuple[str, str]]:
    from index.sources import opml_feeds

    if source.startswith(("http://", "https://")):
        return [(source, "")]
    data = read_bounded(Path(source), settings.fetch.max_bytes)
    return [(feed.url, feed.title) for feed in opml_feeds(data, source)]


def cmd_feeds_add(args: argparse.Namespace, settings: Settings) -> int:
    from index.state import register_feeds

    listed = [pair for source in args.sources for pair in _listed(source, settings)]
    state = _state(settings)
    added = register_feeds(
        state.feeds, listed, settings.alerts.max_feeds, settings.sources.max_url_chars
    )
    for url, why in added.skipped:
        print(f"newsbot: skipped {url}: {why}", file=sys.stderr)
    count = len(added.added)
    print(
        f"added {count} feed{'s' if count != 1 else ''}"
        + (f", {added.already} already polled" if added.already else "")
        + (f", {len(added.skipped)} skipped" if added.skipped else "")
    )
    return 1 if added.skipped and not added.added else 0


def poll_line(feed) -> str:
    """How a feed's polls go: when it was last read, or that it keeps failing."""
    if not feed.error_count:
        return f"last read {feed.last_polled_at}" if feed.last_polled_at else "not read yet"
    failures = feed.error_count
    return f"failing, {failures} poll{'s' if failures != 1 else ''} in a row: {feed.last_error}"


def cmd_feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    feeds = _state(settings).feeds.all()
    if not feeds:
        print("no feeds yet: add one with `newsbot feeds add URL`")
    for number, feed in enumerate(feeds, 1):
        title = f" ({feed.title})" if feed.title and feed.title != feed.url else ""
        print(f"{number}. {feed.url}{title}: {poll_line(feed)}")
    return 0


def cmd_feeds_remove(args: argparse.Namespace, settings: Settings) -> int:

    state = _state(settings)
    wanted = args.feed
    feeds = state.feeds.all()
    if wanted.isdigit() and 1 <= int(wanted) <= len(feeds):
        wanted = feeds[int(wanted) - 1].url
    if not state.feeds.remove(wanted):
        raise CommandError(f"no feed {wanted} (see `newsbot feeds list`)")
    print(f"removed {wanted}; its articles stay in the archive")
    return 0


def cmd_feeds_export(args: argparse.Namespace, settings: Settings) -> int:
    from index.sources import ListedFeed, feeds_opml

    feeds = _state(settings).feeds.all()
    opml = feeds_opml([ListedFeed(f.url, f.title) for f in feeds], "newsbot feeds")
    if args.output is None:
        sys.stdout.write(opml.decode("utf-8"))
        return 0
    try:
        args.output.write_bytes(opml)
    except OSError as error:
        raise CommandError(f"{args.output}: cannot be written ({error.strerror})") from None
    print(f"wrote {len(feeds)} feed{'s' if len(feeds) != 1 else ''} to {args.output}")
    return 0
