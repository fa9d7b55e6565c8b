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

import pandas as pd

from .. import sources
from ..exceptions import CrimestatsError, SourceFormatError
from .read import slug

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
    parts: list[tuple[str, dict[str, Any], pd.DataFrame]] = field(default_factory=list)
    error: str | None = None


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


def as_source_error(path: Path, error: BaseException) -> CrimestatsError:
    """The :class:`CrimestatsError` for what reading ``path`` raised, naming the file and the cause."""
    if isinstance(error, CrimestatsError):
        return error
    if isinstance(error, PermissionError):
        problem = "cannot be read: permission denied"
    elif isinstance(error, FileNotFoundError) and error.filename in (None, str(path)):
        problem = "disappeared while the refresh ran"
    elif isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename not in (None, str(path)) else ""
        problem = f"cannot be read: {error.strerror or error}{where}"
    elif isinstance(error, EOFError | zlib.error):
        problem = f"compressed data is corrupt or cut short (truncated download?): {error}"
    elif isinstance(error, zipfile.BadZipFile):
        problem = f"not a valid zip archive or workbook (corrupt or renamed?): {error}"
    elif isinstance(error, UnicodeDecodeError):
        problem = f"not UTF-8 text at byte {error.start} (wrong encoding or a binary file?)"
    elif isinstance(error, KeyError):
        problem = f"expected column or field {error} is missing"
    else:
        problem = f"cannot be parsed: {type(error).__name__}: {error}"
    return SourceFormatError(path, problem)


def _all_partitions(path: Path, counts: pd.DataFrame, recs: pd.DataFrame | None) -> list:
    """The partitions of a file's counts (and records), checked to hold every row: none is dropped unseen."""
    parts = list(_partitions("counts", counts))
    if recs is not None:
        parts += _partitions("records", recs)
    for name, frame in (("counts", counts), ("records", recs)):
        if frame is not None and sum(len(group) for key, _, group in parts if key.startswith(name)) != len(frame):
            raise SourceFormatError(path, f"some {name} rows have no force or no period, so no partition to go in")
    return parts


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
