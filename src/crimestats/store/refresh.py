"""Refreshing the store: plan, load, write partitions, swap the manifest, sweep."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import sources
from ..exceptions import CrimestatsError
from .atomic import failpoint, write_atomic
from .lock import refresh_lock
from .manifest import read_manifest, sha256, write_manifest
from .read import COUNTS_SCHEMA, PARTITION_FIELDS, slug

logger = logging.getLogger(__name__)


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


def refresh(
    root: Path,
    paths: Sequence[str | Path],
    *,
    mapping: str | Path | Mapping[str, Any] | None = None,
    strict: bool = False,
    dry_run: bool = False,
    records: bool = False,
    progress: bool = False,
) -> RefreshResult:
    """Bring the store at ``root`` up to date with ``paths`` (see :meth:`crimestats.Store.refresh`)."""
    result = RefreshResult(store=str(root), dry_run=dry_run)
    with refresh_lock(root):
        manifest = read_manifest(root)
        pending = _plan(paths, manifest, result, mapping)
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
            _write(root, manifest, loaded, result)
        _sweep(root, read_manifest(root))
    return result


def _plan(paths, manifest, result, mapping) -> list[tuple[str, sources.Unit, str, int, str]]:
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


def _write(root, manifest, loaded, result) -> None:
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
                target = root / part_key / f"part-{generation:06d}-{uuid.uuid4().hex[:8]}.parquet"
                write_atomic(target, parquet_bytes(group, COUNTS_SCHEMA if name == "counts" else None))
                written += 1
                if written == 1:
                    failpoint("mid-write")
                if part_key in partitions:
                    result.partitions_replaced += 1
                partitions[part_key] = {**meta, "file": str(target.relative_to(root)), "from": key}
                covered.append(part_key)
        files[key] = _file_entry(key, kind, size, digest, counts, covered)
        result.ingested.append({"file": key, "source": kind, "count": files[key]["count"], "partitions": len(covered)})
    result.partitions_written = written
    failpoint("after-write")
    # Source files whose every partition has been replaced by newer files are no longer in the store.
    current = {meta["from"] for meta in partitions.values()}
    files = {key: meta for key, meta in files.items() if key in current}
    write_manifest(
        root,
        {
            **manifest,
            "generation": generation,
            "partitions": partitions,
            "files": files,
            "last_refresh": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        },
    )
    failpoint("after-swap")


def _file_entry(key, kind, size, digest, counts, covered) -> dict[str, Any]:
    """What the manifest records of one ingested source file."""
    quality = counts.attrs.get("quality", [])
    return {
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
    }


def _sweep(root: Path, manifest) -> None:
    """Delete data files the manifest does not name (replaced, or left by a crashed refresh)."""
    named = {str(root / meta["file"]) for meta in manifest["partitions"].values()}
    for name in PARTITION_FIELDS:
        folder = root / name
        if not folder.exists():
            continue
        for file in folder.rglob("*"):
            if file.is_file() and str(file) not in named:
                file.unlink()
        for directory in sorted((d for d in folder.rglob("*") if d.is_dir()), reverse=True):
            if not any(directory.iterdir()):
                directory.rmdir()
    for leftover in root.glob(".*.tmp"):
        leftover.unlink()


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


def parquet_bytes(frame: pd.DataFrame, schema: pa.Schema | None) -> bytes:
    """One partition as the bytes of a zstd-compressed Parquet file."""
    frame = frame.copy(deep=False)
    frame.attrs = {}  # quality records live in the manifest, not in each file's metadata
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def progress_bar(items: Sequence, enabled: bool, description: str) -> Iterator:
    """Yield ``items``, drawing a progress bar on stderr when asked and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield from items
        return
    for done, item in enumerate(items, start=1):
        yield item
        sys.stderr.write(f"\r{description}: [{'#' * int(30 * done / len(items)):<30}] {done}/{len(items)}")
        sys.stderr.flush()
    sys.stderr.write("\n")
