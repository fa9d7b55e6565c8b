"""The physical layout of counts, and compaction: few files however many partitions the store holds.

A partition (source x force x month) is the store's logical unit: claims, revisions and
replacement are all decided per partition, and the manifest names one place for each: the rows
of its month in a file of its force-year folder::

    counts/src=<source>/pfa=<force>/year=<YYYY>/part-<generation>-<id>.parquet    one row group

Every counts file lives in such a folder, so the store is a Hive-partitioned dataset with the same
keys (``src``, ``pfa``, ``year``) throughout, which other engines read as one. One row group, not
one per month: reading costs per column chunk far more than per row, so a year of a force in one
chunk per column is what makes a national read fast.

A refresh writes one file per force-year it touches, holding the months it brings. When it
replaces a month held in a file with other months, that file's other months are rewritten into
the new file with it, so every row of every file the manifest names is live: an engine reading
those files reads each row once. A monthly refresh still adds a file a force-year; compaction
rewrites each force-year held in several files into one, exactly as a refresh writes: new files
first (each atomic, all made durable together), then the manifest swap, the old files retired
until the next refresh and then swept. It also moves what stores written before this layout hold (a file per
``month=<YYYY-MM>`` folder, and months of files the manifest places elsewhere) into it.

A refresh compacts on its own, under its lock, when the store has gathered
:data:`COMPACT_EXCESS` or more surplus files and dead months; :meth:`crimestats.Store.compact`
(``crimestats compact``) does it at any time. Records (``refresh(records=True)``) stay one file
per force x month: those files are not small.
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
from .read import COUNTS_SCHEMA, slug

logger = logging.getLogger(__name__)

#: Surplus data files (beyond one per force-year) plus dead months at which a refresh compacts.
COMPACT_EXCESS = 100


@dataclass
class CompactResult:
    """What a compaction did."""

    store: str
    groups: int = 0
    files_before: int = 0
    files_after: int = 0

    def summary(self) -> str:
        """One line: how many force-years were rewritten, and the data files before and after."""
        return (
            f"{self.store}: compacted {self.groups} force-years; {self.files_before} data files -> {self.files_after}"
        )


def group_folder(meta: dict[str, Any]) -> str:
    """The folder of the shared file holding a counts partition: its source, force and year."""
    return f"counts/src={meta['src']}/pfa={slug(meta['force'])}/year={meta['month'][:4]}"


def new_file(folder: str, generation: int) -> str:
    """A fresh data file name in ``folder`` (relative to the store)."""
    return f"{folder}/part-{generation:06d}-{uuid.uuid4().hex[:8]}.parquet"


#: The Parquet compression of counts files. Snappy, not zstd: a counts file is a few thousand rows
#: of short, repetitive columns, where zstd sets up a context per column chunk (0.8 ms a 15-column
#: file against 0.35 ms, most of a refresh's encoding) to save a tenth of a few kilobytes.
#: Records files, large and full of crime IDs, keep zstd (:mod:`crimestats.store.writing`).
COUNTS_COMPRESSION = "snappy"


def encode_shared(tables: Sequence[pa.Table]) -> bytes:
    """One Parquet file (:data:`COUNTS_COMPRESSION`) holding ``tables``, in order, in one row group."""
    table = pa.concat_tables(tables).combine_chunks()
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=COUNTS_COMPRESSION, row_group_size=max(len(table), 1))
    return sink.getvalue().to_pybytes()


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
    """Surplus files plus dead months of the counts dataset, and the force-year folders that hold them.

    A force-year is whole when one file in its folder holds its months and nothing else. Files of
    stores written before every counts file lived in its force-year folder (``month=`` folders)
    are surplus too, so compaction moves them there.
    """
    by_group: dict[str, set[str]] = defaultdict(set)
    live: dict[str, int] = defaultdict(int)
    size: dict[str, int] = {}
    for meta in manifest["partitions"].values():
        if meta["dataset"] != "counts":
            continue
        by_group[group_folder(meta)].add(meta["file"])
        live[meta["file"]] += 1
        size[meta["file"]] = int(meta.get("file_months", 1))
    total = 0
    fragmented = []
    for folder, files in by_group.items():
        placed = any(file.startswith(f"{folder}/") for file in files)
        surplus = len(files) - placed + sum(size[file] - live[file] for file in files)
        if surplus > 0:
            total += surplus
            fragmented.append(folder)
    return total, sorted(fragmented)


def needs_compaction(manifest: dict[str, Any]) -> bool:
    """True when the store has gathered enough small files or dead months to be worth compacting."""
    return excess(manifest)[0] >= COMPACT_EXCESS


def read_live(root: Path, parts: Sequence[dict[str, Any]]) -> list[pa.Table]:
    """The rows of ``parts`` (partitions of one force-year), each file read once, only their months kept.

    Rows are kept by the months of ``parts``, never by what the manifest says a file was written
    with, so a month dead in an old file is never rewritten into a new one, whatever the manifest
    recorded of it.

    Raises
    ------
    StoreError
        When a file of the store cannot be read (deleted or damaged since it was written).
    """
    from .read import month_filter

    months: dict[str, list[str]] = {}
    for meta in parts:
        months.setdefault(meta["file"], []).append(meta["month"])
    tables = []
    for file, wanted in months.items():
        try:
            table = pq.read_table(root / file, schema=COUNTS_SCHEMA).filter(month_filter(sorted(wanted)))
            tables.append(table.select(COUNTS_SCHEMA.names).cast(COUNTS_SCHEMA).replace_schema_metadata(None))
        except (OSError, pa.ArrowException) as error:
            raise StoreError(
                f"{root}: cannot read the store's file {file} to rewrite it ({error}); the store is unchanged. "
                "Restore the file, or rebuild the store by refreshing its sources into a new folder"
            ) from error
    return tables


def compact_locked(root: Path, manifest: dict[str, Any], *, groups: Sequence[str] | None = None) -> CompactResult:
    """Rewrite each fragmented force-year of the store at ``root`` into one file; the caller holds the lock.

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
                parts = sorted(members[folder], key=lambda item: item[1]["month"])
                target = new_file(folder, generation)
                batch.write(root / target, encode_shared(read_live(root, [meta for _, meta in parts])))
                done.append(root / target)
                if len(done) == 1:
                    failpoint("compact-write")
                for key, meta in parts:
                    partitions[key] = {**meta, "file": target, "file_months": len(parts)}
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
    """Compact every fragmented force-year of the store at ``root`` (see :meth:`crimestats.Store.compact`)."""
    from .lock import refresh_lock
    from .manifest import read_manifest
    from .refresh import _sweep

    with refresh_lock(root):
        manifest = read_manifest(root)
        result = compact_locked(root, manifest)
        _sweep(root, read_manifest(root))
    return result
