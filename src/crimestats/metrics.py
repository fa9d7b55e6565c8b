"""Pure metric functions on canonical counts: comparisons, rankings, contributions, rates, trends.

Counts are always summed over whatever is asked for, and percentages and rates are recomputed from
the sums, never averaged. Periods must be covered completely by the data; a partial year is an
error, not a smaller total.

Each metric also accepts a Dask DataFrame of canonical counts (``Store.read(engine="dask")``): it
is summed on its cluster to canonical counts first (:func:`crimestats.collect.collect`), then the
metric runs in pandas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from . import coverage
from .areas import area_name, peer_areas, population_and_boundaries
from .boundaries import boundaries_of
from .collect import collect
from .comparable import select_comparable
from .exceptions import CoverageError, PeriodError, SelectionError
from .periods import FinancialYear, Window, to_window
from .selections import ons_lines, resolve_selection, select
from .significance import ALPHA, describe_change

PeriodLike = str | FinancialYear | Window | tuple[str, str]
Level = Literal["category", "offence_group", "offence_subgroup", "offence_code", "ons_line"]


def window_rows(counts: pd.DataFrame, window: Window) -> pd.DataFrame:
    """The rows of ``counts`` inside ``window``; a row straddling its edge is an error.

    Raises
    ------
    PeriodError
        When a row straddles the window's edge (e.g. quarterly data and a window starting in May).
    """
    return counts[_inside(counts, window)]


def _month_spans(counts: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each row's first month and the month after its last, as whole months (year * 12 + month - 1)."""
    # Integers make the interval tests vectorised; computed once per frame for all its windows.
    start = counts["period_start"].dt.year * 12 + counts["period_start"].dt.month - 1
    return start, start + counts["period_months"]


def _window_masks(
    counts: pd.DataFrame, window: Window, spans: tuple[pd.Series, pd.Series] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Rows overlapping ``window``, and rows inside it (``spans``: the rows' :func:`_month_spans`)."""
    start, end = spans if spans is not None else _month_spans(counts)
    window_start = window.start.year * 12 + window.start.month - 1
    window_end = window_start + window.months
    overlaps = (start < window_end) & (end > window_start)
    return overlaps, overlaps & (start >= window_start) & (end <= window_end)


def _inside(counts: pd.DataFrame, window: Window, spans: tuple[pd.Series, pd.Series] | None = None) -> pd.Series:
    """The mask of :func:`window_rows`: rows inside ``window``, raising if a row straddles its edge."""
    overlaps, inside = _window_masks(counts, window, spans)
    if (overlaps & ~inside).any():
        row = counts[overlaps & ~inside].iloc[0]
        raise PeriodError(
            f"{window.label}: the data's periods ({int(row['period_months'])} months from "
            f"{row['period_start']:%Y-%m}) do not fit inside it; choose periods the data can make up"
        )
    return inside


def period_rows(counts: pd.DataFrame, window: Window) -> pd.DataFrame:
    """The rows of ``counts`` inside ``window``, checking every area in them is covered for all of it.

    Raises
    ------
    PeriodError
        When a row straddles the window's edge.
    CoverageError
        When an area (or, for force-level counts, a force) is not covered for every month of the
        window: missing months are never summed as zero.
    """
    check_covered(counts, [window])
    return window_rows(counts, window)


def check_covered(counts: pd.DataFrame, windows: Sequence[Window], *, by: str | None = None) -> None:
    """Raise :class:`CoverageError` unless every force (or, with ``by="area_name"``, area) in ``counts`` is covered."""
    if by is None:
        # A force's street files also hold crimes located in other forces' areas, which that
        # force's files do not cover: check forces unless a caller asks for areas.
        by = "force"
    names = sorted(counts[by].dropna().unique())
    missing = coverage.uncovered(counts, areas=names, by=by, windows=windows)
    if missing:
        area, months = next(iter(missing.items()))
        label = " and ".join(w.label for w in windows)
        raise CoverageError(
            f"{area}: {coverage.reason(counts, area, months, by=by)} in {label}"
            + (f" (and {len(missing) - 1} more areas)" if len(missing) > 1 else ""),
            area=area,
            months=months,
        )


def _windows(base: PeriodLike, current: PeriodLike) -> tuple[Window, Window]:
    base_window, current_window = to_window(base), to_window(current)
    if base_window.months != current_window.months:
        raise PeriodError(
            f"periods differ in length: {base_window.label} is {base_window.months} months, "
            f"{current_window.label} is {current_window.months}"
        )
    return base_window, current_window


def check_one_source(counts: pd.DataFrame, windows: Sequence[Window]) -> None:
    """Refuse counts in which two sources cover the same force in the periods compared.

    A Home Office table and a force extract (or police.uk and an ONS table) count the same crimes
    differently: adding them counts every crime twice. Pick one with ``counts[counts["source"] == ...]``.
    """
    per_force: dict[str, set[str]] = {}
    spans = _month_spans(counts)
    for window in windows:
        # Only the two columns are taken: the pairs are all that is needed of the rows.
        pairs = counts.loc[_inside(counts, window, spans), ["force", "source"]].drop_duplicates()
        for force, source in pairs.itertuples(index=False):
            per_force.setdefault(str(force), set()).add(str(source))
    doubled = {force: sorted(found) for force, found in per_force.items() if len(found) > 1}
    if doubled:
        force, sources_ = next(iter(doubled.items()))
        raise SelectionError(
            f"the counts hold {' and '.join(sources_)} for {force} in the periods compared: they count the same "
            "crimes, so adding them would count each twice; choose one source, e.g. "
            f"counts[counts['source'] == {sources_[0]!r}]"
        )


def _peers(counts: pd.DataFrame, by: str, within: str | Sequence[str] | None) -> list[str] | None:
    if within is None:
        return None
    level = "force" if by == "force" else "csp"
    # CSPs of the boundary vintage the counts are on (police.uk counts default to the latest).
    # boundaries_of skips missing codes itself.
    vintage = boundaries_of(counts["area_code"].unique()) if level == "csp" and "area_code" in counts else None
    return peer_areas(within, level=level, boundaries=vintage)


def rank_changes(table: pd.DataFrame) -> pd.Series:
    """Rank areas by percentage change: 1 = lowest increase (or largest fall).

    Ties share the lower rank ("min" method: two areas tied for 2nd are both 2nd, the next is
    4th). Areas with no base (percentage change undefined) rank last. The order of rows does not
    matter.

    Examples
    --------
    >>> rank_changes(pd.DataFrame({"pct_change": [13.6, 9.6, 13.6, 20.0]})).tolist()
    [2, 1, 2, 4]
    """
    return table["pct_change"].rank(method="min", ascending=True, na_option="bottom").astype("int64")


def changes_from_published(current: pd.Series, pct_change: pd.Series) -> pd.DataFrame:
    """Base, change and rank when a table gives only the current count and the published % change.

    ONS table P1 tabulates one year; P2 gives the percentage change from the year before. The
    base is recovered as ``round(current / (1 + pct_change / 100))`` and the percentage change
    kept as published; ranks are as in :func:`rank_changes`.

    Examples
    --------
    >>> table = changes_from_published(pd.Series({"West Midlands": 233393}), pd.Series({"West Midlands": 13.0812911}))
    >>> int(table.loc["West Midlands", "base"]), int(table.loc["West Midlands", "change"])
    (206394, 26999)
    """
    table = pd.DataFrame({"current": current, "pct_change": pct_change})
    table["base"] = (table["current"] / (1 + table["pct_change"] / 100)).round().astype("Int64")
    table["change"] = table["current"] - table["base"]
    table["rank"] = rank_changes(table)
    table["n_areas"] = len(table)
    return table[["base", "current", "change", "pct_change", "rank", "n_areas"]].sort_values("rank")


def compare_years(
    counts: pd.DataFrame,
    *,
    base: PeriodLike,
    current: PeriodLike,
    by: str = "area_name",
    within: str | Sequence[str] | None = None,
    selection: str | Sequence[str] = "total recorded crime",
    area: str | None = None,
    alpha: float = ALPHA,
    measure: Literal["count", "severity"] = "count",
) -> pd.DataFrame:
    """Totals per area for two periods, their change, and the area's rank among its peers.

    Each area compared must be covered by the data for every month of both periods (see
    :mod:`crimestats.coverage`): a covered month with no rows of the selection counts as zero;
    a peer not covered is left out of the ranking, with the reason in ``attrs["excluded"]``.

    Parameters
    ----------
    counts
        Canonical counts covering both periods completely (pandas, or a Dask DataFrame: see
        :func:`crimestats.collect.collect`).
    base, current
        Two periods of equal length: financial years ("2016/17"), calendar years ("2017"),
        rolling 12 months ending in a month ("12m:2018-03") or (first, last) month pairs.
    by
        Column to group by: "area_name" (CSPs) or "force".
    within
        Peer group: a force area ("West Midlands": its CSPs), "region:<name>", or a list of
        areas. Adds ``rank`` (1 = lowest increase / largest fall; ties share the lower rank),
        ``n_areas`` and peer-group totals.
    selection
        What to count: a named selection, category, offence group, codes or a flag.
    area
        The focus area (the report's own): if it is not covered, :class:`CoverageError` is
        raised rather than leaving it out.
    alpha
        Significance level of the exact Poisson test (:mod:`crimestats.significance`).
    measure
        "count" (offences) or "severity": the Crime Severity Score of each period
        (:mod:`crimestats.severity`, population of the year each period starts in), ranked the
        same way; the Poisson test does not apply to weighted sums (``significance`` "not
        tested"). Needs ``by`` "area_name" or "force".

    Raises
    ------
    CoverageError
        When the focus area, or every area, is not covered for both periods.
    SelectionError
        When the selection needs detail (a flag, an offence code level) the source lacks.

    Returns
    -------
    pandas.DataFrame
        One row per area, sorted by rank (or name): ``base, current, change, pct_change``
        (percent, 13.6 not 0.136), ``p_value, significant, significance`` and, with ``within``,
        ``rank, n_areas, peer_base, peer_current, peer_pct_change`` (change of the group's total)
        and ``peer_mean_pct_change`` (mean of the areas' changes). ``attrs`` records the periods,
        selection and peer group, and ``category_level``: the data.police.uk category set the
        comparison was made at when it crosses a change of crime types (December 2010, September
        2011, May 2013; see :mod:`crimestats.comparable`), else None.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> fy = cs.compare_years(counts, base="2016/17", current="2017/18", within="West Midlands")
    >>> row = fy.set_index("area_name").loc["Wolverhampton"]
    >>> int(row["base"]), int(row["current"]), int(row["change"]), round(float(row["pct_change"]), 1), int(row["rank"])
    (18684, 21225, 2541, 13.6, 2)
    """
    counts = collect(counts)  # a Dask DataFrame is summed on its cluster first
    base_window, current_window = _windows(base, current)
    # Periods that straddle a window's edge are an error first; the months of the rows are found once.
    spans = _month_spans(counts)
    in_base, in_current = (_inside(counts, window, spans) for window in (base_window, current_window))
    if by not in counts.columns:
        raise SelectionError(f"by={by!r} is not a column of the counts; use 'area_name', 'force' or 'category'")
    # The sums need only the two periods' rows: sliced once (a national store holds ten years of them).
    # Coverage and the areas compared still come from the whole counts.
    periods = counts[in_base | in_current]
    check_one_source(periods, [base_window, current_window])
    peers = _peers(counts, by, within)
    focus = None if area is None else (area_name(area) if by == "area_name" else area)
    if by in ("area_name", "force"):
        names = peers if peers is not None else sorted(counts[by].dropna().unique())
        if focus is not None and focus not in names:
            names = [*names, focus]
        missing = coverage.uncovered(counts, areas=names, by=by, windows=[base_window, current_window])
    else:
        one_area = counts["area_name"].dropna().nunique() == 1 and counts["area_name"].notna().all()
        check_covered(counts, [base_window, current_window], by="area_name" if one_area else "force")
        names, missing = None, {}
    if focus is not None and focus in missing:
        raise CoverageError(
            f"{focus}: {coverage.reason(counts, focus, missing[focus], by=by)}; "
            f"cannot compare {base_window.label} with {current_window.label}",
            area=focus,
            months=missing[focus],
        )
    excluded = {name: coverage.reason(counts, name, months, by=by) for name, months in missing.items()}
    compared = None if names is None else [name for name in names if name not in missing]
    if compared is not None and not compared:
        raise CoverageError(
            f"no area is covered for both periods: {'; '.join(f'{a}: {r}' for a, r in excluded.items())}"
        )
    # Across data.police.uk's category changes, at the comparable level (or a SelectionError).
    chosen, category_level = select_comparable(periods, selection, (base_window, current_window))
    if compared is not None:
        chosen = chosen[chosen[by].isin(compared)]
    if measure == "severity":
        return _compare_severity(chosen, by, compared, base_window, current_window, peers, within, excluded, selection)
    totals = {}
    for name, window in (("base", base_window), ("current", current_window)):
        rows = window_rows(chosen, window)
        totals[name] = rows.groupby(by)["count"].sum()
    table = pd.DataFrame(totals, columns=["base", "current"]).fillna(0).astype("int64")
    if compared is not None:
        # A covered area with no rows of the selection in a period counts zero there.
        table = table.reindex(compared, fill_value=0)
    table.index.name = by
    table["change"] = table["current"] - table["base"]
    table["pct_change"] = 100 * table["change"] / table["base"].where(table["base"] != 0)
    table = table.join(describe_change(table["base"], table["current"], alpha=alpha))
    peer_totals = None if peers is None else (int(table["base"].sum()), int(table["current"].sum()))
    return _ranked(
        table,
        by=by,
        peer_totals=peer_totals,
        attrs={
            "base": base_window.label,
            "current": current_window.label,
            "by": by,
            "selection": str(selection),
            "within": within,
            "excluded": excluded,
            "category_level": None if category_level is None else f"data.police.uk {category_level.name} categories",
        },
    )


def _ranked(
    table: pd.DataFrame, *, by: str, peer_totals: tuple[float, float] | None, attrs: dict[str, object]
) -> pd.DataFrame:
    """A comparison table with its peer ranks and peer-group totals (when ranked), rows in rank order."""
    if peer_totals is not None:
        peer_base, peer_current = peer_totals
        table["rank"] = rank_changes(table)
        table["n_areas"] = len(table)  # the areas compared; those left out are in attrs["excluded"]
        table["peer_base"] = peer_base
        table["peer_current"] = peer_current
        table["peer_pct_change"] = 100 * (table["peer_current"] - table["peer_base"]) / table["peer_base"]
        table["peer_mean_pct_change"] = table["pct_change"].mean()
        table = table.sort_values(["rank", by])
    table = table.reset_index()
    table.attrs = attrs
    return table


def _compare_severity(
    chosen: pd.DataFrame,
    by: str,
    compared: list[str] | None,
    base_window: Window,
    current_window: Window,
    peers: list[str] | None,
    within: str | Sequence[str] | None,
    excluded: dict[str, str],
    selection: str | Sequence[str],
) -> pd.DataFrame:
    """:func:`compare_years` of the Crime Severity Score (``measure="severity"``)."""
    from .severity import severity_totals

    if compared is None:
        raise SelectionError(f"measure='severity' compares areas or forces (by='area_name' or 'force'), not {by!r}")
    parts = {
        name: severity_totals(window_rows(chosen, window), by=by, names=compared, population_year=window.start.year)
        for name, window in (("base", base_window), ("current", current_window))
    }
    table = pd.DataFrame({name: part["points"] / part["population"] for name, part in parts.items()})
    table.index.name = by
    table["change"] = table["current"] - table["base"]
    table["pct_change"] = 100 * table["change"] / table["base"].where(table["base"] != 0)
    table["p_value"] = np.nan
    table["significant"] = pd.array([pd.NA] * len(table), dtype="boolean")
    table["significance"] = "not tested"
    scores = {name: part["points"].sum() / part["population"].sum() for name, part in parts.items()}
    return _ranked(
        table,
        by=by,
        peer_totals=None if peers is None else (scores["base"], scores["current"]),
        attrs={
            "base": base_window.label,
            "current": current_window.label,
            "by": by,
            "selection": str(selection),
            "within": within,
            "excluded": excluded,
            "measure": "severity",
            "unweighted": {name: int(part["unweighted"].sum()) for name, part in parts.items()},
            "method": parts["current"]["basis"].iloc[0] if len(parts["current"]) else None,
        },
    )


def contributions(
    counts: pd.DataFrame,
    *,
    area: str | None,
    base: PeriodLike,
    current: PeriodLike,
    level: Level = "offence_group",
    by: str = "area_name",
    selection: str | Sequence[str] = "total recorded crime",
) -> pd.DataFrame:
    """How much each offence group (or category, subgroup, code, ONS line) added to the change.

    Parameters
    ----------
    counts
        Canonical counts.
    area
        The area (value of ``by``); None for all rows.
    base, current
        Periods as for :func:`compare_years`.
    level
        "category", "offence_group", "offence_subgroup", "offence_code", or "ons_line" (the leaf
        lines of ONS table P1: violence with injury, residential burglary, vehicle offences ...).
    by
        Column ``area`` refers to.
    selection
        Which offences make up the total.

    Returns
    -------
    pandas.DataFrame
        ``<level>, base, current, change, share_of_change`` (percent of the net change), sorted
        from the largest increase to the largest fall. The changes add up to the net change
        exactly (``attrs["net_change"]``).

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> parts = cs.contributions(counts, area="Wolverhampton", base="2016/17", current="2017/18", level="ons_line")
    >>> int(parts["change"].sum()), parts["ons_line"].iloc[0]
    (2541, 'vehicle offences')
    """
    counts = collect(counts)  # a Dask DataFrame is summed on its cluster first
    base_window, current_window = _windows(base, current)
    scope = counts
    if area is not None:
        scope = counts[counts[by] == area]
        if scope.empty:
            raise SelectionError(f"no counts for {by} {area!r}")
    check_one_source(scope, [base_window, current_window])
    # One area: it must be covered; all rows: every force in them must be.
    check_covered(scope, [base_window, current_window], by=by if area is not None else "force")
    chosen = select(scope, selection)
    if level not in ("category", "offence_group", "offence_subgroup", "offence_code", "ons_line"):
        raise SelectionError(
            f"level={level!r}; expected one of category, offence_group, offence_subgroup, offence_code, ons_line"
        )
    if level == "ons_line":
        chosen = chosen.assign(ons_line=ons_lines(chosen))
    elif chosen[level].isna().all():
        raise SelectionError(
            f"these counts carry no {level} (source: {sorted(set(chosen['source']))}); use level='category'"
        )
    keys = chosen[level].astype("string").fillna("(not recorded)")
    parts = {}
    for name, window in (("base", base_window), ("current", current_window)):
        rows = window_rows(chosen, window)
        parts[name] = rows.groupby(keys.loc[rows.index])["count"].sum()
    table = pd.DataFrame(parts).fillna(0).astype("int64")
    table.index.name = level
    table["change"] = table["current"] - table["base"]
    net = int(table["change"].sum())
    table["share_of_change"] = 100 * table["change"] / net if net else np.nan
    table = table.sort_values(["change", "current"], ascending=[False, False]).reset_index()
    table.attrs = {
        "net_change": net,
        "base": base_window.label,
        "current": current_window.label,
        "area": area,
        "level": level,
    }
    return table


def rates(
    counts: pd.DataFrame,
    *,
    year: PeriodLike,
    per: int = 1000,
    by: str = "area_name",
    selection: str | Sequence[str] = "total recorded crime",
    populations: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Offences per ``per`` residents, with the mid-year population used.

    A financial year uses the mid-year estimate of the year it starts in (2017/18 uses mid-2017,
    as ONS does for year ending March 2018); a calendar year uses its own.

    Returns
    -------
    pandas.DataFrame
        ``<by>, count, population, population_year, population_boundaries, rate``:
        ``population_boundaries`` is the vintage of the councils the estimate was published on
        ("2023" for the ONS series, "2019"/"2020" for an estimate on that year's own councils,
        "given" when passed in ``populations``).

    Raises
    ------
    PopulationError
        When no population is known for an area and year (never a silent NaN).

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> r = cs.rates(counts, year="2017/18").set_index("area_name").loc["Wolverhampton"]
    >>> int(r["population"]), int(r["population_year"]), round(float(r["rate"]), 1)
    (260648, 2017, 81.4)
    """
    counts = collect(counts)  # a Dask DataFrame is summed on its cluster first
    window = to_window(year)
    check_one_source(counts, [window])
    population_year = window.start.year
    names = sorted(counts[by].dropna().unique())
    missing = coverage.uncovered(counts, areas=names, by=by, windows=[window]) if by in ("area_name", "force") else {}
    if by not in ("area_name", "force"):
        check_covered(counts, [window])
    compared = [name for name in names if name not in missing]
    if names and not compared:
        raise CoverageError(f"no area is covered for all of {window.label}")
    rows = window_rows(select(counts, selection), window)
    # A covered area with no rows of the selection has a rate of zero, not none.
    totals = rows.groupby(by)["count"].sum().reindex(compared, fill_value=0).astype("int64")
    estimates = [
        (int(populations[a]), "given")
        if populations and a in populations
        else population_and_boundaries(a, population_year)
        for a in totals.index
    ]
    table = pd.DataFrame({"count": totals, "population": [e[0] for e in estimates]}, index=totals.index)
    table["population_year"] = population_year
    table["population_boundaries"] = [e[1] for e in estimates]
    table["rate"] = per * table["count"] / table["population"]
    table.index.name = by
    table = table.reset_index()
    table.attrs = {
        "period": window.label,
        "per": per,
        "selection": str(selection),
        "excluded": {name: coverage.reason(counts, name, months, by=by) for name, months in missing.items()},
    }
    return table


def monthly_trend(
    counts: pd.DataFrame,
    *,
    by: str = "area_name",
    areas: Sequence[str] | None = None,
    selection: str | Sequence[str] = "total recorded crime",
) -> pd.DataFrame:
    """Monthly counts per area with the rolling 12-month total and the same month a year before.

    A covered month with no records counts as 0; a month the sources did not cover for the area
    (see :mod:`crimestats.coverage`) is missing, and so are the rolling total and the change on
    last year of every window that touches it. The rolling total is missing until 12 months of
    data exist, as is the same month last year.

    Returns
    -------
    pandas.DataFrame
        ``<by>, period_start, count, rolling_12m, same_month_last_year, change_on_last_year``.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_extract(cs.datasets.path("scenario-extract"), cs.datasets.path("scenario-extract-mapping"))
    >>> trend = cs.monthly_trend(counts, areas=["Wolverhampton"])
    >>> int(trend["rolling_12m"].iloc[-1])
    21225
    """
    counts = collect(counts)  # a Dask DataFrame is summed on its cluster first
    if (counts["period_months"] != 1).any():
        raise PeriodError("a monthly trend needs monthly counts (police.uk or an extract), not quarterly or annual")
    # The selection's and the areas' rows taken in one step (each take copies every column).
    wanted = resolve_selection(selection).mask(counts)
    if areas is not None:
        wanted &= counts[by].isin(areas)
    chosen = counts.loc[wanted]
    months = pd.date_range(counts["period_start"].min(), counts["period_start"].max(), freq="MS")
    names = list(areas) if areas is not None else sorted(chosen[by].dropna().unique())
    # Months not covered for an area are missing, never zero (coverage checked before the selection).
    missing = coverage.months_not_covered(counts, by=by, names=names, months=months)
    grid = pd.MultiIndex.from_product([names, months], names=[by, "period_start"])
    monthly = chosen.groupby([by, "period_start"])["count"].sum().reindex(grid, fill_value=0).astype("Int64")
    for name, gaps in missing.items():
        monthly.loc[[(name, month) for month in gaps]] = pd.NA
    table = monthly.rename("count").reset_index()
    grouped = table.groupby(by)["count"]
    # min_periods=12 on a float view: a window holding a missing month has no total.
    table["rolling_12m"] = (
        grouped.transform(lambda s: s.astype("float64").rolling(12, min_periods=12).sum()).round().astype("Int64")
    )
    table["same_month_last_year"] = grouped.shift(12).astype("Int64")
    table["change_on_last_year"] = table["count"] - table["same_month_last_year"]
    return table
