"""Revisions: what changed between two editions of a published table covering the same periods.

ONS and the Home Office revise earlier figures in each new edition (forces resubmit, audits
reclassify crimes). :func:`reconcile` lines two editions up by period, force, area and offence
line and lists every difference, so an analyst can say which figures moved and by how much
before replacing one edition with the other.
"""

from __future__ import annotations

import pandas as pd

from .counts import NOT_PUBLISHED, coverage_of
from .exceptions import CoverageError
from .selections import ons_lines

#: The keys two editions are compared on.
KEYS = ("period_start", "period_months", "force", "area_name", "line")


def _by_line(counts: pd.DataFrame) -> pd.Series:
    # A plain frame: the readers' attrs (reconciliation tables) must not travel into the comparison.
    frame = pd.DataFrame(
        {
            "period_start": counts["period_start"].to_numpy(),
            "period_months": counts["period_months"].to_numpy(),
            "force": counts["force"].to_numpy(),
            "area_name": counts["area_name"].astype("string").fillna("").to_numpy(),
            "line": ons_lines(counts).to_numpy(),
            "count": counts["count"].to_numpy(),
        }
    )
    return frame.groupby(list(KEYS), dropna=False)["count"].sum()


def _not_published(counts: pd.DataFrame) -> set[tuple]:
    coverage = coverage_of(counts)
    if coverage is None:
        return set()
    rows = coverage[coverage["status"] == NOT_PUBLISHED]
    return {(r.period_start, r.period_months, r.force) for r in rows.itertuples()}


def reconcile(a: pd.DataFrame, b: pd.DataFrame, *, all_rows: bool = False) -> pd.DataFrame:
    """The differences between two editions by period, force (and area) and offence line.

    Parameters
    ----------
    a, b
        Canonical counts of two editions (``a`` the earlier, ``b`` the later), e.g. P5 of the
        years ending June and December 2018, which both publish 2010/11 to 2017/18.
    all_rows
        Return every line compared, not only those that differ.

    Returns
    -------
    pandas.DataFrame
        ``period_start, period_months, force, area_name`` (empty for force-level rows),
        ``line`` (the ONS P1 leaf line, else the category), ``a``, ``b``, ``difference``
        (``b - a``), ``pct_difference`` and ``note`` (a line only one edition has, or a force
        one edition did not publish). Sorted by period, force, area and line.
        ``attrs``: ``periods`` compared, ``compared`` (lines compared) and ``differences``.

    Raises
    ------
    CoverageError
        When the two editions share no period.

    Examples
    --------
    >>> import crimestats as cs
    >>> one = cs.read_home_office(cs.datasets.path("home-office-pfa-2017-18"))
    >>> revised = one.copy()
    >>> revised.loc[revised.index[0], "count"] += 5
    >>> diff = cs.reconcile(one, revised)
    >>> int(diff["difference"].sum()), diff.attrs["differences"]
    (5, 1)
    """
    left, right = _by_line(a), _by_line(b)
    periods_a = set(zip(a["period_start"], a["period_months"], strict=True))
    periods_b = set(zip(b["period_start"], b["period_months"], strict=True))
    shared = sorted(periods_a & periods_b)
    if not shared:
        raise CoverageError("the two editions share no period: nothing to reconcile")
    table = pd.concat({"a": left, "b": right}, axis=1).reset_index()
    in_shared = pd.Series(list(zip(table["period_start"], table["period_months"], strict=True))).isin(shared)
    table = table[in_shared.to_numpy()].copy()
    unpublished_a, unpublished_b = _not_published(a), _not_published(b)
    keys = list(zip(table["period_start"], table["period_months"], table["force"], strict=True))
    notes = []
    for key, left_value, right_value in zip(keys, table["a"], table["b"], strict=True):
        if key in unpublished_a or key in unpublished_b:
            side = "earlier" if key in unpublished_a else "later"
            notes.append(f"not published in the {side} edition")
        elif pd.isna(left_value) or pd.isna(right_value):
            notes.append(f"only in the {'later' if pd.isna(left_value) else 'earlier'} edition")
        else:
            notes.append("")
    table["note"] = notes
    table["a"] = table["a"].astype("Int64")
    table["b"] = table["b"].astype("Int64")
    table["difference"] = table["b"] - table["a"]
    table["pct_difference"] = 100 * table["difference"].astype("Float64") / table["a"].where(table["a"] != 0)
    changed = (table["difference"].fillna(1) != 0) | (table["note"] != "")
    compared = len(table)
    if not all_rows:
        table = table[changed.to_numpy()]
    table = table.sort_values(list(KEYS)).reset_index(drop=True)
    table.attrs = {
        "periods": [f"{start:%Y-%m} ({months} months)" for start, months in shared],
        "compared": compared,
        "differences": int(changed.sum()),
    }
    return table
