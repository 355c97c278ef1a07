"""Follow-ups (benchmarks/README.md "What's new (issue 21)"): does a question asked as a
follow-up find its answer as often as the question written out in full?

    .venv/bin/python benchmarks/follow_ups.py --background DIR [--backend ...] [--smoke]

FOLLOW_UPS are RealTimeQA dev questions, each rewritten as a conversation: a first question
on the same subject, then a short message that leans on it ("where was he arrested?"). The
message is carried over (retrieval/follow_ups.py) as the bot carries it; both it and the dev
question written in full are answered as of the question's date on a copy of --background
(the dev archive), and so is the message alone (what the bot did before). A question is right
when its answer string is in one of the quotes shown.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

from measuring import RTQA_QUESTIONS, add_backend_argument, machine, smoke_or_background

from index import NewsArchive
from retrieval import Answerer, carry_over, end_of_day

# (dev question id, the first question, the follow-up message)
FOLLOW_UPS = (
    ("20221216_24", "What charges were filed against former FTX boss Sam Bankman-Fried?",
     "where was he arrested?"),
    ("20241213_6", "When did Taylor Swift end her Eras Tour?", "where?"),
    ("20230414_4", "When is the 2024 Democratic National Convention?", "where?"),
    ("20231215_5", "Will Vladimir Putin run for re-election next year?",
     "where did he confirm it?"),
    ("20240607_4", "Who is Claudia Sheinbaum?", "which country elected her?"),
    ("20230929_19", "When is Super Bowl LVIII?", "and who headlines its halftime show?"),
    ("20221223_10", "Who played in the World Cup final in Qatar?", "who won it?"),
    ("20230210_5", "When was the State of the Union address?", "who delivered it?"),
    ("20240719_16", "Who played in the 2024 Copa América final?", "who won?"),
    ("20230428_14", "What happened at Fox News this week?", "which host left?"),
    ("20230519_16", "What happened to Prince Harry and Meghan with the paparazzi?",
     "in what city?"),
    ("20240419_12", "Is Donald Trump facing a criminal trial?", "where?"),
    ("20230317_2", "What is an atmospheric river event?", "which state did it hit?"),
    ("20240809_11", "Which areas of the Southeast US is the tropical storm flooding?",
     "what is its name?"),
    ("20230127_15", "What record did Mikaela Shiffrin break?", "who held it before her?"),
    ("20221007_6", "How many home runs did Aaron Judge hit this season?",
     "and who holds the overall record?"),
    ("20220916_6", "Which film director died at age 91 this week?",
     "where did he revolutionize cinema?"),
    ("20220708_16", "What did Ukrainian Prime Minister Denys Shmyhal say about rebuilding Ukraine?",
     "how much will it cost?"),
    ("20230505_4", "Where was the multi-state salmonella outbreak?",
     "what ingredient was it linked to?"),
    ("20230113_27", "Why did the UK's first space mission fail?", "where did it launch from?"),
)  # fmt: skip


def dev_questions() -> dict[str, dict]:
    with gzip.open(RTQA_QUESTIONS, "rt") as lines:
        return {row["id"]: row for row in map(json.loads, lines)}


def found(answerer: Answerer, question: str, answer: str, as_of) -> bool:
    quotes = answerer.answer(question, as_of=as_of).quotes
    return any(answer.lower() in q.text.lower() for q in quotes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--background", type=Path, help="the dev archive to answer from")
    add_backend_argument(parser)
    parser.add_argument("--smoke", action="store_true", help="three follow-ups, a small archive")
    args = parser.parse_args()
    if not args.smoke and args.background is None:
        parser.error("--background is needed unless --smoke")
    questions = dev_questions()
    with tempfile.TemporaryDirectory(prefix="newsbot-follow-ups-") as work:
        settings, embedder = smoke_or_background(
            args.smoke, args.background, Path(work), args.backend
        )
        answerer = Answerer(NewsArchive(settings, embedder=embedder), settings.retrieval)
        print(machine())
        full = carried = alone = not_carried = 0
        items = FOLLOW_UPS[:3] if args.smoke else FOLLOW_UPS
        for qid, first, message in items:
            row = questions[qid]
            as_of = end_of_day(row["date"])
            follow_up = carry_over(first, message)
            asked = follow_up.question if follow_up else message
            not_carried += follow_up is None
            right_full = found(answerer, row["question"], row["answer"], as_of)
            right_carried = found(answerer, asked, row["answer"], as_of)
            right_alone = found(answerer, message, row["answer"], as_of)
            full += right_full
            carried += right_carried
            alone += right_alone
            marks = "".join("+" if r else "-" for r in (right_full, right_carried, right_alone))
            print(f"{marks} {qid}: {asked!r}")
        n = len(items)
        print(
            f"full questions {full}/{n} ({100 * full / n:.0f}%), follow-ups carried over "
            f"{carried}/{n} ({100 * carried / n:.0f}%), the message alone {alone}/{n} "
            f"({100 * alone / n:.0f}%); {not_carried} not read as follow-ups"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
