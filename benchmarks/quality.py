"""Answer quality on the evaluation sets in ../shared/data; see benchmarks/README.md
"Answer quality".

    .venv/bin/python benchmarks/quality.py [--limit N] [--set retrieval.dense_weight=0.5] ...

Prints a table and writes benchmarks/out/quality.json. The same suite is `newsbot eval`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.cli.evaluate import add_eval_arguments, run_eval  # noqa: E402
from bot.log_setup import configure_logging  # noqa: E402
from config import load_settings  # noqa: E402

DATA = REPO.parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_eval_arguments(parser, data=DATA)
    parser.add_argument("--config", help="a TOML settings file")
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress")
    parser.set_defaults(out=REPO / "benchmarks" / "out" / "quality.json")
    args = parser.parse_args()
    settings = load_settings(config_file=args.config)
    configure_logging(settings, args.verbose)  # as `newsbot eval` logs
    return run_eval(args, settings)


if __name__ == "__main__":
    sys.exit(main())
