"""Counts held by a Dask DataFrame, summed on its cluster and brought into pandas for the metrics.

The metrics work on pandas frames. Given a Dask DataFrame of canonical counts (a national store
read with ``Store.read(engine="dask")``), :func:`collect` sums ``count`` over the canonical
dimensions on the cluster (reading, decoding and summing every Parquet file there) and computes
only that aggregate, then the metric continues in pandas. It is the one place the metrics meet
Dask: each public metric calls it first, and a pandas frame passes through untouched. Dask is
never imported here; a frame is recognised as Dask's by its type.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .counts import attach, coverage_of, quality_of
from .schema import DIMENSIONS, empty_counts


def is_dask(frame: Any) -> bool:
    """True for a Dask DataFrame (without importing dask).

    Examples
    --------
    >>> import crimestats as cs
    >>> from crimestats.collect import is_dask
    >>> is_dask(cs.empty_counts())
    False
    """
    return type(frame).__module__.split(".")[0] == "dask" and hasattr(frame, "compute")


def collect(counts: Any) -> pd.DataFrame:
    """Canonical counts as a pandas frame: a pandas frame as it is, a Dask DataFrame summed on its cluster.

    A Dask DataFrame is grouped by every canonical dimension present (``period_start`` ...
    ``source``, missing values kept as their own groups) and ``count`` summed there; the result,
    one row per period x area x offence x flags, is computed into pandas with the canonical dtypes
    and the ``coverage`` and ``quality`` the frame carries (those of ``Store.read``; a frame
    derived from it carries none, and coverage is then inferred from its rows).

    Parameters
    ----------
    counts
        Canonical counts: a pandas DataFrame, or a Dask DataFrame of the canonical columns.

    Returns
    -------
    pandas.DataFrame
        ``counts`` itself when it is pandas; otherwise its sum per canonical dimensions.

    Examples
    --------
    >>> import crimestats as cs
    >>> from crimestats.collect import collect
    >>> counts = cs.read_police_uk(cs.datasets.path("police-uk-city-of-london-2017-01"))
    >>> collect(counts) is counts
    True
    """
    if not is_dask(counts):
        return counts
    keys = [name for name in DIMENSIONS if name in counts.columns]
    # One partition of output (a tree reduction, no shuffle): the sums are at most the stored rows.
    summed = counts.groupby(keys, dropna=False, observed=True, sort=False)["count"].sum(split_out=1).compute()
    frame = summed.reset_index()
    dtypes = empty_counts().dtypes
    frame = frame.astype({name: dtypes[name] for name in frame.columns if name in dtypes})
    frame = frame[[name for name in empty_counts().columns if name in frame.columns]]
    frame = frame.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
    return attach(frame, coverage=coverage_of(counts), quality=quality_of(counts))
