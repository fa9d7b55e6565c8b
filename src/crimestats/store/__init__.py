"""A local Parquet store of canonical counts, kept current by incremental, idempotent, crash-safe refreshes.

Layout under the store folder::

    manifest.json                                  the current state (swapped atomically)
    .refresh.lock                                  present while a refresh runs
    counts/src=<source>/year=<YYYY>/part-<generation>-<id>.parquet   forces and months of a source-year
    records/pfa=<force>/month=<YYYY-MM>/part-...   (police.uk records, with refresh(records=True))

The package's modules, one job each: :mod:`~crimestats.store.atomic` (the one atomic-write
routine, for Parquet files and the manifest alike), :mod:`~crimestats.store.manifest`,
:mod:`~crimestats.store.lock`, :mod:`~crimestats.store.refresh` (the plan and the sweep),
:mod:`~crimestats.store.commit` (reading what the plan found and writing it; with
:mod:`~crimestats.store.loading` and :mod:`~crimestats.store.writing`), :mod:`~crimestats.store.compact`,
:mod:`~crimestats.store.read`, :mod:`~crimestats.store.status` and :mod:`~crimestats.store.distributed`
(Dask, optional). Importing the package imports none of pandas and pyarrow: the modules that need
them load when first used, so ``crimestats status`` and a refresh finding nothing new start fast.
See ``docs/store.md`` for the rules that keep the store correct.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from ..exceptions import StoreError
from ..lazy import loader
from .manifest import read_manifest
from .refresh import RefreshResult, refresh_store

if TYPE_CHECKING:  # dask is optional: imported only when a Dask read is asked for
    import dask.dataframe as dd
    import pandas as pd

    from .compact import CompactResult
    from .read import COUNTS_SCHEMA, slug

__all__ = ["COUNTS_SCHEMA", "CompactResult", "RefreshResult", "Store", "slug"]

#: Names this package exports from modules that import pyarrow and pandas: imported when first used,
#: so that ``crimestats status`` and a refresh finding nothing new need neither.
__getattr__, __dir__ = loader(__name__, {"COUNTS_SCHEMA": ".read", "slug": ".read", "CompactResult": ".compact"})


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

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # ---- reading ---------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """The current manifest (a copy read from disk).

        Examples
        --------
        >>> import tempfile, crimestats as cs
        >>> cs.Store(tempfile.mkdtemp()).manifest()["generation"]
        0
        """
        return read_manifest(self.root)

    def fragments(
        self,
        *,
        forces: Sequence[str] | None = None,
        start: str | None = None,
        end: str | None = None,
        sources: Sequence[str] | None = None,
    ) -> list[str]:
        """Files a read with these filters opens (those holding the partitions pruning leaves).

        Examples
        --------
        >>> import tempfile, crimestats as cs
        >>> store = cs.Store(tempfile.mkdtemp())
        >>> _ = store.refresh([cs.datasets.path("police-uk-city-of-london-2017-01")])
        >>> [path.split("/counts/")[1].rsplit("/", 1)[0] for path in store.fragments(start="2017-01")]
        ['src=police.uk/year=2017']
        """
        from . import read as _read

        return _read.fragments(self.root, self.manifest(), forces=forces, start=start, end=end, sources=sources)

    # The engine names the kind of frame returned, so type checkers know which (a lazy frame is asked for by name).
    @overload
    def read(
        self,
        *,
        forces: Sequence[str] | None = ...,
        areas: Sequence[str] | None = ...,
        start: str | None = ...,
        end: str | None = ...,
        columns: Sequence[str] | None = ...,
        engine: Literal["pandas"] = ...,
    ) -> pd.DataFrame: ...

    @overload
    def read(
        self,
        *,
        forces: Sequence[str] | None = ...,
        areas: Sequence[str] | None = ...,
        start: str | None = ...,
        end: str | None = ...,
        columns: Sequence[str] | None = ...,
        engine: Literal["dask"],
    ) -> dd.DataFrame: ...

    def read(
        self,
        *,
        forces: Sequence[str] | None = None,
        areas: Sequence[str] | None = None,
        start: str | None = None,
        end: str | None = None,
        columns: Sequence[str] | None = None,
        sources: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
        engine: Literal["pandas", "dask"] = "pandas",
    ) -> pd.DataFrame | dd.DataFrame:
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
        sources
            Only these sources ("police.uk", "home-office", ...).
        categories
            Only these harmonised categories.
        engine
            "pandas" (read now) or "dask": a lazy Dask DataFrame over the same files, with the same
            columns and dtypes, for data larger than memory or a cluster (``pip install
            'crimestats[dask]'``; see ``docs/distributed.md``). The metrics accept it: they sum it on
            the cluster to canonical counts first (:func:`crimestats.collect.collect`). It reads the
            files of the manifest current when it was made; compute it before two more refreshes.

        Returns
        -------
        pandas.DataFrame
            Canonical counts, with the stored files' ``coverage`` and ``quality`` records beside them
            (the quality records of the files the read drew on; a ``dask.dataframe.DataFrame``
            with ``engine="dask"``).

        Notes
        -----
        Sources, forces and months are pruned on the manifest: only the files holding the
        partitions wanted are opened, and of a file holding other forces or months too only the
        wanted partitions' rows are kept. Areas and categories are a filter inside the scan.

        Raises
        ------
        StoreError
            When the store folder does not exist, or the manifest or a data file it names cannot be read,
            or ``engine`` is neither "pandas" nor "dask".
        ClusterError
            With ``engine="dask"`` when dask is not installed.

        Examples
        --------
        >>> import tempfile, crimestats as cs
        >>> store = cs.Store(tempfile.mkdtemp())
        >>> _ = store.refresh([cs.datasets.path("police-uk-city-of-london-2017-01")])
        >>> int(store.read(start="2017-01", end="2017-01")["count"].sum())
        483
        """
        if not self.root.exists():  # a mistyped store is an error, never an empty result
            raise StoreError(f"{self.root}: no store here (the folder does not exist); check the path")
        filters = {
            "forces": forces,
            "areas": areas,
            "start": start,
            "end": end,
            "sources": sources,
            "categories": categories,
        }
        if engine == "dask":
            from .distributed import read_dask  # dask only when asked for

            manifest = self.manifest()
            return read_dask(self.root, manifest, forces=forces, areas=areas, start=start, end=end, columns=columns)
        if engine != "pandas":
            raise StoreError(f"engine={engine!r}: expected 'pandas' or 'dask'")
        from . import read as _read

        return _read.consistent(
            self.root, lambda manifest: _read.read_counts(self.root, manifest, columns=columns, **filters)
        )

    def read_records(
        self, *, forces: Sequence[str] | None = None, start: str | None = None, end: str | None = None
    ) -> pd.DataFrame:
        """Record-level police.uk rows stored with ``refresh(records=True)``.

        Examples
        --------
        >>> import tempfile, crimestats as cs
        >>> store = cs.Store(tempfile.mkdtemp())
        >>> _ = store.refresh([cs.datasets.path("police-uk-city-of-london-2017-01")], records=True)
        >>> len(store.read_records(forces=["London, City of"]))
        483
        """
        filters = {"forces": forces, "start": start, "end": end}
        from . import read as _read

        return _read.consistent(self.root, lambda manifest: _read.read_records(self.root, manifest, **filters))

    def status(self) -> pd.DataFrame:
        """Coverage per source and force: first and last month, months present and missing.

        ``attrs`` holds ``last_refresh``, ``generation`` and ``files`` (how many source files).

        Examples
        --------
        >>> import tempfile, crimestats as cs
        >>> store = cs.Store(tempfile.mkdtemp())
        >>> _ = store.refresh([cs.datasets.path("police-uk-city-of-london-2017-01")])
        >>> store.status()[["source", "first", "last", "periods"]].to_dict(orient="records")
        [{'source': 'police.uk', 'first': '2017-01', 'last': '2017-01', 'periods': 1}]
        """
        from . import read as _read

        return _read.status(self.manifest())

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
        client: Any = None,
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
        client
            A ``distributed.Client``: read and aggregate each file as a task on that Dask cluster
            (the files must be at the same absolute paths on the workers). Only the aggregated
            counts come back; this process alone checks, writes and swaps the manifest, so the store,
            its lock and its crash safety are the same as without. See ``docs/distributed.md``.

        Returns
        -------
        RefreshResult

        Raises
        ------
        StoreLockedError
            When another refresh holds the lock.
        StoreError
            When the store cannot be written (a full disk says how much space was needed).

        Examples
        --------
        >>> import tempfile, crimestats as cs
        >>> result = cs.Store(tempfile.mkdtemp()).refresh([cs.datasets.path("police-uk-city-of-london-2017-01")])
        >>> result.ok, [item["count"] for item in result.ingested]
        (True, [483])
        """
        return refresh_store(
            self.root,
            sources,
            mapping=mapping,
            strict=strict,
            dry_run=dry_run,
            records=records,
            progress=progress,
            client=client,
        )

    def compact(self) -> CompactResult:
        """Rewrite every source-year spread over several files (or in an earlier layout) into one file.

        A refresh compacts on its own when it leaves too many small files; this does it now. It
        takes the refresh lock and is crash-safe as a refresh is (see ``docs/store.md``).

        Returns
        -------
        CompactResult

        Raises
        ------
        StoreLockedError
            When a refresh holds the lock.
        StoreError
            When the store does not exist or cannot be written.

        Examples
        --------
        >>> import tempfile, crimestats as cs
        >>> store = cs.Store(tempfile.mkdtemp())
        >>> _ = store.refresh([cs.datasets.path("police-uk-city-of-london-2017-01")])
        >>> store.compact().files_after
        1
        """
        if not (self.root / "manifest.json").exists():
            raise StoreError(f"{self.root}: no store here (no manifest.json); check the path")
        from .compact import compact_store

        return compact_store(self.root)
