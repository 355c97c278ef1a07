"""Hostile inputs: what each costs the product, in time and memory, against the goals of
benchmarks/README.md "Reliability" (< 300 MB above the idle process, finished within its
deadline + 1 s).

    .venv/bin/python benchmarks/hostile_inputs.py [--smoke] [--only NAME]

The hostile web server (newsbot_testing/hostile_web.py) runs in this process; each case runs in a
fresh child process ('spawn'), so one case's peak memory never shows in another's. A child
imports the product, notes its resident memory (idle), runs the case with the default
settings (127.0.0.1 allowed, where the server is), and reports the outcome (the one-line
error), the seconds taken and the peak resident memory above idle (VmHWM - VmRSS, Linux).

--smoke shortens the deadline and timeout to 2 and 1 s so the run takes seconds (CI); the
full run uses the defaults (30 s deadline, 15 s read timeout), so the tarpit and the slow
headers take their full time.

Other parts add cases to CASES: a name, the async callable to run (it gets the server's base
URL and the settings, and returns the outcome in one line; an exception other than the
product's errors counts as unhandled), and optionally the deadline it must keep.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from measuring import machine

from config import Settings, load_settings
from index import IndexError_
from index.sources import Fetcher
from newsbot_testing.hostile_web import HostileWeb, RebindingResolver

MEMORY_GOAL_MB = 300
SLACK_SECONDS = 1.0


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[str, Settings], Awaitable[str]]
    # None: the fetch deadline of the settings in use.
    deadline_seconds: float | None = None


@dataclass(frozen=True)
class Row:
    name: str
    outcome: str
    seconds: float
    peak_mb: float
    deadline_seconds: float
    unhandled: bool = False


def fetch_case(name: str, path: str) -> Case:
    """A case that fetches one path of the hostile server with the product's Fetcher."""

    async def run(base_url: str, settings: Settings) -> str:
        async with Fetcher(settings.fetch) as fetcher:
            resource = await fetcher.get(base_url + path)
        return f"fetched {len(resource.body):,} bytes"

    return Case(name, run)


async def _rebinding(base_url: str, settings: Settings) -> str:
    port = base_url.rsplit(":", 1)[1]
    fetch = dataclasses.replace(settings.fetch, allow_private_networks=("127.0.0.2/32",))
    resolver = RebindingResolver(first=["127.0.0.2"], then=["127.0.0.1"])
    async with Fetcher(fetch, resolver=resolver) as fetcher:
        await fetcher.check_allowed(f"http://rebind.test:{port}/")
        await fetcher.get(f"http://rebind.test:{port}/")
    return "fetched (the rebinding reached 127.0.0.1)"


CASES: list[Case] = [
    fetch_case("gzip-in-gzip bomb (4 GB)", "/bomb/gzip-gzip"),
    fetch_case("deflate bomb (1 GB)", "/bomb/deflate"),
    fetch_case("identity body, no length (100 MB)", "/huge"),
    fetch_case("lying Content-Length", "/lying-length"),
    fetch_case("invalid gzip", "/invalid-gzip"),
    fetch_case("unknown encoding (br)", "/unknown-encoding"),
    fetch_case("tarpit, a byte a second", "/tarpit?interval=1&duration=300"),
    fetch_case("slow headers (300 s)", "/slow-headers?delay=300"),
    fetch_case("redirect loop", "/redirect-loop"),
    fetch_case("redirect chain of 6", "/chain/6"),
    fetch_case("redirect to 169.254.169.254", "/redirect-internal"),
    Case("rebinding DNS (allowed, then 127.0.0.1)", _rebinding),
    fetch_case("huge feed (100k items)", "/feed/huge"),
    fetch_case("malformed feed", "/feed/malformed"),
]


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _settings(smoke: bool) -> Settings:
    overrides: dict[str, object] = {"fetch.allow_private_networks": ["127.0.0.1/32"]}
    if smoke:
        overrides |= {"fetch.deadline_seconds": 2.0, "fetch.timeout_seconds": 1.0}
    return load_settings(env={}, overrides=overrides)


def run_case(index: int, base_url: str, smoke: bool) -> Row:
    """In a fresh child process: one case, timed, with its peak memory above idle."""
    case = CASES[index]
    settings = _settings(smoke)
    deadline = case.deadline_seconds or settings.fetch.deadline_seconds
    idle_kb = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from here
    started = time.perf_counter()
    unhandled = False
    try:
        outcome = asyncio.run(case.run(base_url, settings))
    except IndexError_ as error:
        outcome = str(error)
    except Exception as error:  # noqa: BLE001 - the finding this benchmark looks for
        outcome, unhandled = f"UNHANDLED {type(error).__name__}: {error}", True
    seconds = time.perf_counter() - started
    peak_mb = (_status_kb("VmHWM") - idle_kb) / 1024
    outcome = outcome.replace(base_url, "").replace("\n", " ")
    return Row(case.name, outcome, seconds, peak_mb, deadline, unhandled)


async def run_all(cases: list[int], smoke: bool) -> list[Row]:
    rows = []
    context = multiprocessing.get_context("spawn")
    async with HostileWeb() as web:
        loop = asyncio.get_running_loop()
        for index in cases:
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                rows.append(await loop.run_in_executor(pool, run_case, index, web.base_url, smoke))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="2 s deadline, 1 s timeout (CI)")
    parser.add_argument("--only", help="run the cases whose name contains this text")
    args = parser.parse_args()
    chosen = [i for i, c in enumerate(CASES) if not args.only or args.only in c.name]
    print(machine())
    print(f"{'input':42} {'seconds':>8} {'peak MB':>8}  goal  outcome")
    missed = 0
    for row in asyncio.run(run_all(chosen, args.smoke)):
        kept = row.peak_mb < MEMORY_GOAL_MB and row.seconds <= row.deadline_seconds + SLACK_SECONDS
        # --smoke proves the script works on a busy CI machine: only unhandled errors fail it.
        missed += row.unhandled or (not kept and not args.smoke)
        print(
            f"{row.name:42} {row.seconds:8.2f} {row.peak_mb:8.1f}  {'ok' if kept else 'MISS':4}"
            f"  {row.outcome[:160]}"
        )
    print(
        f"goals: < {MEMORY_GOAL_MB} MB above idle, within the deadline + {SLACK_SECONDS:g} s;"
        f" {missed} case(s) failed"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
