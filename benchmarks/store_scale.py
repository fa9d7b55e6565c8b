"""Benchmark: a 10-year national store (every force x CSP x police.uk category x month) at scale.

Builds the store through its normal refresh path, from small generated files of canonical counts
(one per force x month, as data.police.uk publishes street files) read by a source registered
for the benchmark, then times:

- ``Store.refresh`` first and repeat (nothing changed), on a one-year store (about 500 files)
  and on the national store;
- ``store.read()`` of everything and of one force;
- ``compare_years`` and ``performance_snapshot`` (charts excluded: ``compute_findings`` and the
  sentences; the whole snapshot with its charts is timed too, for reference);
- how many Parquet files the store holds (a refresh writes a source's year in one file).

Usage from the repository root::

    python benchmarks/store_scale.py [--years 10] [--raw DIR] [--out DIR] [--repeat 3]

With ``--out`` naming a folder that already holds the stores (``one-year``, ``national``), they
are reused and only the reads and repeat refreshes are timed.

``build_store(folder, years=...)`` is importable (``benchmarks/ingest.py`` calls it). Results go
to ``docs/performance.md`` with the machine and the date.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa

import crimestats as cs
from crimestats import sources
from crimestats.counts import attach, make_coverage
from crimestats.quality import FileQuality
from crimestats.schema import COLUMN_NAMES, validate
from crimestats.store import slug

#: The 14 data.police.uk categories published since May 2013, with a rough national monthly share.
CATEGORIES = {
    "Anti-social behaviour": 0.22,
    "Violence and sexual offences": 0.30,
    "Criminal damage and arson": 0.08,
    "Other theft": 0.07,
    "Public order": 0.07,
    "Shoplifting": 0.06,
    "Vehicle crime": 0.05,
    "Burglary": 0.04,
    "Drugs": 0.02,
    "Other crime": 0.015,
    "Theft from the person": 0.01,
    "Bicycle theft": 0.01,
    "Robbery": 0.008,
    "Possession of weapons": 0.005,
}
SUFFIX = "-synthetic-counts.csv"
SOURCE_NAME = "synthetic-counts"


def _read_synthetic(path: str | Path, **_: object) -> pd.DataFrame:
    """Canonical police.uk counts of one generated file, with coverage and a quality record."""
    path = Path(path)
    frame = pd.read_csv(path, parse_dates=["period_start"], keep_default_na=True)
    for column in ("knife", "business", "domestic"):
        frame[column] = pd.array([pd.NA] * len(frame), dtype="boolean")
    frame = validate(frame[list(COLUMN_NAMES)], source=str(path))
    month = f"{frame['period_start'].iloc[0]:%Y-%m}"
    force = str(frame["force"].iloc[0])
    total = int(frame["count"].sum())
    quality = FileQuality(
        file=str(path),
        source="police.uk",
        rows_read=total,
        rows_counted=total,
        count=total,
        months=[month],
        area_by="lsoa",
    )
    coverage = make_coverage([{"source": "police.uk", "force": force, "period_start": month, "period_months": 1}])
    return attach(frame, coverage=coverage, quality=[quality])


SYNTHETIC = sources.Source(
    name=SOURCE_NAME,
    label="synthetic police.uk counts",
    period_months=1,
    has_records=True,
    recognise=lambda probe: 5 if probe.name.endswith(SUFFIX) else 0,
    read=_read_synthetic,
    description="benchmark files of canonical police.uk counts",
)


def generate(folder: Path, *, years: int = 10, first_year: int = 2015) -> list[Path]:
    """Write one canonical-counts CSV per force x month under ``folder`` (deterministic); return the files."""
    csps = cs.csps()
    months = pd.period_range(f"{first_year}-01", periods=12 * years, freq="M")
    files = []
    header = ",".join(name for name in COLUMN_NAMES if name not in ("knife", "business", "domestic"))
    for force, areas in csps.groupby("force", sort=True):
        for month in months:
            lines = [header]
            for code, name in zip(areas["csp_code"], areas["csp_name"], strict=True):
                for category, share in CATEGORIES.items():
                    seed = zlib.crc32(f"{code}{category}{month}".encode())
                    number = int(share * (400 + seed % 600) * (1 + 0.1 * ((month.year - first_year) % 3)))
                    if number:
                        is_crime = category != "Anti-social behaviour"
                        quoted = f'"{name}"' if "," in name else name
                        lines.append(
                            f'{month.start_time:%Y-%m-%d},1,"{force}",{code},{quoted},{category},,,,'
                            f"{is_crime},{number},police.uk"
                        )
            # Rows with no LSOA stay in the force total with no area, as in real street files.
            lines.append(f'{month.start_time:%Y-%m-%d},1,"{force}",,,Anti-social behaviour,,,,False,7,police.uk')
            target = folder / f"{month}" / f"{month}-{slug(force)}{SUFFIX}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(lines) + "\n", encoding="utf-8")
            files.append(target)
    return files


def build_store(root: str | Path, *, years: int = 10, raw: str | Path | None = None) -> tuple[cs.Store, Path]:
    """A national store of ``years`` years at ``root``, built through ``Store.refresh``; and its raw folder."""
    raw = Path(raw) if raw is not None else Path(tempfile.mkdtemp(prefix="crimestats-raw-"))
    if not any(raw.rglob(f"*{SUFFIX}")):
        generate(raw, years=years)
    store = cs.Store(root)
    sources.register(SYNTHETIC)
    result = store.refresh([raw])
    if not result.ok:
        raise SystemExit(f"refresh failed: {result.failed[:3]}")
    return store, raw


def timed(label: str, action: Callable[[], object], repeat: int = 1) -> object:
    """Run ``action`` ``repeat`` times; print the median seconds; return the last value."""
    times = []
    value = None
    for _ in range(repeat):
        start = time.perf_counter()
        value = action()
        times.append(time.perf_counter() - start)
    print(f"{label:<58} {statistics.median(times):8.3f} s  (median of {repeat})", flush=True)
    return value


def main(argv: list[str] | None = None) -> None:
    """Build (or reuse) the stores and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--out", help="folder of the stores (reused when they exist; default: a new temporary folder)")
    parser.add_argument("--raw", help="folder of generated files (reused when present)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}, "
        f"{platform.system()}, pandas {pd.__version__}, pyarrow {pa.__version__}, crimestats {cs.__version__}"
    )
    raw = Path(args.raw or tempfile.mkdtemp(prefix="crimestats-raw-"))
    files = timed("generate files", lambda: list(raw.rglob(f"*{SUFFIX}")) or generate(raw, years=args.years))
    out = Path(args.out or tempfile.mkdtemp(prefix="crimestats-stores-"))
    sources.register(SYNTHETIC)

    # A year of every force (about 500 files): first refresh, then repeats finding nothing new.
    year = sorted(raw.iterdir())[:12]
    count = sum(1 for folder in year for _ in folder.iterdir())
    small = cs.Store(out / "one-year")
    if not small.root.exists():
        result = timed(f"refresh, first ({count} files, one year)", lambda: small.refresh(year))
        print(f"  {result.summary()}")
    timed(f"refresh, repeat ({count} files unchanged, one-year store)", lambda: small.refresh(year), args.repeat)

    store = cs.Store(out / "national")
    if not store.root.exists():
        result = timed(f"refresh, first ({len(files)} files)", lambda: store.refresh([raw]))
        print(f"  {result.summary()}")
    parquet = list(store.root.rglob("*.parquet"))
    print(f"  store holds {len(parquet)} Parquet files, {sum(p.stat().st_size for p in parquet) / 1e6:.1f} MB")
    timed(f"refresh, repeat ({len(files)} files unchanged)", lambda: store.refresh([raw]), args.repeat)
    timed(f"refresh, repeat ({count} of them unchanged)", lambda: store.refresh(year), args.repeat)
    counts = timed("store.read() everything", store.read, args.repeat)
    print(f"  {len(counts):,} rows")
    timed("store.read(forces=['Kent'])", lambda: store.read(forces=["Kent"]), args.repeat)
    timed(
        "store.read(forces=['Kent'], start=2023-04, end=2024-03)",
        lambda: store.read(forces=["Kent"], start="2023-04", end="2024-03"),
        args.repeat,
    )
    last = 2015 + args.years - 1
    base, current = f"{last - 2}/{str(last - 1)[2:]}", f"{last - 1}/{str(last)[2:]}"
    cs.change_p_value(1, 2)  # scipy.stats is imported on first use: not part of what is timed
    timed(
        f"compare_years {base} -> {current} by CSP, national",
        lambda: cs.compare_years(counts, base=base, current=current),
        args.repeat,
    )
    timed(
        f"compare_years {base} -> {current} within West Midlands",
        lambda: cs.compare_years(counts, base=base, current=current, within="West Midlands"),
        args.repeat,
    )
    from crimestats.snapshot import compute_findings, write_sentences

    def findings() -> object:
        found = compute_findings(counts, area="Wolverhampton", year=current, peers="West Midlands")
        return write_sentences(found)

    timed("performance_snapshot findings + sentences (no charts)", findings, args.repeat)
    timed(
        "performance_snapshot (with charts)",
        lambda: cs.performance_snapshot(counts, area="Wolverhampton", year=current, peers="West Midlands"),
        1,
    )
    if hasattr(store, "compact"):
        timed("store.compact() (nothing to do after a refresh compacted)", store.compact)


if __name__ == "__main__":
    main(sys.argv[1:])
