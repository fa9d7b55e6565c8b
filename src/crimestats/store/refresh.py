"""Refreshing the store: plan, load, write partitions, swap the manifest, sweep."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import sources
from ..counts import coverage_of, quality_of
from ..exceptions import CrimestatsError, SourceFormatError
from ..io._common import progress_bar
from . import compact
from .atomic import failpoint, free_space, store_error, write_atomic
from .claims import Claims
from .compact import compact_locked, group_folder, needs_compaction
from .compact import new_file as shared_file
from .loading import LoadedUnit, Rows, UnitSummary, as_source_error, load_units_here
from .lock import refresh_lock
from .manifest import MANIFEST, encode_manifest, read_manifest, sha256, write_manifest
from .read import COUNTS_SCHEMA, PARTITION_FIELDS, coverage_records_many
from .writing import WRITERS as WRITERS  # re-exported: how many threads encode and write
from .writing import arrow_tables, encode_all, parquet_bytes, write_files

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
    #: Force-years rewritten into one file by the compaction that followed the refresh (0: none ran).
    compacted: int = 0
    #: Partitions replaced from a later edition of the same published table (a revision).
    revisions: list[dict[str, Any]] = field(default_factory=list)
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
            if self.revisions:
                editions = sorted({item["edition"] for item in self.revisions})
                line += f" ({len(self.revisions)} by a newer edition ending {', '.join(editions)}: a revision)"
        if self.aborted:
            line += "; aborted (--strict): nothing written"
        return line


@dataclass
class _Pending:
    """A unit to ingest: a file the registry recognised whose content the store does not hold."""

    key: str
    unit: sources.Unit
    size: int
    digest: str | Future
    mtime_ns: int | None = None

    @property
    def source(self) -> str:
        return self.unit.source.name


@dataclass
class _Loaded:
    """A unit read, with the partitions it claims (rows: a frame, or :class:`~.loading.Rows` of a batch)."""

    pending: _Pending
    counts: pd.DataFrame | None
    parts: list[tuple[str, dict[str, Any], Any]]
    #: What the manifest records of it, made already when it was read in a batch (its ``counts`` then None).
    summary: UnitSummary | None = None
    #: Its quality records as the manifest holds them (made while the next files are read).
    quality_record: dict[str, Any] | None = None


def refresh_store(
    root: Path,
    paths: Sequence[str | Path],
    *,
    mapping: str | Path | Mapping[str, Any] | None = None,
    strict: bool = False,
    dry_run: bool = False,
    records: bool = False,
    progress: bool = False,
    client: Any = None,
) -> RefreshResult:
    """Bring the store at ``root`` up to date with ``paths`` (see :meth:`crimestats.Store.refresh`)."""
    result = RefreshResult(store=str(root), dry_run=dry_run)
    created = not root.exists()
    try:
        with refresh_lock(root):
            try:
                _refresh_locked(
                    root,
                    paths,
                    result,
                    mapping=mapping,
                    strict=strict,
                    records=records,
                    progress=progress,
                    client=client,
                )
            finally:
                if created and not (root / MANIFEST).exists():  # still under the lock: no other refresh writes
                    for child in root.iterdir():
                        _remove_empty_tree(child)
    finally:
        if created and not (root / MANIFEST).exists():
            # A refresh that stored nothing leaves no empty store folder behind. After the release, so only
            # when no other refresh has put its lock file in it meanwhile.
            with contextlib.suppress(OSError):
                root.rmdir()
    return result


def _refresh_locked(
    root: Path, paths, result: RefreshResult, *, mapping, strict, records, progress, client=None
) -> None:
    manifest = read_manifest(root)
    touched: dict[str, tuple[int, int]] = {}
    with ThreadPoolExecutor(1, thread_name_prefix="crimestats-hash") as hasher:  # hashlib releases the GIL
        _refresh_planned(root, paths, result, manifest, touched, hasher, mapping, strict, records, progress, client)


def _refresh_planned(root, paths, result, manifest, touched, hasher, mapping, strict, records, progress, client):
    pending = _plan(paths, manifest, result, mapping, touched, None if result.dry_run else hasher)
    if result.dry_run:
        result.ingested = [{"file": p.key, "source": p.source, "size": p.size} for p in pending]
        return
    claims = Claims(manifest)
    loaded = []
    units: Iterator[LoadedUnit]
    if client is None:
        units = load_units_here([(item.unit.path, item.unit.source) for item in pending], mapping, records)
    else:
        from .distributed import load_units  # dask only when a cluster is given

        units = load_units(client, [(item.unit.path, item.source) for item in pending], mapping, records)
    # Results in plan order, wherever they were computed: claims see files in the same order either way.
    for item, unit in zip(progress_bar(pending, progress, "refresh"), units, strict=True):
        if unit.error is not None:
            _fail(result, item.key, item.source, unit.error)
            continue
        if isinstance(item.digest, Future):
            try:
                item.digest = item.digest.result()
            except OSError as error:
                _fail(result, item.key, item.source, as_source_error(item.unit.path, error))
                continue
        counts, parts = unit.counts, unit.parts
        refusal = claims.refusal(
            item.key, item.source, [(key, meta) for key, meta, _ in parts], edition=_edition(item.unit, unit)
        )
        if refusal is not None:
            _fail(result, item.key, item.source, SourceFormatError(item.unit.path, refusal))
            continue
        quality = unit.summary.quality if unit.summary is not None else quality_of(counts)
        loaded.append(_Loaded(item, counts, parts, unit.summary, _quality_record(quality)))
    if strict and result.failed:
        result.aborted = True
        return
    result.revisions = claims.revisions
    if loaded:
        _write(root, manifest, loaded, result, touched)
        _compact_if_needed(root, result)
    elif manifest["retired"] or touched:
        # Files the previous refresh replaced were kept for readers holding the manifest before it; no
        # reader needs them once a later refresh has run.
        try:
            write_manifest(root, {**manifest, "retired": {}, "files": _retouched(manifest["files"], touched)})
        except OSError as error:
            raise store_error(error, root, "writing the manifest") from error
    # A refresh that wrote nothing sweeps by the manifest it read (no second parse of a big manifest).
    _sweep(root, read_manifest(root) if loaded or manifest["retired"] or touched else manifest)


def _retouched(files: dict[str, Any], touched: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """``files`` with the size and modification time of the files in ``touched`` brought up to date."""
    files = dict(files)
    for key, (size, mtime_ns) in touched.items():
        if key in files:
            files[key] = {**files[key], "size": size, "mtime_ns": mtime_ns}
    return files


def _compact_if_needed(root: Path, result: RefreshResult) -> None:
    """Compact the store when the refresh left too many small files (the refresh itself stands either way)."""
    manifest = read_manifest(root)
    if not needs_compaction(manifest):
        return
    try:
        result.compacted = compact_locked(root, manifest).groups
    except (OSError, CrimestatsError) as error:
        logger.warning("%s: compaction skipped, the next refresh tries again: %s", root, error)


def _edition(unit: sources.Unit, loaded: LoadedUnit | _Loaded | pd.DataFrame) -> tuple[str | None, str | None]:
    """A published table's identity (source, table, geographic level) and the last month it covers.

    Two files with the same identity are editions of one table; the one whose periods end later
    is the newer (ONS revises earlier years in each edition). Record-level sources have none.
    """
    if unit.source.has_records:
        return None, None
    counts = loaded if isinstance(loaded, pd.DataFrame) else _counts(loaded)
    if counts.empty:
        return None, None
    tables = sorted({q.tables for q in quality_of(counts)})
    level = "area" if counts["area_name"].notna().any() else "force"
    last = max(
        start + pd.DateOffset(months=int(months) - 1)
        for start, months in counts[["period_start", "period_months"]].drop_duplicates().itertuples(index=False)
    )
    return f"{unit.source.name}:{'+'.join(tables)}:{level}", f"{last:%Y-%m}"


def _counts(unit: LoadedUnit | _Loaded) -> pd.DataFrame:
    """A unit's counts (with coverage and quality), made from its batch when it was read in one."""
    if unit.counts is not None:
        return unit.counts
    assert unit.summary is not None
    return unit.summary.counts()


def _summary(counts: pd.DataFrame, coverage: list[dict[str, Any]] | None) -> tuple[list, int, list[str]]:
    """Quality records, total and forces of a unit's counts frame (what a batch's :class:`UnitSummary` holds)."""
    return (
        quality_of(counts),
        int(counts["count"].to_numpy().sum()),
        sorted({force for force in counts["force"].tolist() if isinstance(force, str)}),
    )


def _fail(result: RefreshResult, file: str | None, source: str | None, error: CrimestatsError | str) -> None:
    message = " ".join(str(error).split())  # one line, whatever the reader wrote
    result.failed.append({"file": file, "source": source, "error": message})
    logger.info("%s", message)  # the result carries it; the CLI prints it once


def _unchanged_source(stored: dict[str, Any], path: Path) -> str | None:
    """The source kind of a file the store holds at ``path`` with the same size and modification time, else None."""
    entry = stored.get(str(path.resolve()))
    if entry is None or entry.get("mtime_ns") is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None  # the plan reports it
    return (
        entry.get("source_type") if (entry.get("size"), entry["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns) else None
    )


def _plan(
    paths, manifest, result: RefreshResult, mapping, touched: dict | None = None, hasher: Executor | None = None
) -> list[_Pending]:
    """Units to ingest: every file the registry recognises, less those whose content the store holds.

    A file at a stored path with the stored size and modification time is unchanged without
    being read; any other is hashed. ``touched`` collects stored files found unchanged by their
    hash whose modification time moved (recorded, so the next refresh need not hash them). With a
    ``hasher``, a file whose size no stored file has is hashed there, meanwhile (its digest is then
    a future, resolved when the file has been read).
    """
    stored = manifest["files"]
    known = {meta["sha256"]: key for key, meta in stored.items()}
    stored_sizes = {meta.get("size") for meta in stored.values()}
    # An empty store holds no file unchanged: no path is resolved to look for one.
    held = (lambda path: _unchanged_source(stored, path)) if stored else None
    plan = sources.expand(paths, mapping=mapping, known=held)
    if not paths:
        _fail(result, None, None, SourceFormatError(None, "no sources given: nothing to refresh from"))
    for file, reason in plan.skipped:
        if reason != "not a data file":
            result.skipped.append({"file": file, "reason": reason})
    for file, error in plan.failed:
        _fail(result, file, None, error)
    pending = []
    for unit in plan.units:
        key = str(unit.path.resolve())
        try:
            stat = unit.path.stat()
            entry = stored.get(key)
            # The same path with the same size and modification time is the file the store holds: no hashing.
            if entry is not None and (entry.get("size"), entry.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns):
                result.skipped.append({"file": key, "reason": f"unchanged (as ingested from {key})"})
                continue
            size = stat.st_size
            if size not in stored_sizes and hasher is not None:
                # No stored file has this size, so none has this content: hashed while files are read.
                pending.append(_Pending(key, unit, size, hasher.submit(sha256, unit.path), stat.st_mtime_ns))
                continue
            digest = sha256(unit.path)
        except OSError as error:
            _fail(result, key, unit.source.name, as_source_error(unit.path, error))
            continue
        if digest in known:
            if known[digest] == key and touched is not None:
                touched[key] = (stat.st_size, stat.st_mtime_ns)
            result.skipped.append({"file": key, "reason": f"unchanged (as ingested from {known[digest]})"})
            continue
        known[digest] = key
        pending.append(_Pending(key, unit, size, digest, stat.st_mtime_ns))
    return pending


def _write(
    root: Path, manifest: dict[str, Any], loaded: list[_Loaded], result: RefreshResult, touched: dict | None = None
) -> None:
    """Write the partitions of ``loaded``, then swap in the manifest that names them.

    Each partition gets a file of its own, except when the refresh writes many counts partitions
    (:data:`~crimestats.store.compact.SHARED_WRITE_MIN`): those go straight into one shared file
    per source x force x year, a row group per month (see :mod:`crimestats.store.compact`).
    """
    generation = int(manifest["generation"]) + 1
    partitions = dict(manifest["partitions"])
    files = _retouched(manifest["files"], touched or {})
    now = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
    # Every partition is encoded before anything is written, so the space needed is known exactly.
    writes: list[tuple[Path, bytes]] = []
    counts_parts = sum(1 for item in loaded for _, meta, _ in item.parts if meta["dataset"] == "counts")
    shared = counts_parts >= compact.SHARED_WRITE_MIN
    grouped: dict[str, list[tuple[str, Any]]] = {}
    # Units read in a batch have theirs made already; the others' coverage records are made in one pass.
    framed = coverage_records_many([coverage_of(item.counts) for item in loaded if item.summary is None])[::-1]
    for item in loaded:
        if item.summary is not None:
            quality, count, forces, coverage = (
                item.summary.quality,
                item.summary.count,
                item.summary.forces,
                item.summary.coverage,
            )
        else:
            coverage = framed.pop()
            quality, count, forces = _summary(item.counts, coverage)
        covered = []
        for part_key, meta, group in item.parts:
            if part_key in partitions:
                result.partitions_replaced += 1
            if shared and meta["dataset"] == "counts":
                grouped.setdefault(group_folder(meta), []).append((part_key, group))
                partitions[part_key] = {**meta, "from": item.pending.key}  # its place is set below
            else:
                target = root / part_key / f"part-{generation:06d}-{uuid.uuid4().hex[:8]}.parquet"
                if isinstance(group, Rows):
                    group = group.frame()
                writes.append((target, parquet_bytes(group, COUNTS_SCHEMA if meta["dataset"] == "counts" else None)))
                partitions[part_key] = {**meta, "file": str(target.relative_to(root)), "from": item.pending.key}
            covered.append(part_key)
        pending = item.pending
        files[pending.key] = _file_entry(
            pending.key,
            pending.source,
            pending.size,
            pending.digest,
            (quality, count, forces),
            covered,
            item.quality_record,
            _edition(pending.unit, item),
            mtime_ns=pending.mtime_ns,
            coverage=coverage,
        )
        result.ingested.append(
            {
                "file": pending.key,
                "source": pending.source,
                "count": files[pending.key]["count"],
                "partitions": len(covered),
            }
        )
    shared_files = []
    for folder, members in sorted(grouped.items()):
        members.sort(key=lambda member: partitions[member[0]]["month"])
        target = shared_file(folder, generation)
        # One conversion to Arrow for the force-year (or for a whole batch of units), not one per partition.
        shared_files.append((root / target, arrow_tables([group for _, group in members])))
        for part_key, _ in members:
            partitions[part_key] = {**partitions[part_key], "file": target, "file_months": len(members)}
    encoded = encode_all([tables for _, tables in shared_files])
    writes += [(target, data) for (target, _), data in zip(shared_files, encoded, strict=True)]
    del shared_files, encoded
    # A source file keeps the partitions no other file replaced; one with none left is no longer in the store.
    for key, meta in list(files.items()):
        kept = [part for part in meta["partitions"] if partitions.get(part, {}).get("from") == key]
        if kept:
            files[key] = {**meta, "partitions": kept} if kept != meta["partitions"] else meta
        else:
            del files[key]
    # Files no partition names any more stay until the next refresh: a reader holding the current
    # manifest may still open them. (A shared file stays named while any of its months is live.)
    named = {meta["file"] for meta in partitions.values()}
    retired = {
        file: {"generation": generation, "since": now}
        for file in {meta["file"] for meta in manifest["partitions"].values()} - named
    }
    new_manifest = {
        **manifest,
        "generation": generation,
        "partitions": partitions,
        "files": files,
        "retired": retired,
        "last_refresh": now,
    }
    needed = sum(len(data) for _, data in writes) + len(encode_manifest(new_manifest))
    free = free_space(root)
    if free is not None and free < needed:
        raise store_error(
            OSError(errno.ENOSPC, "not enough free space", str(root)), root, "starting to write", needed=needed
        )
    failpoint("before-write")
    done: list[Path] = []
    try:
        if writes:
            write_atomic(*writes[0])
            done.append(writes[0][0])
            failpoint("mid-write")
        write_files(writes[1:], done)
        failpoint("after-write")
        write_manifest(root, new_manifest)
    except OSError as error:
        # Nothing names the files written so far: remove them now rather than at the next refresh.
        for path in done:
            with contextlib.suppress(OSError):
                path.unlink()
        finished = set(done)
        written = sum(len(data) for target, data in writes if target in finished)
        raise store_error(error, root, "writing the refresh", needed=needed, written=written) from error
    result.partitions_written = sum(len(item.parts) for item in loaded)
    failpoint("after-swap")


def _quality_record(quality: list[Any]) -> dict[str, Any]:
    """A file's quality records as the manifest holds them: the one record, or ``{"files": [...]}``."""
    return quality[0].to_dict() if len(quality) == 1 else {"files": [q.to_dict() for q in quality]}


def _file_entry(
    key, kind, size, digest, summary, covered, quality_record, edition=(None, None), *, mtime_ns=None, coverage=None
) -> dict[str, Any]:
    """What the manifest records of one ingested source file.

    ``summary``: its (quality records, total count, forces); ``quality_record``: those records as
    :func:`_quality_record` gives them; ``coverage``: its coverage records.
    """
    quality, count, forces = summary
    return {
        "path": key,
        "size": size,
        # With the size, what tells an unchanged file at the same path without hashing it.
        "mtime_ns": mtime_ns,
        "sha256": digest,
        "source_type": kind,
        "periods": sorted({p.split("month=")[1] for p in covered if "month=" in p}),
        "forces": forces,
        "rows_read": sum(q.get("rows_read", 0) for q in quality),
        "rows_counted": sum(q.get("rows_counted", 0) for q in quality),
        "count": count,
        "partitions": covered,
        "ingested_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "quality": quality_record,
        "table": edition[0],
        "edition": edition[1],
        # What the file covered (every area of a force in a month, zeros included): read() returns it.
        "coverage": coverage,
    }


def _sweep(root: Path, manifest) -> None:
    """Delete data files the manifest neither names nor keeps (replaced earlier, or left by a crashed refresh)."""
    base = str(root)
    named = {os.path.normpath(os.path.join(base, meta["file"])) for meta in manifest["partitions"].values()}
    named |= {os.path.normpath(os.path.join(base, file)) for file in manifest["retired"]}
    for name in PARTITION_FIELDS:
        folder = root / name
        if not folder.is_dir():
            continue
        # One walk, deepest folders first, so a folder emptied here is removed in the same pass.
        for directory, _subfolders, filenames in os.walk(folder, topdown=False):
            for filename in filenames:
                path = os.path.join(directory, filename)
                if os.path.normpath(path) not in named:
                    _unlink(Path(path))
            with contextlib.suppress(OSError):
                os.rmdir(directory)  # fails, harmlessly, when something is still in it
    for leftover in root.glob(".*.tmp"):
        _unlink(leftover)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as error:  # the refresh itself succeeded; the debris waits for the next one
        logger.warning("%s: cannot delete (%s); the next refresh tries again", path, error.strerror or error)


def _remove_empty_tree(folder: Path) -> None:
    """Remove ``folder`` and the folders under it that are empty (never a file)."""
    if not folder.is_dir():
        return
    for directory in sorted((d for d in folder.rglob("*") if d.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()
