"""A local Parquet store of canonical counts, kept current by incremental, idempotent, crash-safe refreshes.

Layout under the store folder::

    manifest.json                                  the current state (swapped atomically)
    counts/src=<source>/pfa=<force>/month=<YYYY-MM>/part-<generation>-<id>.parquet
    records/pfa=<force>/month=<YYYY-MM>/part-...   (police.uk records, with refresh(records=True))

Each partition folder may hold several files, but the manifest names the one current file of every
partition, and readers open only those. A refresh writes new files beside the old ones, swaps the
manifest in one ``os.replace``, then deletes what the new manifest no longer names; a crash at any
moment leaves the store equal to its state before or after the refresh, and the next refresh
sweeps up files a crash left behind.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from . import sources
from .counts import attach, coverage_of, make_coverage, quality_of
from .exceptions import CrimestatsError
from .io._common import progress_bar
from .periods import parse_month
from .quality import FileQuality
from .schema import COLUMN_NAMES, COLUMNS, validate
from .storage import failpoint, read_manifest, refresh_lock, sha256, write_manifest

logger = logging.getLogger(__name__)

_ARROW_TYPES = {
    "datetime64[ns]": pa.timestamp("ns"),
    "int64": pa.int64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "boolean": pa.bool_(),
}
COUNTS_SCHEMA = pa.schema([pa.field(c.name, _ARROW_TYPES[c.dtype], nullable=c.nullable) for c in COLUMNS])
_PARTITION_FIELDS = {"counts": ("src", "pfa", "month"), "records": ("pfa", "month")}


def slug(name: str) -> str:
    """A force name as a partition value: "London, City of" -> "london-city-of"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class RefreshResult:
    """What a refresh did (or, with ``dry_run``, would do)."""

    store: str
    dry_run: bool = False
    ingested: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    partitions_written: int = 0
    partitions_replaced: int = 0
    aborted: bool = False

    @property
    def ok(self) -> bool:
        """True when no source failed."""
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for schedulers."""
        return {**asdict(self), "ok": self.ok}

    def summary(self) -> str:
        """One line: what was ingested, skipped, failed and written."""
        verb = "would ingest" if self.dry_run else "ingested"
        rows = sum(item.get("count", 0) for item in self.ingested)
        line = (
            f"{self.store}: {verb} {len(self.ingested)} files ({rows:,} records), skipped "
            f"{len(self.skipped)} unchanged, {len(self.failed)} failed"
        )
        if not self.dry_run:
            line += f"; {self.partitions_written} partitions written, {self.partitions_replaced} replaced"
        if self.aborted:
            line += "; aborted (--strict): nothing written"
        return line


class Store:
    """A Parquet store of canonical counts at ``path``.

    Examples
    --------
    >>> import tempfile, crimestats as cs
    >>> store = cs.Store(tempfile.mkdtemp())
    >>> result = store.refresh([cs.datasets.path("police-uk-city-of-london-2017-01")])
    >>> int(store.read(forces=["City of London Police"])["count"].sum())
    483
    >>> store.refresh([cs.datasets.path("police-uk-city-of-london-2017-01")]).summary().split(": ")[1]
    'ingested 0 files (0 records), skipped 1 unchanged, 0 failed; 0 partitions written, 0 replaced'
    """

    def __init__(self, path: str | Path) -> None:
        self.root = Path(path)

    # ---- reading ---------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """The current manifest (a copy read from disk)."""
        return read_manifest(self.root)

    def _dataset(self, name: str, manifest: dict[str, Any]) -> ds.Dataset | None:
        files = [str(self.root / meta["file"]) for meta in manifest["partitions"].values() if meta["dataset"] == name]
        if not files:
            return None
        fields = [pa.field(f, pa.string()) for f in _PARTITION_FIELDS[name]]
        partitioning = ds.partitioning(pa.schema(fields), flavor="hive")
        schema = COUNTS_SCHEMA if name == "counts" else None
        if schema is not None:
            schema = pa.schema(list(schema) + fields)
        # An explicit schema means no file is opened until a fragment survives the filter.
        return ds.dataset(
            files, schema=schema, format="parquet", partitioning=partitioning, partition_base_dir=str(self.root / name)
        )

    def _filter(self, *, forces, areas, start, end, source=True) -> ds.Expression | None:
        from .areas import area_name, force_name

        expression = None

        def both(e: ds.Expression) -> None:
            nonlocal expression
            expression = e if expression is None else expression & e

        if forces is not None:
            both(ds.field("pfa").isin([slug(force_name(f)) for f in forces]))
        if start is not None:
            both(ds.field("month") >= f"{parse_month(start):%Y-%m}")
        if end is not None:
            both(ds.field("month") <= f"{parse_month(end):%Y-%m}")
        if areas is not None:
            both(ds.field("area_name").isin([area_name(a) for a in areas]))
        return expression

    def fragments(
        self, *, forces: Sequence[str] | None = None, start: str | None = None, end: str | None = None
    ) -> list[str]:
        """Files a read with these filters opens (the partitions pruning leaves)."""
        dataset = self._dataset("counts", self.manifest())
        if dataset is None:
            return []
        expression = self._filter(forces=forces, areas=None, start=start, end=end)
        return [fragment.path for fragment in dataset.get_fragments(filter=expression)]

    def read(
        self,
        *,
        forces: Sequence[str] | None = None,
        areas: Sequence[str] | None = None,
        start: str | None = None,
        end: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Canonical counts from the store, filters pushed down to Parquet.

        Parameters
        ----------
        forces
            Only these police forces (any usual spelling).
        areas
            Only these CSPs.
        start, end
            First and last month ("2018-01"), inclusive, of the periods' start.
        columns
            Only these canonical columns (the result is then not validated as full counts).

        Returns
        -------
        pandas.DataFrame
            Canonical counts; ``quality`` lists the ingested files' quality records.
        """
        manifest = self.manifest()
        dataset = self._dataset("counts", manifest)
        if dataset is None:
            from .schema import empty_counts

            return empty_counts() if columns is None else empty_counts()[list(columns)]
        expression = self._filter(forces=forces, areas=areas, start=start, end=end)
        wanted = list(columns) if columns is not None else list(COLUMN_NAMES)
        table = dataset.to_table(columns=wanted, filter=expression)
        frame = table.to_pandas(types_mapper=_pandas_type)
        if columns is None:
            frame = validate(frame, source=str(self.root))
        return attach(frame, coverage=_stored_coverage(manifest, frame), quality=_stored_quality(manifest))

    def read_records(
        self, *, forces: Sequence[str] | None = None, start: str | None = None, end: str | None = None
    ) -> pd.DataFrame:
        """Record-level police.uk rows stored with ``refresh(records=True)``."""
        dataset = self._dataset("records", self.manifest())
        if dataset is None:
            return pd.DataFrame()
        expression = self._filter(forces=forces, areas=None, start=start, end=end)
        frame = dataset.to_table(filter=expression).to_pandas(types_mapper=_pandas_type)
        return frame.drop(columns=list(_PARTITION_FIELDS["records"]), errors="ignore")

    def status(self) -> pd.DataFrame:
        """Coverage per source and force: first and last month, months present and missing.

        ``attrs`` holds ``last_refresh``, ``generation`` and ``files`` (how many source files).
        """
        manifest = self.manifest()
        rows: dict[tuple[str, str], set[str]] = {}
        for meta in manifest["partitions"].values():
            if meta["dataset"] == "counts":
                rows.setdefault((meta["src"], meta["force"]), set()).add(meta["month"])
        records = []
        for (source, force), months in sorted(rows.items()):
            present = sorted(months)
            span = pd.period_range(present[0], present[-1], freq="M").strftime("%Y-%m")
            monthly = _period_months(source) == 1
            missing = [m for m in span if m not in months] if monthly else []
            records.append(
                {
                    "source": source,
                    "force": force,
                    "first": present[0],
                    "last": present[-1],
                    "periods": len(present),
                    "missing_months": missing,
                }
            )
        table = pd.DataFrame(records, columns=["source", "force", "first", "last", "periods", "missing_months"])
        table.attrs = {
            "last_refresh": manifest.get("last_refresh"),
            "generation": manifest.get("generation"),
            "files": len(manifest["files"]),
        }
        return table

    # ---- refreshing ------------------------------------------------------------------------

    def refresh(
        self,
        sources: Sequence[str | Path],
        *,
        mapping: str | Path | Mapping[str, Any] | None = None,
        strict: bool = False,
        dry_run: bool = False,
        records: bool = False,
        progress: bool = False,
    ) -> RefreshResult:
        """Ingest what is new or changed among ``sources``; skip what the store already holds.

        Parameters
        ----------
        sources
            Files, folders (searched for data files; a data.police.uk folder tree gives one unit
            per street file) or zips.
        mapping
            Column mapping for force extracts among the sources.
        strict
            Stop before writing anything if any source fails; otherwise good sources are
            ingested and the failures reported.
        dry_run
            Report what would be ingested, writing nothing.
        records
            Also store police.uk record-level rows (partitioned by force and month).
        progress
            Progress bar on a terminal.

        Returns
        -------
        RefreshResult

        Raises
        ------
        StoreLockedError
            When another refresh holds the lock.
        """
        result = RefreshResult(store=str(self.root), dry_run=dry_run)
        with refresh_lock(self.root):
            manifest = read_manifest(self.root)
            pending = self._plan(sources, manifest, result, mapping)
            if dry_run:
                result.ingested = [{"file": key, "source": kind, "size": size} for key, _, kind, size, _ in pending]
                return result
            loaded = []
            for key, unit, kind, size, digest in progress_bar(pending, progress, "refresh"):
                try:
                    counts, recs = unit.source.load(unit.path, mapping=mapping, records=records)
                except CrimestatsError as error:
                    result.failed.append({"file": key, "source": kind, "error": str(error)})
                    logger.error("%s", error)
                    continue
                loaded.append((key, kind, size, digest, counts, recs))
            if strict and result.failed:
                result.aborted = True
                return result
            if loaded:
                self._write(manifest, loaded, result)
            self._sweep(read_manifest(self.root))
        return result

    def _plan(self, paths, manifest, result, mapping) -> list[tuple[str, sources.Unit, str, int, str]]:
        """Units to ingest: every file the registry recognises, less those already stored unchanged."""
        known = {meta["sha256"]: key for key, meta in manifest["files"].items()}
        plan = sources.expand(paths, mapping=mapping)
        for file, reason in plan.skipped:
            if reason != "not a data file":
                result.skipped.append({"file": file, "reason": reason})
        for file, error in plan.failed:
            result.failed.append({"file": file, "source": None, "error": str(error)})
        pending = []
        for unit in plan.units:
            key = str(unit.path.resolve())
            digest = sha256(unit.path)
            if digest in known:
                result.skipped.append({"file": key, "reason": f"unchanged (as ingested from {known[digest]})"})
                continue
            pending.append((key, unit, unit.source.name, unit.path.stat().st_size, digest))
        return pending

    def _write(self, manifest, loaded, result) -> None:
        generation = int(manifest["generation"]) + 1
        partitions = dict(manifest["partitions"])
        files = dict(manifest["files"])
        failpoint("before-write")
        written = 0
        for key, kind, size, digest, counts, recs in loaded:
            covered = []
            parts = [("counts", counts)] + ([("records", recs)] if recs is not None else [])
            for name, frame in parts:
                for part_key, meta, group in _partitions(name, frame):
                    target = self.root / part_key / f"part-{generation:06d}-{uuid.uuid4().hex[:8]}.parquet"
                    _write_parquet(group, target, COUNTS_SCHEMA if name == "counts" else None)
                    written += 1
                    if written == 1:
                        failpoint("mid-write")
                    if part_key in partitions:
                        result.partitions_replaced += 1
                    partitions[part_key] = {**meta, "file": str(target.relative_to(self.root)), "from": key}
                    covered.append(part_key)
            quality = quality_of(counts)
            coverage = coverage_of(counts)
            files[key] = {
                "path": key,
                "size": size,
                "sha256": digest,
                "source_type": kind,
                "periods": sorted({p.split("month=")[1] for p in covered if "month=" in p}),
                "forces": sorted(set(counts["force"].dropna())),
                "rows_read": sum(q.get("rows_read", 0) for q in quality),
                "rows_counted": sum(q.get("rows_counted", 0) for q in quality),
                "count": int(counts["count"].sum()),
                "partitions": covered,
                "ingested_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                "quality": quality[0].to_dict() if len(quality) == 1 else {"files": [q.to_dict() for q in quality]},
                "coverage": None if coverage is None else _coverage_records(coverage),
            }
            result.ingested.append(
                {"file": key, "source": kind, "count": files[key]["count"], "partitions": len(covered)}
            )
        result.partitions_written = written
        failpoint("after-write")
        # Source files whose every partition has been replaced by newer files are no longer in the store.
        current = {meta["from"] for meta in partitions.values()}
        files = {key: meta for key, meta in files.items() if key in current}
        write_manifest(
            self.root,
            {
                **manifest,
                "generation": generation,
                "partitions": partitions,
                "files": files,
                "last_refresh": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
            },
        )
        failpoint("after-swap")

    def _sweep(self, manifest) -> None:
        """Delete data files the manifest does not name (replaced, or left by a crashed refresh)."""
        named = {str(self.root / meta["file"]) for meta in manifest["partitions"].values()}
        for name in _PARTITION_FIELDS:
            folder = self.root / name
            if not folder.exists():
                continue
            for file in folder.rglob("*"):
                if file.is_file() and str(file) not in named:
                    file.unlink()
            for directory in sorted((d for d in folder.rglob("*") if d.is_dir()), reverse=True):
                if not any(directory.iterdir()):
                    directory.rmdir()
        for leftover in self.root.glob(".*.tmp"):
            leftover.unlink()


def _coverage_records(coverage: pd.DataFrame) -> list[dict[str, Any]]:
    """A coverage table as JSON-ready rows for the manifest."""
    table = coverage.astype(object).where(coverage.notna(), None)
    table["period_start"] = coverage["period_start"].dt.strftime("%Y-%m")
    return table.to_dict(orient="records")


def _stored_coverage(manifest: dict[str, Any], frame: pd.DataFrame) -> pd.DataFrame | None:
    """Coverage of the stored files, limited to the forces and periods the read returned."""
    rows = []
    for meta in manifest["files"].values():
        if meta.get("coverage") is None:
            return None  # stored before coverage was kept: infer it from the rows
        rows += meta["coverage"]
    coverage = make_coverage(rows)
    if frame.empty:
        return coverage.iloc[0:0]
    keep = coverage["force"].isin(set(frame["force"])) & coverage["period_start"].between(
        frame["period_start"].min(), frame["period_start"].max()
    )
    return coverage[keep].reset_index(drop=True)


def _stored_quality(manifest: dict[str, Any]) -> list[FileQuality]:
    records = []
    for meta in manifest["files"].values():
        quality = meta.get("quality")
        if quality:
            records += [FileQuality.from_dict(q) for q in quality.get("files", [quality])]
    return records


def _period_months(source: str) -> int | None:
    """Period length of a stored source (None for one no longer registered)."""
    try:
        return sources.get(source).period_months
    except CrimestatsError:
        return None


def _partitions(name: str, frame: pd.DataFrame):
    """(partition key, metadata, rows) for each force x month of a counts or records frame."""
    months = frame["period_start"].dt.strftime("%Y-%m")
    keys = [frame["source"], frame["force"], months] if name == "counts" else [frame["force"], months]
    for values, group in frame.groupby(keys, sort=True):
        if name == "counts":
            source, force, month = values
            key = f"counts/src={source}/pfa={slug(force)}/month={month}"
            meta = {
                "dataset": "counts",
                "src": source,
                "force": force,
                "month": month,
                "rows": len(group),
                "count": int(group["count"].sum()),
            }
        else:
            force, month = values
            key = f"records/pfa={slug(force)}/month={month}"
            meta = {"dataset": "records", "force": force, "month": month, "rows": len(group)}
        yield key, meta, group


def _write_parquet(frame: pd.DataFrame, target: Path, schema: pa.Schema | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    frame = frame.copy(deep=False)
    frame.attrs = {}  # quality records live in the manifest, not in each file's metadata
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    temporary = target.with_name(f".{target.name}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)


def _pandas_type(arrow_type: pa.DataType):
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None
