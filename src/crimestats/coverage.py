"""Coverage: which areas and months the sources looked at, so that missing is never read as zero.

A counts frame carries its coverage table (:mod:`crimestats.counts`). An area is *covered* in a
month when a coverage row of its force (for every area of the force, or for that area) says
``covered`` for a period containing the month. A covered month with no rows of a selection
counts as zero; an uncovered one is missing, and metrics leave the area out or raise
:class:`~crimestats.exceptions.CoverageError`, never sum it as zero.

Frames built by hand carry no coverage table; for them coverage is inferred from the rows
*before* any selection: each source x force x period with any row covers every area of that
force in that period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache

import pandas as pd

from .counts import COVERED, NOT_PUBLISHED, coverage_of, make_coverage
from .gap_notes import COLUMNS as GAP_COLUMNS
from .gap_notes import gap_note, gap_rows
from .periods import Window


def coverage_table(counts: pd.DataFrame) -> pd.DataFrame:
    """The coverage of ``counts``: its own table, or one inferred from its rows (force level)."""
    own = coverage_of(counts)
    if own is not None:
        return own
    keys = ["source", "force", "period_start", "period_months"]
    return make_coverage(counts[keys].drop_duplicates())


def _month_index(dates: pd.Series | pd.DatetimeIndex) -> pd.Series:
    dates = pd.Series(dates)
    return dates.dt.year * 12 + dates.dt.month - 1


def window_months(windows: Iterable[Window]) -> list[pd.Timestamp]:
    """Every month of the windows, in order."""
    months: list[pd.Timestamp] = []
    for window in windows:
        months += list(pd.date_range(window.start, periods=window.months, freq="MS"))
    return months


def _covered_months(rows: pd.DataFrame) -> set[int]:
    covered: set[int] = set()
    starts = _month_index(rows["period_start"]).to_numpy()
    for start, length in zip(starts, rows["period_months"].to_numpy(), strict=True):
        covered.update(range(int(start), int(start) + int(length)))
    return covered


def area_forces(counts: pd.DataFrame, areas: Sequence[str]) -> dict[str, str | None]:
    """The police force of each CSP: from the area registry, else (an area it does not know) the counts' rows.

    The registry comes first because a force's street files also hold crimes located in other
    forces' areas: the rows of an area can carry a neighbouring force.
    """
    from .boundaries import boundaries_of

    # boundaries_of ignores missing codes: no dropna of a national store's column first.
    vintage = boundaries_of(counts["area_code"].unique()) if "area_code" in counts else None
    registry = _registry_forces(vintage)
    rows = None
    out: dict[str, str | None] = {}
    for area in areas:
        if area in registry:
            out[area] = registry[area]
            continue
        if rows is None:
            named = counts.dropna(subset=["area_name"])
            rows = named.groupby("area_name", observed=True)["force"].agg(lambda f: f.value_counts().index[0])
        out[area] = str(rows.loc[area]) if area in rows.index else None
    return out


@cache
def _registry_forces(vintage: str | None) -> dict[str, str]:
    """The force of each CSP name of a boundary vintage (None: the area registry), from package data."""
    from .areas import csps
    from .boundaries import boundary_csps

    table = boundary_csps(vintage) if vintage is not None else csps()
    registry = table.drop_duplicates("csp_name").set_index("csp_name")["force"]
    return {str(name): str(force) for name, force in registry.items()}


def uncovered(
    counts: pd.DataFrame, *, areas: Sequence[str], by: str, windows: Sequence[Window]
) -> dict[str, list[pd.Timestamp]]:
    """Months of ``windows`` each area (CSP names, or forces with ``by="force"``) is not covered for.

    Areas fully covered are absent from the result.
    """
    table = coverage_table(counts)
    table = table[table["status"].isin([COVERED, NOT_PUBLISHED])]
    needed = window_months(windows)
    needed_index = dict(zip(_month_index(pd.Series(needed)).tolist(), needed, strict=True))
    forces_of = {area: area for area in areas} if by == "force" else area_forces(counts, areas)
    # The months each (force, area or None for the whole force, source, status) says, gathered in
    # one pass over the rows that touch the windows: a national store's coverage has a row per
    # force and month of ten years, and a per-area scan of it would be most of a comparison.
    first, last = min(needed_index, default=0), max(needed_index, default=-1)
    starts = _month_index(table["period_start"]).to_numpy()
    lengths = table["period_months"].to_numpy()
    touching = (starts <= last) & (starts + lengths - 1 >= first)
    # Only the forces of the areas asked about are read below: a peer group's check need not
    # gather the months of every other force.
    wanted = set(forces_of.values())
    of_wanted = table["force"].isin(wanted - {None})
    if None in wanted:  # an area of no known force reads the rows of no force, as before
        of_wanted |= table["force"].isna()
    touching &= of_wanted.to_numpy(dtype=bool, na_value=False)
    said: dict[tuple, set[int]] = defaultdict(set)
    columns = [table[c].to_numpy(dtype=object, na_value=None)[touching] for c in ("force", "area_name", "source")]
    statuses = table["status"].to_numpy(dtype=object)[touching]
    for force, area, source, status, start, length in zip(
        *columns, statuses, starts[touching], lengths[touching], strict=True
    ):
        said[(force, None if by == "force" else area, source, status)].update(
            range(int(start), int(start) + int(length))
        )
    by_force: dict[str, list[tuple]] = defaultdict(list)
    for key in said:
        by_force[key[0]].append(key)
    result: dict[str, list[pd.Timestamp]] = {}
    for area in areas:
        force = forces_of.get(area)
        # A month a source says it did not publish is not covered by that source, even where another
        # of its series spans it (ONS P5: a financial year published, the calendar year not).
        published: dict[object, set[int]] = defaultdict(set)
        withheld: dict[object, set[int]] = defaultdict(set)
        for key in by_force.get(force, []):
            _, where, source, status = key
            if by != "force" and where is not None and where != area:
                continue
            (published if status == COVERED else withheld)[source] |= said[key]
        covered: set[int] = set()
        for source, months in published.items():
            covered |= months - withheld.get(source, set())
        missing = [month for index, month in needed_index.items() if index not in covered]
        if missing:
            result[area] = missing
    return result


def months_not_covered(
    counts: pd.DataFrame, *, by: str, names: Sequence[str], months: pd.DatetimeIndex
) -> dict[str, list[pd.Timestamp]]:
    """The months (of consecutive ``months``) each of ``names`` is not covered for, by the counts' coverage.

    Parameters
    ----------
    counts
        Canonical counts; their coverage table is used, or one inferred from their rows.
    by
        ``"area_name"`` or ``"force"``: what ``names`` are. Only areas and forces have coverage:
        for any other ``by`` nothing is missing.
    names
        The areas (or forces) asked about.
    months
        Consecutive month starts.

    Returns
    -------
    dict
        Name -> the months of ``months`` it is not covered for; names covered throughout are absent.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_police_uk(cs.datasets.path("police-uk-city-of-london-2017-01"))
    >>> months = pd.date_range("2016-12-01", periods=2, freq="MS")
    >>> months_not_covered(counts, by="force", names=["London, City of"], months=months)
    {'London, City of': [Timestamp('2016-12-01 00:00:00')]}
    """
    if by not in ("area_name", "force") or not len(months):
        return {}
    window = Window(months[0], months[-1] + pd.DateOffset(months=1), "trend")
    return uncovered(counts, areas=names, by=by, windows=[window])


def describe_months(months: Sequence[pd.Timestamp], limit: int = 6) -> str:
    """Months as a short list: "2018-10, 2018-11" or "2019-07 .. 2019-12 (6 months)"."""
    labels = [f"{m:%Y-%m}" for m in months]
    if len(labels) > limit:
        return f"{labels[0]} .. {labels[-1]} ({len(labels)} months)"
    return ", ".join(labels)


@cache
def _known_gaps() -> pd.DataFrame:
    table = pd.DataFrame(list(gap_rows()), columns=list(GAP_COLUMNS)).astype("string")
    table["first"] = pd.to_datetime(table["first_month"], format="%Y-%m")
    table["last"] = pd.to_datetime(table["last_month"].fillna("2099-12"), format="%Y-%m")
    return table


def known_gaps() -> pd.DataFrame:
    """Published gaps in the sources (e.g. Greater Manchester Police on data.police.uk from July 2019).

    Columns: ``source, force, first_month, last_month`` (missing: still open), ``what``,
    ``reference``. Sources are cited in ``docs/methodology.md``.

    Examples
    --------
    >>> import crimestats as cs
    >>> gaps = cs.known_gaps()
    >>> gaps.loc[gaps["force"] == "Greater Manchester", "first_month"].iloc[0]
    '2019-07'
    """
    return _known_gaps().drop(columns=["first", "last"]).copy()


def known_gap(source: str | None, force: str | None, month: pd.Timestamp) -> str | None:
    """What a known gap says of a force's month in a source, or None when none is known."""
    return gap_note(source, force, f"{month:%Y-%m}")


def reason(counts: pd.DataFrame, area: str, months: Sequence[pd.Timestamp], *, by: str = "area_name") -> str:
    """Why an area is left out: "no data for 2018-10", or "not published for ..." (cells withheld).

    A known gap's note is added where one applies.
    """
    force = area if by == "force" else area_forces(counts, [area]).get(area)
    table = coverage_table(counts)
    withheld = table[(table["status"] == NOT_PUBLISHED) & (table["force"] == force)]
    if by != "force":
        withheld = withheld[withheld["area_name"].isna() | (withheld["area_name"] == area)]
    unpublished = _covered_months(withheld)
    if unpublished and all(index in unpublished for index in _month_index(pd.Series(list(months))).tolist()):
        text = f"not published for {describe_months(months)}"
    else:
        text = f"no data for {describe_months(months)}"
    sources = sorted(set(counts["source"].dropna())) or [None]
    notes = {note for source in sources for m in months if (note := known_gap(source, force, m))}
    if notes:
        text += f" (known gap: {'; '.join(sorted(notes))})"
    return text
