"""The store beyond one machine: refresh tasks on a Dask cluster, and the store read as a Dask DataFrame.

Dask is optional (``pip install 'crimestats[dask]'``) and imported only here, only when used.

- :func:`load_units` runs :func:`~crimestats.store.loading.load_unit` (parse and aggregate one file)
  as one task per file on a ``distributed.Client``. Only the small aggregated frames come back; the
  refreshing process alone checks claims, writes the partitions and swaps the manifest, under its
  lock, exactly as a refresh on one machine does. The workers read the files at their absolute
  paths, so those must be the same on every worker (a shared filesystem).
- :func:`read_dask` is :meth:`crimestats.Store.read` with ``engine="dask"``: a Dask DataFrame over
  the data files the manifest names, with the canonical columns and dtypes of the pandas read.
- :func:`connect` opens a client for ``crimestats refresh --scheduler ADDRESS``.

See ``docs/distributed.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import ClusterError, SourceFormatError
from . import read as _read
from .loading import LoadedUnit, load_unit

INSTALL_HINT = "install it with: pip install 'crimestats[dask]'"


def _require(module: str) -> Any:
    """Import ``module`` (dask or distributed), or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ClusterError(f"{module} is not installed ({error.msg}); {INSTALL_HINT}") from error


def connect(address: str, *, timeout: str = "10s") -> Any:
    """A ``distributed.Client`` connected to the Dask scheduler at ``address``.

    Raises
    ------
    ClusterError
        When dask's distributed scheduler is not installed, or nothing answers at ``address``.

    Examples
    --------
    >>> from crimestats.store.distributed import connect
    >>> connect("tcp://127.0.0.1:9", timeout="0.5s")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crimestats.exceptions.ClusterError: ...
    """
    distributed = _require("distributed")
    try:
        return distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:  # unreachable, timed out, not an address
        raise ClusterError(f"no Dask scheduler at {address}: {error}") from error


def load_units(client: Any, units: Sequence[tuple[Path, str]], mapping: Any, records: bool) -> Iterator[LoadedUnit]:
    """:func:`~crimestats.store.loading.load_unit` of each ``(path, source name)`` as a task on ``client``.

    Yields the results in the order of ``units`` (so claims are checked in the same order as on one
    machine), each fetched from the cluster when it is needed and then released. A task that fails
    for any reason of the cluster's (a worker lost, a result that cannot be sent back) is that
    file's failure, never the refresh's.
    """
    if not units:
        return
    # Workers have their own working folder: they are given absolute paths.
    paths = [str(Path(path).absolute()) for path, _ in units]
    if isinstance(mapping, str | Path):
        mapping = str(Path(mapping).absolute())
    futures = client.map(
        load_unit,
        paths,
        [name for _, name in units],
        mapping=mapping,
        records=records,
        pure=False,  # a file may change between refreshes: never reuse a result by its arguments
        # Named for the dashboard; unique, so two refreshes sharing a cluster never share a task.
        key=[f"crimestats-load-{Path(path).name}-{uuid.uuid4().hex}" for path in paths],
    )
    fetched = 0
    try:
        for path, future in zip(paths, futures, strict=True):
            try:
                unit = future.result()
            except Exception as error:  # whatever the cluster raised, it is this file's failure
                unit = LoadedUnit(
                    error=str(SourceFormatError(path, f"failed on the Dask cluster: {type(error).__name__}: {error}"))
                )
            future.release()
            fetched += 1
            yield unit
    finally:
        for future in futures[fetched:]:  # a refresh stopped early (a KeyboardInterrupt) frees the rest
            future.cancel()


def read_dask(
    root: Path,
    manifest: dict[str, Any],
    *,
    forces: Sequence[str] | None = None,
    areas: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    columns: Sequence[str] | None = None,
) -> Any:
    """The store's counts as a Dask DataFrame (see :meth:`crimestats.Store.read`, ``engine="dask"``).

    Opens only the data files ``manifest`` names that the ``forces``/``start``/``end`` filters leave
    (:func:`crimestats.store.read.fragments`), never a retired file or a crashed refresh's debris.
    The columns and dtypes are those of the pandas read; the frame carries the stored files'
    ``coverage`` and ``quality`` as attributes, as a :class:`~crimestats.counts.CountsFrame` does,
    for :func:`crimestats.collect.collect` (frames derived from it do not carry them).
    """
    from ..areas import area_name
    from ..schema import COLUMN_NAMES, empty_counts

    dd = _require("dask.dataframe")
    wanted = list(columns) if columns is not None else list(COLUMN_NAMES)
    # An areas filter needs area_name, whether or not the result shows it.
    read = wanted if areas is None or "area_name" in wanted else [*wanted, "area_name"]
    chosen = _read.selected(manifest, "counts", forces=forces, start=start, end=end)
    parts = _read.file_parts(chosen)
    meta = empty_counts()[read]
    if parts:
        # One Dask partition per data file, read by pyarrow; a file holding partitions not wanted (other forces or
        # months, or, in a store written by an earlier version, ones replaced since) gives only those wanted, as
        # the pandas read does.
        frame = dd.from_map(_FileReader(root, read, meta.dtypes.to_dict()), list(parts.items()), meta=meta)
    else:
        frame = dd.from_pandas(meta, npartitions=1)
    if areas is not None:
        frame = frame[frame["area_name"].isin([area_name(a) for a in areas])][wanted]
    frame.coverage = _stored_coverage(manifest, chosen)
    frame.quality = _read.stored_quality(manifest)
    return frame


def _stored_coverage(manifest: dict[str, Any], chosen: Sequence[dict[str, Any]]) -> pd.DataFrame | None:
    """Coverage of the stored files, limited to the forces and months of the partitions ``chosen`` for the read.

    The pandas read limits coverage to the forces and periods its rows hold; a lazy frame has no
    rows yet, so the partitions it reads stand in for them (the same unless ``areas`` is given,
    when this keeps other forces' coverage too, which no metric asks about). Not the months of
    every file opened: a file holds a source's year, of which a read may want only some forces and months.
    """
    stand_in = pd.DataFrame(
        {
            "force": pd.Series([meta["force"] for meta in chosen], dtype="string"),
            "period_start": pd.to_datetime(pd.Series([f"{meta['month']}-01" for meta in chosen], dtype="object")),
        }
    )
    return _read.stored_coverage(manifest, stand_in)


class _FileReader:
    """Reads one store data file (only the partitions given, if any) as a canonical pandas frame."""

    def __init__(self, root: Path, columns: list[str], dtypes: dict[str, Any]) -> None:
        self.root, self.columns, self.dtypes = root, columns, dtypes

    def __call__(self, part: tuple[str, list[tuple[str, str]] | None]) -> pd.DataFrame:
        import pyarrow.dataset as ds

        file, pairs = part
        where = None if pairs is None else _read.rows_filter(file, pairs)
        table = ds.dataset(str(self.root / file), format="parquet").to_table(columns=self.columns, filter=where)
        return table.to_pandas(types_mapper=_read.pandas_type).astype(self.dtypes)
