"""Benchmark (issue 15): police.uk ingest by crimestats against DuckDB and Polars doing the same work.

Usage from the repository root, after ``pip install -e '.[bench]'``::

    python benchmarks/ingest.py --rows 20000000
    python benchmarks/ingest.py --rows 1000000 5000000 20000000 --runs 3 --chart
    python benchmarks/ingest.py --real ../shared/data/real/police-uk/all-forces-2022-06 --rows 1000000
    python benchmarks/ingest.py --store --store-months 120

Every dataset is read by each engine in a fresh subprocess (so peak memory is that process's own,
imports included: ``VmHWM``, as ``ru_maxrss`` of a child also counts its parent's memory), runs
interleaved, medians reported:

- ``crimestats``: ``crimestats.read_police_uk(folder, boundaries=...)``;
- ``duckdb``: SQL over ``read_csv`` of the street files, joined to lookup tables, grouped;
- ``polars``: a lazy scan, the same joins and grouping, collected with the streaming engine;
- ``pyarrow-parse`` (floor): ``pyarrow.csv`` parsing the four columns counting needs, nothing else;
- ``read-bytes`` (floor): reading every byte of the files;
- ``store-refresh``: ``crimestats.Store(new folder).refresh([folder])``, every file read, digested and
  written into a new store: the target is a refresh within 15% of ``crimestats``' ingest time, and the
  report gives the ratio. What the store then holds is compared with the other outputs (read after
  the refresh, in the first run only, as every engine writes its output in the first run only); the
  store is deleted after the clock stops.

The engines' output is counts by month × force × area (CSP on the chosen boundaries) × category,
as crimestats'. The lookups they join to are exported from crimestats itself (LSOA code of 2011
or 2021 -> area; crime type -> category; force spellings -> canonical force, with British
Transport Police and Northern Ireland given no area), so the three agree by construction; their
outputs, and what the refreshed store holds, are compared and any difference is printed. Two
rules of crimestats the engines do not copy: trimming spaces around values and, for LSOA codes in
neither lookup, placing the row by its LSOA name's council (no such codes in the synthetic data or
the shared real folders).

Synthetic data (:func:`crimestats.synthetic.write_street_files`) is written once under
``--data-dir`` (default: a folder in the system temporary directory) and reused; it is never
written inside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENGINES = ("crimestats", "duckdb", "polars", "pyarrow-parse", "read-bytes", "store-refresh")
COMPARED = ("crimestats", "duckdb", "polars", "store-refresh")
COLUMNS = ("Month", "Falls within", "LSOA code", "Crime type")
HEADER = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
    "LSOA name", "Crime type", "Last outcome category", "Context",
)  # fmt: skip
KEYS = ["month", "force", "area_code", "category"]
DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "crimestats-bench"


# --- lookups exported from crimestats ---------------------------------------------------------------


def export_lookups(folder: Path, boundaries: str) -> Path:
    """Write the three lookup tables the engines join to, computed by crimestats, as Parquet."""
    import pandas as pd

    import crimestats as cs
    from crimestats import boundaries as bounds
    from crimestats import synthetic
    from crimestats.areas import NATIONAL, OUTSIDE_ENGLAND_AND_WALES, force_names, forces_of_kind
    from crimestats.taxonomy import POLICE_UK_CRIME_TYPES, category_of_crime_type

    folder.mkdir(parents=True, exist_ok=True)
    changes = bounds.lsoa_changes()
    codes = pd.Series(sorted(set(changes["lsoa11_code"]) | set(changes["lsoa21_code"])), dtype="string")
    areas = bounds.lsoa_areas(codes, boundaries=boundaries)
    lsoa = pd.DataFrame({"lsoa_code": codes, "area_code": areas["area_code"], "area_name": areas["area_name"]})
    lsoa.dropna(subset=["area_code"]).to_parquet(folder / "lsoa_area.parquet", index=False)

    types = pd.Series(sorted(POLICE_UK_CRIME_TYPES), dtype="string")
    crime = pd.DataFrame({"crime_type": types, "category": category_of_crime_type(types)})
    crime.to_parquet(folder / "crime_category.parquet", index=False)

    # Every spelling crimestats recognises that police.uk files use or could use.
    spellings = set()
    for row in cs.forces().itertuples():
        names = [row.force, *(str(row.aliases).split(";") if isinstance(row.aliases, str) and row.aliases else [])]
        for name in names:
            spellings |= {name, f"{name} Police", f"{name} Constabulary", f"{name} Police Service"}
            spellings |= {f"Police Service of {name}", synthetic.police_uk_spelling(name)}
    spelling = pd.Series(sorted(spellings), dtype="string")
    canonical = force_names(spelling)
    no_area = canonical.isin(forces_of_kind(NATIONAL) | forces_of_kind(OUTSIDE_ENGLAND_AND_WALES))
    table = pd.DataFrame({"falls_within": spelling, "force": canonical, "no_area": no_area.astype(bool)})
    table.dropna(subset=["force"]).to_parquet(folder / "force.parquet", index=False)
    return folder


# --- the engines, each run in a child process ------------------------------------------------------


def _street_files(folder: Path) -> list[str]:
    return [str(p) for p in sorted(folder.rglob("*-street.csv"))]


def run_crimestats(folder: Path, lookups: Path, out: Path | None, boundaries: str) -> int:
    import crimestats as cs

    counts = cs.read_police_uk(folder, boundaries=boundaries)
    if out is not None:
        _write_output(counts, out)
    return int(counts["count"].sum())


def _write_output(counts, out: Path) -> None:
    """crimestats' counts (a read's, or a store's) as the engines' output: counts by the compared keys."""
    frame = counts.assign(month=counts["period_start"].dt.strftime("%Y-%m"))
    frame = frame.groupby(KEYS, dropna=False, as_index=False)["count"].sum()
    frame.to_parquet(out, index=False)


def run_duckdb(folder: Path, lookups: Path, out: Path | None, boundaries: str) -> int:
    import duckdb

    files = _street_files(folder)
    con = duckdb.connect()
    for name in ("lsoa_area", "crime_category", "force"):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{lookups / (name + '.parquet')}')")
    # The schema given, not sniffed: a fifth faster on 440 files. (Grouping the raw values before the
    # joins is a tenth faster but its hash table grows with months × LSOAs: 1.4 GB at 20 M rows.)
    columns = ", ".join(f"'{name}': 'VARCHAR'" for name in HEADER)
    con.execute(
        f"""
        CREATE TABLE result AS
        SELECT s."Month" AS month,
               coalesce(f.force, s."Falls within") AS force,
               CASE WHEN coalesce(f.no_area, false) THEN NULL ELSE l.area_code END AS area_code,
               coalesce(c.category, 'Unclassified') AS category,
               count(*) AS count
        FROM read_csv($files, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                      columns = {{{columns}}}) AS s
        LEFT JOIN force AS f ON s."Falls within" = f.falls_within
        LEFT JOIN lsoa_area AS l ON s."LSOA code" = l.lsoa_code
        LEFT JOIN crime_category AS c ON s."Crime type" = c.crime_type
        GROUP BY ALL
        """,
        {"files": files},
    )
    rows = int(con.execute("SELECT sum(count) FROM result").fetchone()[0])
    if out is not None:
        con.execute(f"COPY result TO '{out}' (FORMAT parquet)")
    return rows


def run_polars(folder: Path, lookups: Path, out: Path | None, boundaries: str) -> int:
    import polars as pl

    files = _street_files(folder)
    lsoa = pl.scan_parquet(lookups / "lsoa_area.parquet").select("lsoa_code", "area_code")
    crime = pl.scan_parquet(lookups / "crime_category.parquet")
    force = pl.scan_parquet(lookups / "force.parquet")
    result = (
        pl.scan_csv(files, infer_schema=False)
        .select(list(COLUMNS))
        .join(force, left_on="Falls within", right_on="falls_within", how="left")
        .join(lsoa, left_on="LSOA code", right_on="lsoa_code", how="left")
        .join(crime, left_on="Crime type", right_on="crime_type", how="left")
        .select(
            pl.col("Month").alias("month"),
            pl.coalesce("force", "Falls within").alias("force"),
            pl.when(pl.col("no_area").fill_null(False)).then(None).otherwise(pl.col("area_code")).alias("area_code"),
            pl.col("category").fill_null("Unclassified"),
        )
        .group_by(KEYS)
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .collect(engine="streaming")
    )
    if out is not None:
        result.write_parquet(out)
    return int(result["count"].sum())


def run_pyarrow_parse(folder: Path, lookups: Path, out: Path | None, boundaries: str) -> int:
    import pyarrow as pa
    from pyarrow import csv

    options = csv.ConvertOptions(include_columns=list(COLUMNS), column_types={c: pa.string() for c in COLUMNS})
    return sum(csv.read_csv(path, convert_options=options).num_rows for path in _street_files(folder))


def run_read_bytes(folder: Path, lookups: Path, out: Path | None, boundaries: str) -> int:
    lines = 0
    for path in _street_files(folder):
        with open(path, "rb") as handle:
            while block := handle.read(1 << 24):
                lines += block.count(b"\n")
    return lines - len(_street_files(folder))  # header lines


def run_store_refresh(folder: Path, lookups: Path, out: Path | None, boundaries: str) -> int:
    import atexit
    import shutil

    import crimestats as cs

    scratch = tempfile.mkdtemp(prefix="crimestats-bench-store-")
    atexit.register(shutil.rmtree, scratch, True)  # after the clock stops and the result is printed
    store = cs.Store(Path(scratch) / "store")
    result = store.refresh([folder])
    if not result.ok:
        raise SystemExit(f"store refresh failed: {result.failed[:3]}")
    if out is not None:  # what the store holds, compared with the engines' output
        _write_output(store.read(), out)
    return sum(item["count"] for item in result.ingested)


RUNNERS = {
    "crimestats": run_crimestats,
    "duckdb": run_duckdb,
    "polars": run_polars,
    "pyarrow-parse": run_pyarrow_parse,
    "read-bytes": run_read_bytes,
    "store-refresh": run_store_refresh,
}


def child(args: argparse.Namespace) -> None:
    """Run one engine on one folder; print seconds (imports excluded) and rows as JSON."""
    start = time.perf_counter()
    # crimestats imports lazily: its readers (and pandas) are what the run needs, as the others import theirs.
    modules = {
        "crimestats": ["crimestats.io.police_uk"],
        "duckdb": ["duckdb"],
        "polars": ["polars"],
        "pyarrow-parse": ["pyarrow.csv"],
        # What a refresh imports once it finds a file to read: the readers, and the store's writing half.
        "store-refresh": ["crimestats.io.police_uk", "crimestats.store.commit"],
    }
    for module in modules.get(args.child, []):
        __import__(module)
    imported = time.perf_counter()
    out = Path(args.out) if args.out else None
    rows = RUNNERS[args.child](Path(args.input), Path(args.lookups), out, args.boundaries)
    done = time.perf_counter()
    print(json.dumps({"seconds": done - imported, "import_seconds": imported - start, "rows": rows, **peak_rss()}))


def peak_rss() -> dict[str, float]:
    """This process's peak resident memory in MB, imports included.

    ``VmHWM`` (the high-water mark of this program's own memory) where Linux gives it: a child's
    ``ru_maxrss`` also counts the memory of the parent it was forked from, up to ``exec``.
    """
    import resource

    peak = {"ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return {**peak, "peak_mb": peak["ru_maxrss_mb"]}
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return {**peak, "peak_mb": int(line.split()[1]) / 1024}


def measure(engine: str, folder: Path, lookups: Path, boundaries: str, out: Path | None) -> dict:
    """Run an engine in a fresh process: its own timings, wall time, and peak RSS (see :func:`peak_rss`)."""
    command = [sys.executable, __file__, "--child", engine, "--input", str(folder), "--lookups", str(lookups)]
    command += ["--boundaries", boundaries] + (["--out", str(out)] if out else [])
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True)
        _, status, _ = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if process.returncode:
            raise SystemExit(f"{engine} on {folder} failed:\n{stderr.read()}")
        result = json.loads(stdout.read().strip().splitlines()[-1])
    result["wall_seconds"] = wall
    return result


# --- datasets -----------------------------------------------------------------------------------


def synthetic_dataset(data_dir: Path, rows: int, seed: int) -> Path:
    """The synthetic folder of ``rows`` rows, written once and reused (a marker says it is complete)."""
    from crimestats import synthetic

    folder = data_dir / f"synthetic-{rows}-seed{seed}"
    marker = folder / "complete.json"
    if not marker.exists():
        print(f"writing {rows:,} synthetic rows to {folder} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        files = synthetic.write_street_files(folder, rows, seed=seed)
        marker.write_text(json.dumps({"rows": rows, "seed": seed, "files": len(files)}))
        print(f"  {len(files)} files in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return folder


def describe(folder: Path) -> dict:
    files = _street_files(folder)
    return {"files": len(files), "mb": sum(os.path.getsize(f) for f in files) / 1e6}


def has_lsoa_columns(folder: Path) -> bool:
    """Whether the street files have the current header (the pre-2013 layout has no LSOA columns)."""
    first = _street_files(folder)[0]
    with open(first, encoding="utf-8-sig") as handle:
        return "LSOA code" in handle.readline()


# --- comparison and report --------------------------------------------------------------------------


def compare(outputs: dict[str, Path]) -> list[str]:
    """Differences between the engines' counts (empty when all equal), compared as sorted frames."""
    import pandas as pd

    frames = {}
    for engine, path in outputs.items():
        frame = pd.read_parquet(path)[[*KEYS, "count"]]
        frame = frame.astype({k: "string" for k in KEYS}).astype({"count": "int64"}).fillna({"area_code": ""})
        frames[engine] = frame.groupby(KEYS, as_index=False)["count"].sum().sort_values(KEYS, ignore_index=True)
    problems = []
    reference_name, reference = next(iter(frames.items()))
    for engine, frame in frames.items():
        if engine == reference_name or frame.equals(reference):
            continue
        merged = reference.merge(frame, on=KEYS, how="outer", suffixes=("_a", "_b"), indicator=True)
        differ = merged[(merged["_merge"] != "both") | (merged["count_a"] != merged["count_b"])]
        problems.append(
            f"{engine} differs from {reference_name}: {len(reference):,} vs {len(frame):,} groups, totals "
            f"{int(reference['count'].sum()):,} vs {int(frame['count'].sum()):,}; {len(differ):,} groups differ, "
            f"e.g.\n{differ.head(8).to_string()}"
        )
    return problems


def report(results: dict[str, dict[str, list[dict]]], sizes: dict[str, dict], checks: dict[str, list[str]]) -> str:
    """The Markdown table: medians per dataset and engine, then crimestats against DuckDB/Polars."""
    lines = [
        "| data | engine | rows | MB | time (s) | process (s) | rows/s | MB/s | peak RSS (MB) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ratios = []
    for dataset, by_engine in results.items():
        medians = {}
        for engine, runs in by_engine.items():
            seconds = statistics.median(r["seconds"] for r in runs)
            wall = statistics.median(r["wall_seconds"] for r in runs)
            peak = statistics.median(r["peak_mb"] for r in runs)
            rows, mb = runs[0]["rows"], sizes[dataset]["mb"]
            medians[engine] = (seconds, peak)
            lines.append(
                f"| {dataset} | {engine} | {rows:,} | {mb:,.0f} | {seconds:.2f} | {wall:.2f} | "
                f"{rows / seconds / 1e6:.2f} M | {mb / seconds:.0f} | {peak:,.0f} |"
            )
        rivals = [e for e in ("duckdb", "polars") if e in medians]
        if "crimestats" in medians and rivals:
            best = min(rivals, key=lambda e: medians[e][0])
            own_s, own_mb = medians["crimestats"]
            ratios.append(
                f"- {dataset}: crimestats vs {best} (the faster of {', '.join(rivals)}): speed "
                f"{medians[best][0] / own_s:.2f}× ({'faster' if own_s < medians[best][0] else 'slower'}), "
                f"peak RSS {own_mb / medians[best][1]:.2f}× ({own_mb:,.0f} MB vs {medians[best][1]:,.0f} MB); "
                f"outputs {'equal' if not checks.get(dataset) else 'DIFFER'}"
            )
        if "crimestats" in medians and "store-refresh" in medians:
            refresh = medians["store-refresh"][0] / medians["crimestats"][0]
            ratios.append(
                f"- {dataset}: Store.refresh takes {refresh:.2f}× the ingest's time "
                f"(target ≤ 1.15: {'met' if refresh <= 1.15 else 'MISSED'})"
            )
    return "\n".join([*lines, "", "Speed ratio = their time / crimestats' time (above 1: crimestats faster).", *ratios])


def header() -> str:
    import importlib.metadata as metadata

    import psutil

    versions = []
    for package in ("crimestats", "pandas", "pyarrow", "duckdb", "polars"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} absent")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return (
        f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.processor() or platform.machine()}, "
        f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.system()}; "
        f"CPython {platform.python_version()}; {', '.join(versions)}; commit {commit or '?'}"
    )


def chart(results: dict[str, dict[str, list[dict]]], rows_of: dict[str, int], path: Path) -> None:
    """Time and peak memory against rows, one line per engine (synthetic datasets only)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (ax_time, ax_memory) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for engine in ENGINES:
        points = sorted(
            (rows_of[d], statistics.median(r["seconds"] for r in runs[engine]),
             statistics.median(r["peak_mb"] for r in runs[engine]))
            for d, runs in results.items()
            if d in rows_of and engine in runs
        )  # fmt: skip
        if not points:
            continue
        x = [p[0] / 1e6 for p in points]
        ax_time.plot(x, [p[1] for p in points], marker="o", label=engine)
        ax_memory.plot(x, [p[2] for p in points], marker="o", label=engine)
    ax_time.set(xlabel="rows (millions)", ylabel="time (s, median; log scale)", title="Ingest time", yscale="log")
    ax_memory.set(xlabel="rows (millions)", ylabel="peak RSS (MB, median)", title="Peak memory")
    ax_time.legend()
    figure.suptitle(f"data.police.uk street files: crimestats, DuckDB, Polars and floors ({time.strftime('%Y-%m-%d')})")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    print(f"chart written to {path}", file=sys.stderr)


# --- store timings ----------------------------------------------------------------------------------


def run_store(args: argparse.Namespace) -> None:
    """Child: refresh a store from a synthetic folder (first, repeat), read it, compare years, snapshot."""
    timings = {}

    def timed(label: str, action):
        start = time.perf_counter()
        value = action()
        timings[label] = time.perf_counter() - start
        return value

    store_root = Path(args.lookups)
    timings["import crimestats"] = 0.0
    start = time.perf_counter()
    import crimestats as cs
    from crimestats.snapshot import compute_findings, write_notes, write_sentences

    timings["import crimestats"] = time.perf_counter() - start
    store = cs.Store(store_root)
    timed("Store.refresh, first", lambda: store.refresh([args.input]))
    timed("Store.refresh, repeat (nothing changed)", lambda: store.refresh([args.input]))
    counts = timed("store.read(), everything", store.read)
    timed("store.read(forces=['West Midlands'])", lambda: store.read(forces=["West Midlands"]))
    options = {"base": "2022/23", "current": "2023/24"}
    timed("compare_years, every CSP nationally", lambda: cs.compare_years(counts, **options))
    timed("compare_years, West Midlands CSPs", lambda: cs.compare_years(counts, within="West Midlands", **options))
    snapshot = {"area": "Wolverhampton", "year": "2023/24", "peers": "West Midlands"}

    def without_charts() -> None:
        findings = compute_findings(counts, **snapshot)
        write_sentences(findings)
        write_notes(findings)

    timed("performance_snapshot, charts excluded", without_charts)
    timed("performance_snapshot, with charts", lambda: cs.performance_snapshot(counts, **snapshot))
    print(json.dumps({"timings": timings, "rows": len(counts), "count": int(counts["count"].sum()), **peak_rss()}))


def store_benchmark(args: argparse.Namespace) -> None:
    from crimestats import synthetic

    months = args.store_months
    # The data ends in March 2024 so that the last two financial years are complete.
    import pandas as pd

    start_month = f"{pd.Timestamp('2024-03-01') - pd.DateOffset(months=months - 1):%Y-%m}"
    folder = args.data_dir / f"store-source-{months}m-{args.store_rows_per_month}-seed{args.seed}"
    marker = folder / "complete.json"
    if not marker.exists():
        print(f"writing {months} months of synthetic files to {folder} ...", file=sys.stderr, flush=True)
        files = synthetic.write_street_files(
            folder, months * args.store_rows_per_month, seed=args.seed, start_month=start_month,
            rows_per_month=args.store_rows_per_month,
        )  # fmt: skip
        marker.write_text(json.dumps({"files": len(files)}))
    files = json.loads(marker.read_text())["files"]
    with tempfile.TemporaryDirectory(dir=args.data_dir) as store_root:
        command = [sys.executable, __file__, "--child", "store", "--input", str(folder), "--lookups", store_root]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, status, _ = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        stdout, stderr = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"store benchmark failed:\n{stderr}")
        result = json.loads(stdout.strip().splitlines()[-1])
        parquet = list(Path(store_root).rglob("*.parquet"))
    print(
        f"\n### Store: {months} months × {args.store_rows_per_month:,} rows ({files:,} street files, "
        f"{months * args.store_rows_per_month:,} rows); store of {len(parquet):,} Parquet files, "
        f"{result['rows']:,} count rows; process {wall:.1f} s, peak RSS {result['peak_mb']:,.0f} MB\n"
    )
    print("| step | time (s) |\n| --- | ---: |")
    for label, seconds in result["timings"].items():
        print(f"| {label} | {seconds:.2f} |")


def ingest_benchmark(args: argparse.Namespace, datasets: dict[str, Path], rows_of: dict[str, int]) -> None:
    """Every engine on every dataset, ``args.runs`` times interleaved; the table, the check, the chart."""
    sizes = {name: describe(folder) for name, folder in datasets.items()}
    lookups = export_lookups(args.data_dir / f"lookups-{args.boundaries}", args.boundaries)
    results: dict[str, dict[str, list[dict]]] = {name: {} for name in datasets}
    checks: dict[str, list[str]] = {}
    notes = []
    with tempfile.TemporaryDirectory(dir=args.data_dir) as scratch:

        def output(dataset: str, engine: str) -> Path:
            return Path(scratch) / f"{list(datasets).index(dataset)}-{engine}.parquet"

        for run in range(args.runs):  # interleaved: every dataset and engine once per run
            for name, folder in datasets.items():
                engines = args.engines
                if not has_lsoa_columns(folder):
                    engines = [e for e in engines if e in ("crimestats", "read-bytes", "store-refresh")]
                    if run == 0:
                        notes.append(f"{name}: pre-2013 layout (no LSOA columns): only crimestats and the byte floor")
                for engine in engines:
                    out = output(name, engine) if run == 0 and engine in COMPARED else None
                    result = measure(engine, folder, lookups, args.boundaries, out)
                    results[name].setdefault(engine, []).append(result)
                    print(
                        f"run {run + 1}/{args.runs} {name} {engine}: {result['seconds']:.2f} s, "
                        f"{result['peak_mb']:,.0f} MB",
                        file=sys.stderr,
                        flush=True,
                    )
                if run == 0:
                    outputs = {e: output(name, e) for e in COMPARED if e in engines}
                    if len(outputs) > 1:  # else no check (and a saved one is kept)
                        checks[name] = compare(outputs)
    if args.results:
        results, sizes, checks, rows_of, notes = merge_saved(args.results, results, sizes, checks, rows_of, notes)
    print()
    print(report(results, sizes, checks))
    for note in notes:
        print(f"- {note}")
    for name, problems in checks.items():
        for problem in problems:
            print(f"\n{name}: {problem}")
    if len([e for e in COMPARED if e in args.engines]) > 1 and checks:
        names = {"crimestats": "crimestats", "duckdb": "DuckDB", "polars": "Polars", "store-refresh": "the store"}
        compared = ", ".join(names[e] for e in COMPARED if e in args.engines)
        print(f"\nOutputs equal ({compared}):", "yes" if not any(checks.values()) else "NO")
    if args.chart:
        chart(results, rows_of, args.chart)


def merge_saved(path: Path, results: dict, sizes: dict, checks: dict, rows_of: dict, notes: list) -> tuple:
    """Add this invocation's results to those saved in ``path`` (same dataset and engine: replaced).

    So that a long size (20 M rows, one run) and the shorter ones (three runs) can be run separately
    and reported, and charted, together.
    """
    saved = json.loads(path.read_text()) if path.exists() else {}
    merged = [saved.get(k, {}) for k in ("results", "sizes", "checks", "rows_of")]
    for old, new in zip(merged[1:], (sizes, checks, rows_of), strict=True):
        old.update(new)
    for dataset, by_engine in results.items():  # an engine run again replaces its own runs only
        merged[0].setdefault(dataset, {}).update(by_engine)
    notes = list(dict.fromkeys([*saved.get("notes", []), *notes]))
    keys = ("results", "sizes", "checks", "rows_of", "notes")
    path.write_text(json.dumps(dict(zip(keys, [*merged, notes], strict=True)), indent=1))
    return (*merged, notes)


# --- main ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[], help="synthetic sizes, e.g. 1000000 20000000")
    parser.add_argument("--real", nargs="*", default=[], help="folders of real street files")
    parser.add_argument("--runs", type=int, default=3, help="runs per engine and dataset (median reported)")
    parser.add_argument("--engines", nargs="*", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="where synthetic data is cached")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--boundaries", default="2024", help="boundary vintage of the areas counted")
    parser.add_argument("--chart", type=Path, nargs="?", const=Path("docs/images/performance-ingest.png"))
    parser.add_argument("--results", type=Path, help="JSON file to merge these results into (table: all of them)")
    parser.add_argument("--store", action="store_true", help="also time the store on a national store")
    parser.add_argument("--store-months", type=int, default=120)
    parser.add_argument("--store-rows-per-month", type=int, default=20_000)
    parser.add_argument("--child", choices=[*ENGINES, "store"], help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--lookups", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (args.child or args.rows or args.real or args.store or args.results):
        parser.error("give --rows, --real, --store and/or --results")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child == "store":
        return run_store(args)
    if args.child:
        return child(args)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    print(header())
    datasets: dict[str, Path] = {}
    rows_of: dict[str, int] = {}
    for rows in args.rows:
        name = f"synthetic {rows / 1e6:g} M"
        datasets[name] = synthetic_dataset(args.data_dir, rows, args.seed)
        rows_of[name] = rows
    for folder in args.real:
        datasets[f"real {Path(folder).name}"] = Path(folder)
    if datasets:
        ingest_benchmark(args, datasets, rows_of)
    elif args.results and args.results.exists():  # the table and chart of saved results only
        saved = json.loads(args.results.read_text())
        print(report(saved["results"], saved["sizes"], saved["checks"]))
        if args.chart:
            chart(saved["results"], saved["rows_of"], args.chart)
    if args.store:
        store_benchmark(args)
    return None


if __name__ == "__main__":
    main()
