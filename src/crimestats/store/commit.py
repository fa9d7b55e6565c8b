"""Committing a refresh: reading the files it found new, then writing their partitions and the manifest.

What :mod:`crimestats.store.refresh` hands on once its plan holds files to read: each is read
(here, or on a Dask cluster), its partitions checked against what other files claim, then every
partition is encoded, written and named by a new manifest swapped in last. Imported only when a
refresh has something to read, so a refresh that finds nothing new needs neither pandas nor the
readers.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import sources
from ..counts import coverage_of, quality_of
from ..exceptions import CrimestatsError, SourceFormatError
from ..io._common import progress_bar
from . import compact
from .atomic import DurableBatch, failpoint, free_space, store_error
from .claims import Claims
from .compact import compact_locked, encode_shared, group_folder, needs_compaction, placed_in
from .compact import new_file as shared_file
from .loading import LoadedUnit, UnitSummary, load_units_here
from .manifest import content_digest, encode_manifest, read_manifest, write_manifest
from .read import coverage_records_many
from .refresh import FROM_READ, Pending, RefreshResult, as_source_error, record_failure, retouched
from .writing import arrow_tables, encoders, records_bytes, write_files

logger = logging.getLogger(__name__)


@dataclass
class _Loaded:
    """A unit read, with the partitions it claims (rows: a frame, or :class:`~.loading.Rows` of a batch)."""

    pending: Pending
    counts: pd.DataFrame | None
    parts: list[tuple[str, dict[str, Any], Any]]
    #: What the manifest records of it, made already when it was read in a batch (its ``counts`` then None).
    summary: UnitSummary | None = None
    #: Its quality records as the manifest holds them (made while the next files are read).
    quality_record: dict[str, Any] | None = None


def load_pending(
    pending: list[Pending], manifest: dict[str, Any], result: RefreshResult, *, mapping, records, progress, client
) -> tuple[list[_Loaded], list[dict[str, Any]]]:
    """Read the pending files in plan order; the ones read whose claims stand, and the revisions they make.

    A file that cannot be read, whose hash cannot be taken, or whose partitions another file's
    claim refuses is recorded in ``result.failed`` instead.
    """
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
            record_failure(result, item.key, item.source, unit.error)
            continue
        try:
            if item.digest is FROM_READ:  # the reader digested the bytes it read, or, where it could not, now
                item.digest = unit.digest or content_digest(item.unit.path)
            elif isinstance(item.digest, Future):
                item.digest = item.digest.result()
        except OSError as error:
            record_failure(result, item.key, item.source, as_source_error(item.unit.path, error))
            continue
        counts, parts = unit.counts, unit.parts
        refusal = claims.refusal(
            item.key, item.source, [(key, meta) for key, meta, _ in parts], edition=_edition(item.unit, unit)
        )
        if refusal is not None:
            record_failure(result, item.key, item.source, SourceFormatError(item.unit.path, refusal))
            continue
        quality = unit.summary.quality if unit.summary is not None else quality_of(counts)
        loaded.append(_Loaded(item, counts, parts, unit.summary, _quality_record(quality)))
    return loaded, claims.revisions


def write_loaded(
    root: Path, manifest: dict[str, Any], loaded: list[_Loaded], result: RefreshResult, touched: dict | None
) -> dict[str, Any]:
    """Write the partitions of ``loaded`` and swap in the manifest naming them, then compact if needed.

    Returns the store's manifest now (the one written, or the compaction's).
    """
    written = _write(root, manifest, loaded, result, touched)
    return _compact_if_needed(root, written, result)


def _compact_if_needed(root: Path, manifest: dict[str, Any], result: RefreshResult) -> dict[str, Any]:
    """Compact the store when the refresh left too many small files (the refresh itself stands either way).

    ``manifest`` is the store's current one; returns the store's manifest after.
    """
    if not needs_compaction(manifest):
        return manifest
    try:
        result.compacted = compact_locked(root, manifest).groups
    except (OSError, CrimestatsError) as error:
        logger.warning("%s: compaction skipped, the next refresh tries again: %s", root, error)
    return read_manifest(root)


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


def _write(
    root: Path, manifest: dict[str, Any], loaded: list[_Loaded], result: RefreshResult, touched: dict | None = None
) -> dict[str, Any]:
    """Write the partitions of ``loaded``, then swap in the manifest that names them (returned).

    The counts partitions go into one new file per source x year the refresh touches, with the
    partitions still live in any file whose partitions it replaces (see
    :mod:`crimestats.store.compact`); records get a file per partition.
    """
    generation = int(manifest["generation"]) + 1
    now = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
    # Every partition is encoded before anything is written, so the space needed is known exactly.
    # The files are encoded in threads (compression waits outside the GIL) while the manifest is made.
    with encoders() as pool:
        encoding, partitions, files = _placed(root, manifest, loaded, result, touched, generation, now, pool)
        new_manifest = _next_manifest(manifest, partitions, files, generation, now)
        encoded = encode_manifest(new_manifest)
        writes = [(target, data.result()) for target, data in encoding]
    needed = sum(len(data) for _, data in writes) + len(encoded)
    free = free_space(root)
    if free is not None and free < needed:
        raise store_error(
            OSError(errno.ENOSPC, "not enough free space", str(root)), root, "starting to write", needed=needed
        )
    failpoint("before-write")
    done: list[Path] = []
    try:
        with DurableBatch(root) as batch:
            if writes:
                batch.write(*writes[0])
                done.append(writes[0][0])
                failpoint("mid-write")
            write_files(writes[1:], done, batch)
            batch.sync()  # every file on disk before the manifest names it
        failpoint("after-write")
        write_manifest(root, new_manifest, encoded)
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
    return new_manifest


def _placed(
    root: Path,
    manifest: dict[str, Any],
    loaded: list[_Loaded],
    result: RefreshResult,
    touched: dict | None,
    generation: int,
    now: str,
    pool: Executor,
) -> tuple[list[tuple[Path, Future[bytes]]], dict[str, Any], dict[str, Any]]:
    """Each new partition given its file, and each source file its entry; the files' encodings submitted to ``pool``.

    Returns (target file, its encoding) for each file to write, and the store's partitions and
    files with ``loaded``'s in them.
    """
    partitions = dict(manifest["partitions"])
    files = retouched(manifest["files"], touched or {})
    encoding: list[tuple[Path, Future[bytes]]] = []
    grouped: dict[str, list[tuple[str, Any]]] = {}  # counts partitions by source-year folder
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
            if meta["dataset"] == "counts":
                grouped.setdefault(group_folder(meta), []).append((part_key, group))
                partitions[part_key] = {**meta, "from": item.pending.key}  # its place is set below
            else:
                target = root / part_key / f"part-{generation:06d}-{uuid.uuid4().hex[:8]}.parquet"
                encoding.append((target, pool.submit(records_bytes, group)))
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
            ingested_at=now,
        )
        result.ingested.append(
            {
                "file": pending.key,
                "source": pending.source,
                "count": files[pending.key]["count"],
                "partitions": len(covered),
            }
        )
    stored = manifest["partitions"]
    living = _counts_by_file(stored)
    for folder, members in sorted(grouped.items()):
        new = {part_key for part_key, _ in members}
        # A file holding a partition replaced now is rewritten: its other partitions come into the new file, so
        # no file ever holds a partition the manifest places elsewhere (a reader of the files reads each row once).
        replaced = sorted({stored[key]["file"] for key in new if key in stored})
        carried = sorted(key for file in replaced for key in living.get(file, ()) if key not in new)
        target = shared_file(folder, generation)
        # One conversion to Arrow for the source-year (or for a whole batch of units, made once, here), not one
        # per partition; the next source-year is converted while this one is encoded.
        tables = arrow_tables([group for _, group in members])
        encoding.append((root / target, pool.submit(_source_year_bytes, root, [stored[k] for k in carried], tables)))
        count = len(members) + len(carried)
        for part_key in [*new, *carried]:
            partitions[part_key] = placed_in(partitions[part_key], target, count)
    return encoding, partitions, files


def _counts_by_file(partitions: dict[str, Any]) -> dict[str, list[str]]:
    """The counts partitions each stored file holds."""
    by_file: dict[str, list[str]] = {}
    for key, meta in partitions.items():
        if meta["dataset"] == "counts":
            by_file.setdefault(meta["file"], []).append(key)
    return by_file


def _source_year_bytes(root: Path, carried: list[dict[str, Any]], tables: list[Any]) -> bytes:
    """A source-year file: the stored rows of the ``carried`` partitions, then the new partitions' ``tables``."""
    return encode_shared([*compact.read_live(root, carried), *tables])


def _next_manifest(
    manifest: dict[str, Any], partitions: dict[str, Any], files: dict[str, Any], generation: int, now: str
) -> dict[str, Any]:
    """The manifest after a refresh placed ``partitions`` and ``files``: what is no longer named is retired."""
    # A source file keeps the partitions no other file replaced; one with none left is no longer in the store.
    for key, meta in list(files.items()):
        kept = [part for part in meta["partitions"] if partitions.get(part, {}).get("from") == key]
        if kept:
            files[key] = {**meta, "partitions": kept} if kept != meta["partitions"] else meta
        else:
            del files[key]
    # Files no partition names any more stay until the next refresh: a reader holding the current
    # manifest may still open them. (A file stays named while any of its partitions is live.)
    named = {meta["file"] for meta in partitions.values()}
    retired = {
        file: {"generation": generation, "since": now}
        for file in {meta["file"] for meta in manifest["partitions"].values()} - named
    }
    return {
        **manifest,
        "generation": generation,
        "partitions": partitions,
        "files": files,
        "retired": retired,
        "last_refresh": now,
    }


def _quality_record(quality: list[Any]) -> dict[str, Any]:
    """A file's quality records as the manifest holds them: the one record, or ``{"files": [...]}``."""
    return quality[0].to_dict() if len(quality) == 1 else {"files": [q.to_dict() for q in quality]}


def _file_entry(
    key: str,
    kind: str,
    size: int,
    digest: str,
    summary: tuple[list[Any], int, list[str]],
    covered: list[str],
    quality_record: dict[str, Any],
    edition: tuple[str | None, str | None] = (None, None),
    *,
    mtime_ns: int | None = None,
    coverage: list[dict[str, Any]] | None = None,
    ingested_at: str,
) -> dict[str, Any]:
    """What the manifest records of one ingested source file.

    ``summary``: its (quality records, total count, forces); ``quality_record``: those records as
    :func:`_quality_record` gives them; ``coverage``: its coverage records; ``ingested_at``: when
    (ISO 8601, UTC).
    """
    quality, count, forces = summary
    return {
        "path": key,
        "size": size,
        # With the size, what tells an unchanged file at the same path without hashing it.
        "mtime_ns": mtime_ns,
        # "algorithm:hex" (manifest.content_digest): what tells this content again under any path.
        "digest": digest,
        "source_type": kind,
        "periods": sorted({p.split("month=")[1] for p in covered if "month=" in p}),
        "forces": forces,
        "rows_read": sum(q.get("rows_read", 0) for q in quality),
        "rows_counted": sum(q.get("rows_counted", 0) for q in quality),
        "count": count,
        "partitions": covered,
        "ingested_at": ingested_at,
        "quality": quality_record,
        "table": edition[0],
        "edition": edition[1],
        # What the file covered (every area of a force in a month, zeros included): read() returns it.
        "coverage": coverage,
    }
