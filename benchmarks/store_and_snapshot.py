"""Benchmark: refreshing the store (first and repeat), a filtered read, and building the snapshot.

Usage from the repository root (shared data beside the checkout)::

    python benchmarks/store_and_snapshot.py [POLICE_UK_FOLDER]

Record results in docs/performance.md with the machine and the date.
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from pathlib import Path

import crimestats as cs


def timed(label: str, action):
    start = time.perf_counter()
    value = action()
    print(f"{label}: {time.perf_counter() - start:.2f} s")
    return value


def main(folder: str = "../shared/data/real/police-uk/all-forces-2022-06") -> None:
    print(f"machine: {platform.machine()}, CPython {platform.python_version()}, {platform.system()}")
    if Path(folder).exists():
        store = cs.Store(Path(tempfile.mkdtemp()) / "store")
        timed(f"refresh {folder} (first)", lambda: store.refresh([folder]))
        timed(f"refresh {folder} (again, all skipped)", lambda: store.refresh([folder]))
        timed("read everything", store.read)
        timed("read one force", lambda: store.read(forces=["Kent"]))
    extract = timed(
        "read_extract (439,787 rows)",
        lambda: cs.read_extract(cs.datasets.path("scenario-extract"), cs.datasets.path("scenario-extract-mapping")),
    )
    snap = timed(
        "performance_snapshot",
        lambda: cs.performance_snapshot(
            extract,
            area="Wolverhampton",
            year="2017/18",
            peers="West Midlands",
            selections=("total recorded crime", "knife or sharp instrument offences"),
        ),
    )
    timed("snapshot.save (png+svg, md, html)", lambda: snap.save(tempfile.mkdtemp()))


if __name__ == "__main__":
    main(*sys.argv[1:])
