"""Reading the units of a refresh: one unit, many in one pass, or (see :mod:`.distributed`) on a cluster.

What a refresh does with a file before it writes anything: read it through its source, split its
counts (and records) into force x month partitions, and turn whatever reading raised into that
file's one-line failure. Module-level and free of store state, so a Dask worker can run
:func:`load_unit`.
"""

from __future__ import annotations

import csv
import logging
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import sources
from ..counts import attach
from ..exceptions import CrimestatsError, SourceFormatError
from .read import coverage_records, slug
from .refresh import as_source_error

logger = logging.getLogger(__name__)


#: What reading one bad file may raise besides a CrimestatsError; each is that file's failure, never the refresh's.
READ_FAULTS = (
    CrimestatsError,
    OSError,
    EOFError,
    KeyError,
    ValueError,  # includes UnicodeDecodeError and pandas' ParserError and EmptyDataError
    csv.Error,
    zipfile.BadZipFile,
    zlib.error,
)


@dataclass
class LoadedUnit:
    """One unit read and split into partitions, or the one-line reason it could not be.

    What :func:`load_unit` returns, in this process or from a Dask worker, so it pickles: frames and
    the error's message, not the exception (crimestats' exceptions take arguments a pickle cannot rebuild).
    """

    counts: pd.DataFrame | None = None
    #: (partition key, metadata, rows): a frame, or for a unit read in a batch its :class:`Rows` in the batch's frame.
    parts: list[tuple[str, dict[str, Any], Any]] = field(default_factory=list)
    error: str | None = None
    #: What the manifest records of a unit read in a batch, whose ``counts`` stay in the batch's frame (None).
    summary: UnitSummary | None = None
    #: The unit's content digest taken from the bytes read (:mod:`crimestats.digests`), or None.
    digest: str | None = None


@dataclass
class UnitSummary:
    """What the store records of a unit read in a batch: its quality records, coverage, total and forces."""

    quality: list[Any]
    coverage: list[dict[str, Any]] | None
    count: int
    forces: list[str]
    #: The unit's rows in its batch's frame, and its batch's coverage table with the unit's slice of it.
    rows: Rows
    coverage_table: pd.DataFrame | None = None
    coverage_rows: tuple[int, int] = (0, 0)

    def counts(self) -> pd.DataFrame:
        """The unit's counts as a frame of its own, with its coverage and quality (made only when asked)."""
        coverage = None
        if self.coverage_table is not None:
            coverage = self.coverage_table.iloc[slice(*self.coverage_rows)].reset_index(drop=True)
        return attach(self.rows.frame(), coverage=coverage, quality=self.quality)


class _Batch:
    """The counts frame of a batch of units, and (made once, when first written) its Arrow table.

    ``whole``: every row of the frame belongs to a partition, so the frame converts as a whole;
    otherwise (a unit failed for rows with no force or month) each partition converts on its own.
    """

    def __init__(self, frame: pd.DataFrame, *, whole: bool = True) -> None:
        self.frame = frame
        self.whole = whole
        self._table: pa.Table | None = None

    def table(self) -> pa.Table | None:
        if self._table is None and self.whole:
            from .compact import counts_table

            try:
                self._table = counts_table(self.frame)
            except (pa.ArrowException, ValueError):  # rows no partition holds: each partition converts alone
                self.whole = False
        return self._table


class Rows:
    """Rows of a batch's counts frame: a partition (or unit) read in a batch, taken out of it only when written."""

    __slots__ = ("batch", "index")

    def __init__(self, batch: _Batch, index: slice | np.ndarray) -> None:
        self.batch = batch
        self.index = index

    def __len__(self) -> int:
        if isinstance(self.index, slice):
            return self.index.stop - self.index.start
        return len(self.index)

    def frame(self) -> pd.DataFrame:
        """The rows as a frame of their own (index 0, 1, ...)."""
        part = self.batch.frame.iloc[self.index]
        part.index = pd.RangeIndex(len(part))
        return part

    def table(self) -> pa.Table:
        """The rows as an Arrow table of the counts schema (a slice of the batch's table, or a take of rows apart)."""
        table = self.batch.table()
        if table is None:
            from .compact import counts_table

            return counts_table(self.frame())
        if isinstance(self.index, slice):
            return table.slice(self.index.start, self.index.stop - self.index.start)
        return table.take(pa.array(self.index))

    def positions(self) -> np.ndarray:
        """The rows' positions in their batch's frame."""
        if isinstance(self.index, slice):
            return np.arange(self.index.start, self.index.stop, dtype=np.int64)
        return np.asarray(self.index, dtype=np.int64)


def rows_table(rows: Sequence[Rows]) -> pa.Table:
    """Rows of one batch (one or more partitions, at least one), in order, as one Arrow table of the counts schema.

    One ``take`` of their positions in the batch's table: a source-year's hundreds of partitions are
    not hundreds of slices to be concatenated.
    """
    if len(rows) == 1 or rows[0].batch.table() is None:
        return pa.concat_tables([part.table() for part in rows]).combine_chunks()
    return rows[0].batch.table().take(pa.array(np.concatenate([part.positions() for part in rows])))


def load_unit(path: str | Path, source: sources.Source | str, mapping: Any, records: bool) -> LoadedUnit:
    """Read one unit with its source's reader and split it into partitions: the work of one refresh task.

    Module-level and free of store state, so a Dask worker can run it (:mod:`crimestats.store.distributed`);
    a source given by name is resolved in the process that runs it (built-in sources register on import).
    Whatever reading raises that :data:`READ_FAULTS` lists is that unit's ``error``, never the refresh's.
    """
    path = Path(path)
    try:
        kind = sources.get(source) if isinstance(source, str) else source
        counts, recs = kind.load(path, mapping=mapping, records=records)
        parts = _all_partitions(path, counts, recs)
    except READ_FAULTS as error:
        return LoadedUnit(error=str(as_source_error(path, error)))
    return LoadedUnit(counts=counts, parts=parts)


def load_units_here(units: Sequence[tuple[Path, sources.Source]], mapping: Any, records: bool) -> Iterator[LoadedUnit]:
    """:func:`load_unit` of each unit, in order, in this process; a run of one source's units in one pass.

    Consecutive units of a source that reads many units at once (:meth:`crimestats.sources.Source.load_many`:
    data.police.uk's thousands of small files) are read together, so a national refresh pays no
    per-file fixed cost; each unit still gets its own counts, partitions or error.
    """
    start = 0
    while start < len(units):
        kind = units[start][1]
        end = start + 1
        while end < len(units) and units[end][1] is kind:
            end += 1
        run = [path for path, _ in units[start:end]]
        if kind.ingest_many is None or len(run) == 1:
            yield from (load_unit(path, kind, mapping, records) for path in run)
        elif kind.ingest_batches is not None and not records and not kind.needs_mapping:
            # Counts only (records keep a frame per unit): each batch's partitions found in one pass over its frame.
            handed = 0
            try:
                for batch in kind.ingest_batches(run, records=False, digests=True):
                    for unit in batch_units(run[handed : handed + len(batch.errors)], batch):
                        handed += 1
                        yield unit
            except READ_FAULTS as error:
                logger.info("%s: reading %d units at once failed (%s); reading each", kind.name, len(run), error)
                yield from (load_unit(path, kind, mapping, records) for path in run[handed:])
        else:
            handed = 0
            try:
                results = kind.load_many(run, mapping=mapping, records=records)
                for path, (counts, recs, error) in zip(run, results, strict=True):
                    unit = _loaded(path, counts, recs, error)
                    handed += 1
                    yield unit
            except READ_FAULTS as error:  # not one unit's fault: read the rest one by one for their own errors
                logger.info("%s: reading %d units at once failed (%s); reading each", kind.name, len(run), error)
                yield from (load_unit(path, kind, mapping, records) for path in run[handed:])
        start = end


def _loaded(path: Path, counts: pd.DataFrame | None, recs: pd.DataFrame | None, error: Exception | None) -> LoadedUnit:
    if error is not None:
        return LoadedUnit(error=str(as_source_error(path, error)))
    try:
        return LoadedUnit(counts=counts, parts=_all_partitions(path, counts, recs))  # type: ignore[arg-type]
    except READ_FAULTS as problem:
        return LoadedUnit(error=str(as_source_error(path, problem)))


def batch_units(paths: Sequence[Path], batch: sources.UnitBatch) -> list[LoadedUnit]:
    """Each unit of ``batch`` (read from ``paths``) with its counts partitions, found in one pass over the batch.

    The same partitions, in the same order, with the same rows as :func:`_all_partitions` of each
    unit's own counts, without a frame per unit: a partition is its rows in the batch's frame.
    """
    units = [
        LoadedUnit(error=None if error is None else str(as_source_error(Path(path), error)))
        for path, error in zip(paths, batch.errors, strict=True)
    ]
    read = [(path, unit) for path, unit in zip(paths, units, strict=True) if unit.error is None]
    if not read:
        return units
    for (_, unit), digest in zip(read, batch.digests or [None] * len(read), strict=True):
        unit.digest = digest
    frame = batch.counts
    assert frame is not None  # units were read
    counts_at = np.asarray(batch.counts_at, dtype=np.int64)
    coverage = None if batch.coverage is None else coverage_records(batch.coverage)
    covered = [int(at) for at in batch.coverage_at] if coverage else [0] * (len(read) + 1)
    owner = np.repeat(np.arange(len(read)), np.diff(counts_at))
    source_codes, sources_ = pd.factorize(frame["source"], sort=True)
    force_codes, forces_ = pd.factorize(frame["force"], sort=True)
    source_names, force_names = sources_.tolist(), forces_.tolist()  # indexed per partition: lists, not Index
    periods = frame["period_start"].to_numpy()
    months = periods.astype("datetime64[M]").astype(np.int64)
    # A row with no force or no period has no partition to go in: its unit fails, as _all_partitions says.
    unplaced = (source_codes < 0) | (force_codes < 0) | np.isnat(periods)
    bad = np.bincount(owner[unplaced], minlength=len(read)).astype(bool)
    # Sorted by unit, source, force and month (stable: a partition's rows keep their order), as groupby sorts.
    order = np.lexsort((months, force_codes, source_codes, owner))
    in_order = bool((order == np.arange(len(order))).all())
    keys = [owner[order], source_codes[order], force_codes[order], months[order]]
    change = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        change[1:] = np.logical_or.reduce([key[1:] != key[:-1] for key in keys])
    starts = np.flatnonzero(change)
    stops = np.append(starts[1:], len(order)).astype(np.int64)
    totals = np.add.reduceat(frame["count"].to_numpy()[order], starts) if len(order) else np.zeros(0, np.int64)
    group_unit, group_source, group_force, group_month = (key[starts] for key in keys)
    first = np.searchsorted(group_unit, np.arange(len(read) + 1))
    data = _Batch(frame, whole=not bad.any())
    slugs = {force: slug(force) for force in force_names}
    month_names = {m: f"{1970 + m // 12:04d}-{m % 12 + 1:02d}" for m in np.unique(group_month).tolist()}
    for n, (path, unit) in enumerate(read):
        if bad[n]:
            unit.error = str(
                SourceFormatError(Path(path), "some counts rows have no force or no period, so no partition to go in")
            )
            continue
        parts = []
        for g in range(first[n], first[n + 1]):
            source, force = source_names[group_source[g]], force_names[group_force[g]]
            month = month_names[int(group_month[g])]
            index = slice(int(starts[g]), int(stops[g])) if in_order else order[starts[g] : stops[g]]
            meta = {
                "dataset": "counts",
                "src": source,
                "force": force,
                "month": month,
                "rows": int(stops[g] - starts[g]),
                "count": int(totals[g]),
            }
            parts.append((f"counts/src={source}/pfa={slugs[force]}/month={month}", meta, Rows(data, index)))
        clash = key_clash(Path(path), parts)
        if clash is not None:
            unit.error = str(clash)
            continue
        unit.parts = parts
        unit.summary = UnitSummary(
            quality=list(batch.qualities[n]),
            coverage=None if coverage is None else coverage[covered[n] : covered[n + 1]],
            count=sum(meta["count"] for _, meta, _ in parts),
            forces=sorted({meta["force"] for _, meta, _ in parts}),
            rows=Rows(data, slice(int(counts_at[n]), int(counts_at[n + 1]))),
            coverage_table=batch.coverage,
            coverage_rows=(covered[n], covered[n + 1]),
        )
    return units


def _all_partitions(path: Path, counts: pd.DataFrame, recs: pd.DataFrame | None) -> list:
    """The partitions of a file's counts (and records), checked to hold every row: none is dropped unseen."""
    parts = list(_partitions("counts", counts))
    if recs is not None:
        parts += _partitions("records", recs)
    for name, frame in (("counts", counts), ("records", recs)):
        if frame is not None and sum(len(group) for key, _, group in parts if key.startswith(name)) != len(frame):
            raise SourceFormatError(path, f"some {name} rows have no force or no period, so no partition to go in")
    clash = key_clash(path, parts)
    if clash is not None:
        raise clash
    return parts


def key_clash(path: Path, parts: list) -> SourceFormatError | None:
    """The error for a file with two force names of one partition key (one slug), or None.

    A partition is keyed by the force's slug, and the manifest holds one name for it: two names
    that differ only in case or punctuation ("Nowhere Police", "NOWHERE POLICE") cannot be kept
    apart, so the file is refused rather than one name's rows stored under the other's.
    """
    named: dict[str, str] = {}
    for key, meta, _ in parts:
        other = named.setdefault(key, meta["force"])
        if other != meta["force"]:
            return SourceFormatError(
                path,
                f"forces {other!r} and {meta['force']!r} differ only in case or punctuation, so the store cannot "
                f"keep them apart ({key}); spell the force one way in the file",
            )
    return None


def _partitions(name: str, frame: pd.DataFrame):
    """(partition key, metadata, rows) for each force x month of a counts or records frame."""
    for values, group in _groups(frame, ["source", "force"] if name == "counts" else ["force"]):
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


def _groups(frame: pd.DataFrame, keys: list[str]) -> Iterator[tuple[tuple, pd.DataFrame]]:
    """``frame`` grouped by ``keys`` and month ("YYYY-MM"), sorted; a frame of one group as it is (most files)."""
    if len(frame):
        columns = {k: frame[k].to_numpy() for k in [*keys, "period_start"]}
        if all((values == values[0]).all() for values in columns.values()):
            month = f"{pd.Timestamp(columns['period_start'][0]):%Y-%m}"
            yield (*(columns[k][0] for k in keys), month), frame
            return
    months = frame["period_start"].dt.strftime("%Y-%m")
    yield from frame.groupby([*(frame[k] for k in keys), months], sort=True)
