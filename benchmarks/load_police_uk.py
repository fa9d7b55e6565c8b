"""Benchmark: time and peak memory of loading data.police.uk street files.

Usage (from the repository root, shared data beside the checkout)::

    python benchmarks/load_police_uk.py [FOLDER_OR_ZIP ...]

Each load runs in a fresh subprocess so its peak resident memory (ru_maxrss) is its own.
Defaults to ../shared/data/real/police-uk/all-forces-2022-06 and the City of London folder.
Results go to docs/performance.md by hand, with the machine and the date.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
import crimestats as cs
start = time.perf_counter()
counts = cs.read_police_uk(sys.argv[1])
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": round(seconds, 2), "peak_mb": round(peak_mb), "rows": int(counts["count"].sum()),
                  "files": len(counts.attrs["quality"])}))
"""

DEFAULTS = [
    "../shared/data/real/police-uk/all-forces-2022-06",
    "../shared/data/real/police-uk/city-of-london-2017-2018",
]


def main(paths: list[str]) -> None:
    baseline = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import json, resource, crimestats; print(json.dumps({'peak_mb': round("
                "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()}; import crimestats alone: {baseline['peak_mb']} MB"
    )
    for path in paths or DEFAULTS:
        if not Path(path).exists():
            print(f"{path}: not found, skipped")
            continue
        result = json.loads(
            subprocess.run([sys.executable, "-c", CHILD, path], check=True, capture_output=True, text=True).stdout
        )
        print(
            f"{path}: {result['files']} files, {result['rows']:,} rows, {result['seconds']} s, "
            f"peak {result['peak_mb']} MB"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
