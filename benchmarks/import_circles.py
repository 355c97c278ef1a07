"""Import circles in the package (issue 23): groups of modules that import each other, directly
or round a loop, as an ast walk reads them (imports inside functions count: a lazy import still
ties two modules together).

    .venv/bin/python benchmarks/import_circles.py [FOLDER ...]   # default: config index retrieval bot

Prints one line per circle (its size and modules) and exits 1 when there is any, so it can
guard a folder that has none. `from a.b import c` counts as importing a.b.c when that is a
module, else a.b (a package's `__init__`).
"""

from __future__ import annotations

import argparse
import sys

from newsbot_testing.import_graph import circles, imports, modules


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", default=["config", "index", "retrieval", "bot"])
    args = parser.parse_args()
    found = modules(args.folders)
    groups = circles(imports(found))
    print(f"{len(groups)} import circle(s) among {len(found)} modules in {' '.join(args.folders)}")
    for group in groups:
        print(f"  {len(group)} modules: {' <-> '.join(group)}")
    return 1 if groups else 0


if __name__ == "__main__":
    sys.exit(main())
