"""`newsbot latest [TOPIC] [--as-of DAY]`: the newest stories in the terminal, one story per
near-duplicate cluster with its outlets counted; with a topic, ranked by meaning and recency
(retrieval/stories.py), as the bot's /latest shows them."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from bot.cli.common import CommandError, open_archive, parse_day
from config import Settings


def add_latest_command(subparsers, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Register `newsbot latest` on the CLI's subparsers."""

    command = subparsers.add_parser(
        "latest",
        parents=list(parents),
        help="the newest stories, or the newest on a topic",
    )
    command.add_argument("topic", nargs="*", help="a topic, e.g. ceasefire talks (optional)")
    command.add_argument(
        "--as-of", type=parse_day, metavar="YYYY-MM-DD", help="list as if that day were today"
    )
    command.add_argument("--count", type=int, metavar="N", help="how many stories (default 8)")
    command.add_argument("--json", action="store_true", help="one JSON object per story")
    command.set_defaults(handler=cmd_latest)


def cmd_latest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.views.stories import stories_text
    from retrieval import StoryFinder, validate_question

    topic = " ".join(args.topic)
    if topic:
        validate_question(topic)  # a bad topic fails before the model loads
    count = settings.stories.per_page if args.count is None else args.count
    if not 1 <= count <= settings.stories.max_listed:
        raise CommandError(f"--count must be between 1 and {settings.stories.max_listed}")
    archive = open_archive(settings)
    finder = StoryFinder(archive, settings.retrieval, settings.stories)
    now = finder.now(args.as_of)
    stories = finder.latest(topic or None, now, count)
    if args.json:
        for story in stories:
            row = {
                "title": story.title,
                "source": story.source,
                "url": story.url,
                "published": story.published,
                "outlets": list(story.outlets),
                "articles": story.articles,
            }
            print(json.dumps(row, ensure_ascii=False))
        return 0
    heading = f"Latest stories on “{topic}”" if topic else "Latest stories"
    empty = (
        f"No stories on “{topic}”."
        if topic
        else "The archive is empty: add news first with `newsbot ingest SOURCE`."
    )
    print(stories_text(f"{heading} (as of {now:%d %b %Y %H:%M} UTC)", stories, now, empty))
    return 0
