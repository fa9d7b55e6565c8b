"""The physical layout of counts, and compaction: few files however many partitions the store holds.

A partition (source x force x month) is the store's logical unit: claims, revisions and
replacement are all decided per partition, and the manifest names one place for each: the rows
of its force and month in a file of its source-year folder::

    counts/src=<source>/year=<YYYY>/part-<generation>-<id>.parquet

Every counts file lives in such a folder, so the store is a Hive-partitioned dataset with the same
keys (``src``, ``year``) throughout, which other engines read as one; the force is the ``force``
column. Reading costs per file and per column chunk far more than per row, so a year of every
force in one file, in row groups of :data:`ROW_GROUP_ROWS`, is what makes a national read fast,
and a refresh of a month of every force writes one file, not one per force. The rows of a file of
more than one row group are sorted by force, so a read of one force finds its rows in a row group
or two by their statistics.

A refresh writes one file per source-year it touches, holding the partitions it brings. When it
replaces a partition held in a file with others, that file's other partitions are rewritten into
the new file with it, so every row of every file the manifest names is live: an engine reading
those files reads each row once. A monthly refresh still adds a file a source-year; compaction
rewrites each source-year held in several files into one, exactly as a refresh writes: new files
first (each atomic, all made durable together), then the manifest swap, the old files retired
until the next refresh and then swept. It also moves what stores written before this layout hold
into it: a file per ``pfa=<force>/year=<YYYY>`` or ``pfa=<force>/month=<YYYY-MM>`` folder, and
partitions of files the manifest places elsewhere.

A refresh compacts on its own, under its lock, when the store has gathered
:data:`COMPACT_EXCESS` or more surplus files and dead partitions, or holds any file of an earlier
layout (so the dataset other engines read has one set of keys after the first refresh);
:meth:`crimestats.Store.compact` (``crimestats compact``) does it at any time. Records
(``refresh(records=True)``) stay one file per force x month: those files are not small.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..exceptions import StoreError
from .atomic import DurableBatch, failpoint, free_space, store_error
from .manifest import encode_manifest, write_manifest
from .read import COUNTS_SCHEMA, partition_counts, rows_filter

logger = logging.getLogger(__name__)

#: Surplus data files (beyond one per source-year) plus dead partitions at which a refresh compacts: about
#: two years of monthly refreshes, each adding a file to its source-year.
COMPACT_EXCESS = 24


@dataclass
class CompactResult:
    """What a compaction did."""

    store: str
    groups: int = 0
    files_before: int = 0
    files_after: int = 0

    def summary(self) -> str:
        """One line: how many source-years were rewritten, and the data files before and after."""
        return (
            f"{self.store}: compacted {self.groups} source-years; {self.files_before} data files -> {self.files_after}"
        )


def group_folder(meta: dict[str, Any]) -> str:
    """The folder of the file holding a counts partition: its source and year."""
    return f"counts/src={meta['src']}/year={meta['month'][:4]}"


def new_file(folder: str, generation: int) -> str:
    """A fresh data file name in ``folder`` (relative to the store)."""
    return f"{folder}/part-{generation:06d}-{uuid.uuid4().hex[:8]}.parquet"


def placed_in(meta: dict[str, Any], file: str, partitions: int) -> dict[str, Any]:
    """A counts partition's manifest entry once placed in ``file``, written with ``partitions`` partitions."""
    entry = {key: value for key, value in meta.items() if key != "file_months"}  # the name before file_partitions
    return {**entry, "file": file, "file_partitions": partitions}


#: The Parquet compression of counts files. Snappy, not zstd: a counts file is a few thousand rows
#: of short, repetitive columns, where zstd sets up a context per column chunk (0.8 ms a 15-column
#: file against 0.35 ms, most of a refresh's encoding) to save a tenth of a few kilobytes.
#: Records files, large and full of crime IDs, keep zstd (:mod:`crimestats.store.writing`).
COUNTS_COMPRESSION = "snappy"


#: Rows per row group of a counts file. A national year (about 55,000 rows) is four: reading the whole
#: store costs a tenth more than with one row group a file, a read of one force a third as much.
ROW_GROUP_ROWS = 16_384


def encode_shared(tables: Sequence[pa.Table]) -> bytes:
    """One Parquet file (:data:`COUNTS_COMPRESSION`) of the rows of ``tables``.

    Sorted by force and month when they make more than one row group (the order lets a read skip
    row groups; within one there is nothing to skip), otherwise in the order given.
    """
    table = pa.concat_tables(tables)
    if len(table) > ROW_GROUP_ROWS:
        table = table.sort_by(SORTED_BY)
    table = table.combine_chunks()
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=COUNTS_COMPRESSION, row_group_size=ROW_GROUP_ROWS)
    return sink.getvalue().to_pybytes()


#: The order of a counts file's rows.
SORTED_BY = [("force", "ascending"), ("period_start", "ascending")]


def counts_table(frame: pd.DataFrame) -> pa.Table:
    """A partition's rows as an Arrow table of the counts schema (no pandas metadata).

    Converted on this thread (``nthreads=1``): the text columns are Arrow already and the others
    numpy, so there is little to convert, and pyarrow would otherwise start a pool of threads for
    each frame past 100 rows a column (12 ms a call in a refresh whose reading threads are busy).
    """
    frame = pd.DataFrame(frame, copy=False)
    frame.attrs = {}
    table = pa.Table.from_pandas(frame, schema=COUNTS_SCHEMA, preserve_index=False, nthreads=1)
    return table.replace_schema_metadata(None)


def excess(manifest: dict[str, Any]) -> tuple[int, list[str]]:
    """Surplus files plus dead partitions of the counts dataset, and the source-year folders that hold them.

    A source-year is whole when one file in its folder holds its partitions and nothing else. Files
    of stores written before every counts file lived in its source-year folder (``pfa=`` folders)
    are surplus too, so compaction moves them there.
    """
    by_group, live, size = _files_by_group(manifest)
    total = 0
    fragmented = []
    for folder, files in by_group.items():
        placed = any(file.startswith(f"{folder}/") for file in files)
        # (A manifest of 2026-11-26 may record fewer partitions for a file than it names there: no surplus, not less.)
        surplus = len(files) - placed + sum(max(size[file] - live[file], 0) for file in files)
        if surplus > 0:
            total += surplus
            fragmented.append(folder)
    return total, sorted(fragmented)


def misplaced(manifest: dict[str, Any]) -> bool:
    """True when a counts file the manifest names is outside its source-year folder (an earlier layout)."""
    by_group = _files_by_group(manifest)[0]
    return any(not file.startswith(f"{folder}/") for folder, files in by_group.items() for file in files)


def _files_by_group(manifest: dict[str, Any]) -> tuple[dict[str, set[str]], dict[str, int], dict[str, int]]:
    """The counts files named per source-year folder, and per file its live partitions and those written."""
    by_group: dict[str, set[str]] = defaultdict(set)
    for meta in manifest["partitions"].values():
        if meta["dataset"] == "counts":
            by_group[group_folder(meta)].add(meta["file"])
    return (by_group, *partition_counts(manifest))


def needs_compaction(manifest: dict[str, Any]) -> bool:
    """True when the store has gathered enough small files or dead partitions, or files of an earlier layout."""
    return excess(manifest)[0] >= COMPACT_EXCESS or misplaced(manifest)


def read_live(root: Path, parts: Sequence[dict[str, Any]]) -> list[pa.Table]:
    """The rows of ``parts`` (counts partitions of one source-year), each file read once, only theirs kept.

    Rows are kept by the forces and months of ``parts``, never by what the manifest says a file was
    written with, so a partition dead in an old file is never rewritten into a new one, whatever
    the manifest recorded of it.

    Raises
    ------
    StoreError
        When a file of the store cannot be read (deleted or damaged since it was written), or a file
        of an earlier layout holds a force's rows under two spellings of its name, which a file of
        several forces could not keep apart.
    """
    pairs: dict[str, list[tuple[str, str]]] = {}
    for meta in parts:
        pairs.setdefault(meta["file"], []).append((meta["force"], meta["month"]))
    tables = []
    for file, wanted in pairs.items():
        try:
            table = pq.read_table(root / file, schema=COUNTS_SCHEMA).filter(rows_filter(file, wanted))
            tables.append(table.select(COUNTS_SCHEMA.names).cast(COUNTS_SCHEMA).replace_schema_metadata(None))
        except (OSError, pa.ArrowException) as error:
            raise StoreError(
                f"{root}: cannot read the store's file {file} to rewrite it ({error}); the store is unchanged. "
                "Restore the file, or rebuild the store by refreshing its sources into a new folder"
            ) from error
        spelt = set(table.column("force").unique().to_pylist()) - {force for force, _ in wanted}
        if spelt:
            raise StoreError(
                f"{root}: the store's file {file} holds the force {sorted(spelt)[0]!r} under the name "
                f"{wanted[0][0]!r} too (one partition, two spellings); the store is unchanged, and reads "
                "as before. Rebuild the store by refreshing its sources into a new folder"
            )
    return tables


def compact_locked(root: Path, manifest: dict[str, Any], *, groups: Sequence[str] | None = None) -> CompactResult:
    """Rewrite each fragmented source-year of the store at ``root`` into one file; the caller holds the lock.

    Crash-safe as a refresh: new files are written (each atomically) before the manifest that
    names them is swapped in; the files no partition names any more are kept under ``retired``
    (with what the last refresh retired) for readers of the previous manifest, and swept by the next refresh.
    """
    result = CompactResult(store=str(root))
    named_before = {meta["file"] for meta in manifest["partitions"].values()}
    result.files_before = result.files_after = len(named_before)
    folders = excess(manifest)[1] if groups is None else list(groups)
    if not folders:
        return result
    wanted = set(folders)
    members: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for key, meta in manifest["partitions"].items():
        if meta["dataset"] == "counts" and group_folder(meta) in wanted:
            members[group_folder(meta)].append((key, meta))
    generation = int(manifest["generation"]) + 1
    partitions = dict(manifest["partitions"])
    now = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
    # About as much space as the files rewritten, checked before writing; with a fifth more, as files written
    # with zstd before COUNTS_COMPRESSION was snappy are rewritten about a tenth larger.
    sources = {meta["file"] for parts in members.values() for _, meta in parts}
    needed = int(1.2 * sum((root / file).stat().st_size for file in sources if (root / file).exists()))
    free = free_space(root)
    if free is not None and free < needed:
        raise store_error(OSError(errno.ENOSPC, "not enough free space", str(root)), root, "compacting", needed=needed)
    done: list[Path] = []
    try:
        with DurableBatch(root) as batch:  # the new files on disk together, before the manifest names them
            for folder in sorted(members):
                parts = sorted(members[folder], key=lambda item: (item[1]["month"], item[1]["force"]))
                target = new_file(folder, generation)
                batch.write(root / target, encode_shared(read_live(root, [meta for _, meta in parts])))
                done.append(root / target)
                if len(done) == 1:
                    failpoint("compact-write")
                for key, meta in parts:
                    partitions[key] = placed_in(meta, target, len(parts))
            batch.sync()
        named_after = {meta["file"] for meta in partitions.values()}
        retired = dict(manifest["retired"])
        retired.update({file: {"generation": generation, "since": now} for file in named_before - named_after})
        new_manifest = {**manifest, "generation": generation, "partitions": partitions, "retired": retired}
        failpoint("compact-before-swap")
        write_manifest(root, new_manifest)
    except (OSError, StoreError) as error:
        for path in done:  # nothing names them
            with contextlib.suppress(OSError):
                path.unlink()
        if isinstance(error, StoreError):  # a file of the store cannot be read
            raise
        raise store_error(error, root, "compacting", needed=needed + len(encode_manifest(manifest))) from error
    failpoint("compact-after-swap")
    result.groups = len(members)
    result.files_after = len(named_after)
    logger.info("%s", result.summary())
    return result


def compact_store(root: Path) -> CompactResult:
    """Compact every fragmented source-year of the store at ``root`` (see :meth:`crimestats.Store.compact`)."""
    from .lock import refresh_lock
    from .manifest import read_manifest
    from .refresh import _sweep

    with refresh_lock(root):
        manifest = read_manifest(root)
        result = compact_locked(root, manifest)
        _sweep(root, read_manifest(root))
    return result
