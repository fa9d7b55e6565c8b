"""Reading the store: a pyarrow dataset over the files the manifest names, filters pushed down."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ..counts import attach, empty_coverage, make_coverage
from ..exceptions import StoreError
from ..periods import parse_month
from ..quality import FileQuality
from ..schema import COLUMN_NAMES, COLUMNS, empty_counts, validate
from .manifest import PARTITION_FIELDS, read_manifest
from .status import STATUS_COLUMNS, status_info, status_rows

_ARROW_TYPES = {
    "datetime64[ns]": pa.timestamp("ns"),
    "int64": pa.int64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "boolean": pa.bool_(),
}
#: The Arrow schema of every counts partition file.
COUNTS_SCHEMA = pa.schema([pa.field(c.name, _ARROW_TYPES[c.dtype], nullable=c.nullable) for c in COLUMNS])


T = TypeVar("T")
#: How often a read starts again when a refresh swapped the manifest under it.
READ_ATTEMPTS = 5


def consistent(root: Path, reader: Callable[[dict[str, Any]], T]) -> T:
    """``reader(manifest)`` on the current manifest, started again if a refresh swaps it meanwhile.

    A refresh keeps the files it replaces until the next refresh, so a reader holding the
    previous manifest still finds them; a reader slower than two refreshes finds one gone, reads
    the new manifest and starts again. A file missing while the manifest stays the same means
    the store was damaged from outside.
    """
    manifest = read_manifest(root, shared=True)
    for _ in range(READ_ATTEMPTS):
        try:
            return reader(manifest)
        except FileNotFoundError as error:
            newer = read_manifest(root, shared=True)
            if newer == manifest:
                raise StoreError(
                    f"{root}: a data file the manifest names is missing ({error}); the store was changed from "
                    "outside crimestats: delete the store folder and refresh it from the sources"
                ) from error
            manifest = newer
        except pa.ArrowException as error:
            raise StoreError(f"{root}: a data file cannot be read: {error}") from error
    raise StoreError(f"{root}: the store changed {READ_ATTEMPTS} times during one read; read again")


@cache
def slug(name: str) -> str:
    """A force name as a partition value: "London, City of" -> "london-city-of"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def selected(
    manifest: dict[str, Any],
    name: str,
    *,
    forces: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    sources: Sequence[str] | None = None,
    **_: Any,
) -> list[dict[str, Any]]:
    """Partitions (their manifest entries) of the ``counts`` or ``records`` dataset a read with these filters needs.

    Pruning by source, force and month is done on the manifest, so no file is opened to find out.
    """
    from ..areas import force_name

    slugs = None if forces is None else {slug(force_name(f)) for f in forces}
    first = None if start is None else f"{parse_month(start):%Y-%m}"
    last = None if end is None else f"{parse_month(end):%Y-%m}"
    kinds = None if sources is None else set(sources)
    keep = []
    for key in sorted(manifest["partitions"]):
        meta = manifest["partitions"][key]
        if meta["dataset"] != name:
            continue
        if slugs is not None and slug(meta["force"]) not in slugs:
            continue
        if (first is not None and meta["month"] < first) or (last is not None and meta["month"] > last):
            continue
        if kinds is not None and meta.get("src") not in kinds:
            continue
        keep.append(meta)
    return keep


def file_parts(partitions: Sequence[dict[str, Any]]) -> dict[str, list[tuple[str, str]] | None]:
    """The data files holding ``partitions``, each with the partitions to keep from it (None: every row).

    A partition is its file's rows of its force and month (a file holds partitions of one source
    and year). When every partition the file was written with is wanted, the whole file is read;
    otherwise only the wanted partitions' rows, as (force, month) pairs: a read filtered on forces
    or months, or, in a store written by an earlier version, a partition replaced since (dead in
    the old file), which is never read twice.
    """
    wanted: dict[str, list[tuple[str, str]]] = {}
    written: dict[str, int] = {}
    for meta in partitions:
        wanted.setdefault(meta["file"], []).append((meta["force"], meta["month"]))
        written[meta["file"]] = written_with(meta)
    return {file: None if len(pairs) >= written[file] else sorted(pairs) for file, pairs in wanted.items()}


def written_with(meta: dict[str, Any]) -> int:
    """How many partitions the file holding a counts partition was written with (see :mod:`.manifest`)."""
    return int(meta.get("file_partitions", meta.get("file_months", 1)))


def rows_filter(file: str, pairs: Sequence[tuple[str, str]]) -> ds.Expression:
    """Rows of the partitions ``pairs`` ((force, month)) of the data ``file`` (relative to the store).

    A file of a store written before source-year files holds one force (``pfa=`` in its path): its
    rows are chosen by month alone, as they were then, so rows whose force is spelt otherwise than
    the manifest's name for their partition are kept as they always were. Files of source-years
    hold only the names the manifest gives (see :func:`~crimestats.store.loading.key_clash`).
    """
    return month_filter([month for _, month in pairs]) if one_force(file) else partition_filter(pairs)


def one_force(file: str) -> bool:
    """True for a counts file of the layouts before source-year files (a folder per force, ``pfa=``)."""
    return "/pfa=" in file


def partition_filter(pairs: Sequence[tuple[str, str]]) -> ds.Expression:
    """Rows of the partitions ``pairs`` ((force, month "YYYY-MM")) of one file.

    Forces wanted for the same months share one test, so a read of some months of every force, or
    of every month of some forces, is a short expression whatever the number of partitions.
    """
    months: dict[str, list[str]] = {}
    for force, month in pairs:
        months.setdefault(force, []).append(month)
    forces: dict[tuple[str, ...], list[str]] = {}
    for force, wanted in months.items():
        forces.setdefault(tuple(sorted(set(wanted))), []).append(force)
    combined = None
    for wanted, names in sorted(forces.items()):
        part = ds.field("force").isin(sorted(names)) & month_filter(wanted)
        combined = part if combined is None else combined | part
    return combined


def month_filter(months: Sequence[str]) -> ds.Expression:
    """Rows whose period starts in one of ``months`` ("YYYY-MM"); consecutive months make one range."""
    spans: list[list[pd.Timestamp]] = []
    for month in sorted(set(months)):
        first = pd.Timestamp(f"{month}-01")
        if spans and spans[-1][1] == first:
            spans[-1][1] = first + pd.DateOffset(months=1)
        else:
            spans.append([first, first + pd.DateOffset(months=1)])
    combined = None
    for first, stop in spans:
        part = (ds.field("period_start") >= first) & (ds.field("period_start") < stop)
        combined = part if combined is None else combined | part
    return combined


def scans(
    root: Path, manifest: dict[str, Any], name: str, **filters: Any
) -> list[tuple[ds.Dataset, ds.Expression | None]]:
    """What a read of the ``counts`` or ``records`` partitions the filters keep scans: (dataset, filter) pairs.

    Files read whole make one dataset; the source-year files of which only some partitions are
    wanted make another, scanned with the filter of every partition wanted (each row of those files
    belongs to a partition the manifest places there, so a row passes only for a partition wanted
    from its own file). A file of a store written by an earlier version is scanned on its own with
    its own partitions' filter (:func:`rows_filter`): it may hold partitions the manifest places
    elsewhere (dead).
    Empty when the manifest names no such partition.
    """
    files = file_parts(selected(manifest, name, **filters))
    if not files:
        return []
    fmt = ds.ParquetFileFormat()
    filesystem = pafs.LocalFileSystem()
    # An explicit schema means a file is opened only when its fragment is scanned.
    schema = COUNTS_SCHEMA if name == "counts" else pq.read_schema(str(root / next(iter(files))))
    inside = expression(**filters)

    def scan(paths: list[str], extra: ds.Expression | None) -> tuple[ds.Dataset, ds.Expression | None]:
        fragments = [fmt.make_fragment(str(root / path), filesystem=filesystem) for path in paths]
        combined = extra if inside is None else inside if extra is None else inside & extra
        return ds.FileSystemDataset(fragments, schema, fmt, filesystem), combined

    whole = [file for file, pairs in files.items() if pairs is None]
    partial = {file: pairs for file, pairs in files.items() if pairs is not None}
    alone = holding_dead(manifest, partial) | {file for file in partial if one_force(file)}
    live = [file for file in partial if file not in alone]
    out = [scan(whole, None)] if whole else []
    if live:  # one scan, not one per file: a read of one force over ten years opens ten files of every force
        out.append(scan(live, partition_filter(sorted({pair for file in live for pair in partial[file]}))))
    out += [scan([file], rows_filter(file, partial[file])) for file in partial if file in alone]
    return out


def holding_dead(manifest: dict[str, Any], files: Collection[str]) -> set[str]:
    """Those of ``files`` holding partitions the manifest places elsewhere (written by an earlier version)."""
    live, written = partition_counts(manifest)
    return {file for file in files if live.get(file, 0) < written.get(file, 0)}


def partition_counts(manifest: dict[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """Per counts file the manifest names: the partitions it places there, and those it was written with."""
    live: dict[str, int] = {}
    written: dict[str, int] = {}
    for meta in manifest["partitions"].values():
        if meta["dataset"] == "counts":
            live[meta["file"]] = live.get(meta["file"], 0) + 1
            written[meta["file"]] = written_with(meta)
    return live, written


def to_table(root: Path, manifest: dict[str, Any], name: str, *, columns: Sequence[str] | None, **filters: Any):
    """The rows of the partitions the filters keep, as one Arrow table (None when there are none)."""
    parts = scans(root, manifest, name, **filters)
    if not parts:
        return None
    tables = [data.to_table(columns=None if columns is None else list(columns), filter=where) for data, where in parts]
    # One chunk per column before pandas: a chunk per file makes the conversion slow.
    return (tables[0] if len(tables) == 1 else pa.concat_tables(tables)).combine_chunks()


def expression(
    *,
    areas: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    **_: Any,
) -> ds.Expression | None:
    """The pyarrow filter on areas and categories (forces and months: the manifest and :func:`partition_filter`)."""
    from ..areas import area_name

    parts = []
    if areas is not None:
        parts.append(ds.field("area_name").isin([area_name(a) for a in areas]))
    if categories is not None:
        parts.append(ds.field("category").isin(list(categories)))
    combined = None
    for part in parts:
        combined = part if combined is None else combined & part
    return combined


def pandas_type(arrow_type: pa.DataType):
    """Nullable pandas dtypes for Arrow strings and booleans (others keep their default)."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def fragments(root: Path, manifest: dict[str, Any], **filters: Any) -> list[str]:
    """Files a read of ``manifest`` with these filters opens."""
    return [str(root / file) for file in file_parts(selected(manifest, "counts", **filters))]


def read_counts(
    root: Path, manifest: dict[str, Any], *, columns: Sequence[str] | None = None, **filters: Any
) -> pd.DataFrame:
    """Canonical counts of the files ``manifest`` names (see :meth:`crimestats.Store.read`)."""
    wanted = list(columns) if columns is not None else list(COLUMN_NAMES)
    table = to_table(root, manifest, "counts", columns=wanted, **filters)
    if table is None:
        empty = empty_counts() if columns is None else empty_counts()[list(columns)]
        return attach(empty, coverage=empty_coverage(), quality=[])
    frame = table.to_pandas(types_mapper=pandas_type)
    if columns is None:
        frame = validate(frame, source=str(root))
    return attach(frame, coverage=stored_coverage(manifest, frame), quality=stored_quality(manifest, **filters))


def coverage_records(coverage: pd.DataFrame) -> list[dict[str, Any]]:
    """A coverage table as JSON-ready rows for the manifest."""
    columns = list(coverage.columns)
    at = columns.index("period_start")
    rows = []
    for values in coverage.itertuples(index=False, name=None):  # a file's table is a row or a few
        row = {c: (None if v is pd.NA or v is None else v) for c, v in zip(columns, values, strict=True)}
        row["period_start"] = None if pd.isna(values[at]) else f"{values[at]:%Y-%m}"
        rows.append(row)
    return rows


def coverage_records_many(tables: Sequence[pd.DataFrame | None]) -> list[list[dict[str, Any]] | None]:
    """:func:`coverage_records` of many tables in one pass (a refresh of thousands of files)."""
    present = [table for table in tables if table is not None and len(table)]
    if not present:
        return [None if table is None else [] for table in tables]
    rows = iter(coverage_records(pd.concat(present, ignore_index=True)))
    return [None if table is None else [next(rows) for _ in range(len(table))] for table in tables]


def stored_coverage(manifest: dict[str, Any], frame: pd.DataFrame) -> pd.DataFrame | None:
    """Coverage of the stored files, limited to the forces and periods a read returned.

    None (coverage then inferred from the rows) when any file was stored before coverage was kept.
    """
    if any(meta.get("coverage") is None for meta in manifest["files"].values()):
        return None
    if frame.empty or "force" not in frame or "period_start" not in frame:
        return make_coverage([]).iloc[0:0]
    forces = set(frame["force"].unique())
    # Filtered as plain rows first: a national store's coverage is a row per force and month of every file.
    rows = [row for meta in manifest["files"].values() for row in meta["coverage"] if row.get("force") in forces]
    coverage = make_coverage(rows)
    if coverage.empty:
        return coverage
    keep = coverage["force"].isin(frame["force"].unique()) & coverage["period_start"].between(
        frame["period_start"].min(), frame["period_start"].max()
    )
    return coverage[keep].reset_index(drop=True)


def stored_quality(manifest: dict[str, Any], **filters: Any) -> list[FileQuality]:
    """The quality records of the stored files a read with these filters draws on (every file without filters)."""
    files = manifest["files"]
    if any(value is not None for value in filters.values()):
        used = {meta["from"] for meta in selected(manifest, "counts", **filters)}
        files = {key: meta for key, meta in files.items() if key in used}
    records = []
    for meta in files.values():
        quality = meta.get("quality")
        if quality:
            records += [FileQuality.from_dict(q) for q in quality.get("files", [quality])]
    return records


def read_records(root: Path, manifest: dict[str, Any], **filters: Any) -> pd.DataFrame:
    """Record-level rows of the files ``manifest`` names (see :meth:`crimestats.Store.read_records`)."""
    table = to_table(root, manifest, "records", columns=None, **filters)
    if table is None:
        return pd.DataFrame()
    frame = table.to_pandas(types_mapper=pandas_type)
    return frame.drop(columns=list(PARTITION_FIELDS["records"]), errors="ignore")


def status(manifest: dict[str, Any]) -> pd.DataFrame:
    """Coverage per source and force (see :meth:`crimestats.Store.status`)."""
    table = pd.DataFrame(status_rows(manifest), columns=list(STATUS_COLUMNS))
    table.attrs = status_info(manifest)
    return table
