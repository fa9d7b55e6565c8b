"""Encoding and writing a refresh's data files, several at once.

Parquet encoding and writing a file wait outside the GIL, so a refresh encodes its source-year
files side by side and writes them from a few threads (:data:`WRITERS`). Each write is atomic, and
the files are made durable together (:class:`~crimestats.store.atomic.DurableBatch`); what order
they happen in, and what is undone after a failure, is :mod:`crimestats.store.commit`'s.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import DurableBatch
from .compact import counts_table
from .loading import Rows, rows_table

#: Threads encoding and writing a refresh's data files (both wait on compression or the disk, not on Python).
WRITERS = 4


def encoders() -> ThreadPoolExecutor:
    """Threads encoding a refresh's files side by side (a context manager: leaving it waits for them)."""
    return ThreadPoolExecutor(WRITERS, thread_name_prefix="crimestats-encode")


def arrow_tables(groups: list[Any]) -> list[pa.Table]:
    """Partitions' rows as Arrow tables: frames converted together, rows of a batch taken from its table together."""
    tables: list[pa.Table] = []
    run: list[Any] = []  # consecutive frames, or consecutive Rows of one batch
    for group in groups:
        if run and _source(group) is not _source(run[0]):
            tables.append(_run_table(run))
            run = []
        run.append(group)
    if run:
        tables.append(_run_table(run))
    return tables


def _source(group: Any) -> object:
    """What a partition's rows are taken from: their batch, or None for a frame of their own."""
    return group.batch if isinstance(group, Rows) else None


def _run_table(run: list[Any]) -> pa.Table:
    return rows_table(run) if isinstance(run[0], Rows) else counts_table(pd.concat([_bare(frame) for frame in run]))


def _bare(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its attributes (quality records), to be written or concatenated with others.

    Pandas compares the attributes of frames it concatenates, and some hold tables, which cannot be compared.
    """
    if not frame.attrs:
        return frame
    bare = frame.copy(deep=False)
    bare.attrs = {}
    return bare


def write_files(writes: list[tuple[Path, bytes]], done: list[Path], batch: DurableBatch) -> None:
    """``batch.write`` of each of ``writes``, several at once (writing a file waits on the system, not Python).

    ``done`` gets each file written. After a failure (a full disk, a permission) the writes not
    yet begun are skipped; the first error is raised once every write under way has ended, so
    ``done`` then names every file written.
    """
    if not writes:
        return
    stop = threading.Event()

    def write(target: Path, data: bytes) -> bool:
        if stop.is_set():
            return False
        try:
            batch.write(target, data)
        except OSError:
            stop.set()
            raise
        return True

    failed: OSError | None = None
    with ThreadPoolExecutor(WRITERS, thread_name_prefix="crimestats-write") as pool:
        futures = [(target, pool.submit(write, target, data)) for target, data in writes]
        for target, future in futures:
            try:
                written = future.result()
            except OSError as error:
                failed = failed or error
            else:
                if written:
                    done.append(target)
    if failed is not None:
        raise failed


#: The Parquet compression of records files: large, and their crime IDs compress far better with zstd.
RECORDS_COMPRESSION = "zstd"


def records_bytes(frame: pd.DataFrame) -> bytes:
    """One records partition as the bytes of a Parquet file (:data:`RECORDS_COMPRESSION`).

    Counts are encoded by :func:`~crimestats.store.compact.encode_shared` from :func:`arrow_tables`,
    one source-year file at a time, from a batch's Arrow table or a unit's frame.
    """
    # Quality records live in the manifest, not in each file's metadata.
    table = pa.Table.from_pandas(_bare(frame), preserve_index=False, nthreads=1)  # see compact.counts_table
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=RECORDS_COMPRESSION)
    return sink.getvalue().to_pybytes()
