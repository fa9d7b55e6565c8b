"""Monthly process control: whether a month is unusual for an area.

A c-chart (counts of events in equal periods) with exact Poisson limits, widened for over-dispersion:

- **baseline**: a stated run of months (default the 12 months before the months assessed) gives the
  expected level, the centre line ``c`` = the baseline's mean monthly count;
- **limits**: the ``alpha / 2`` and ``1 - alpha / 2`` quantiles of Poisson(``c``) (default
  ``alpha`` = 0.002: 99.8% limits, the counterpart of the usual 3-sigma limits). Crime counts usually
  vary more than Poisson month to month; Laney's (2002) dispersion ``phi`` from the baseline's moving
  ranges, ``phi = (mean |z_i - z_(i-1)| / 1.128) ** 2`` with ``z = (count - c) / sqrt(c)``, widens the
  limits' distance from the centre by ``sqrt(max(phi, 1))``; they are never narrowed;
- **flags**: a month above the upper limit is "above the expected range", below the lower limit
  "below the expected range"; a **run** of ``run_length`` (7) or more consecutive assessed months on
  one side of the centre line is a sustained shift ("run above" / "run below").

Stated false-alarm rates when nothing changed (Poisson counts at the baseline's level): at most
``alpha`` (0.2%) of assessed months outside the limits if the centre were known, a little more as it
is estimated from 12 months (bounded in ``tests/test_control.py``: under 0.4% of months over
thousands of simulated series); a run of 7 on one side somewhere in 12 assessed months happens in
about 1 year in 10 by chance (1 in 8 for series of 2 a month; the centre is itself estimated from
12 months), so a run is reported as
a shift worth checking, never as an exception.
Seasonality is not modelled: the same-month-last-year chart (:func:`same_month_last_year`) shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from .collect import collect
from .coverage import months_not_covered
from .exceptions import CrimestatsError, PeriodError, SelectionError
from .metrics import PeriodLike
from .periods import to_window
from .selections import resolve_selection

ALPHA = 0.002
RUN_LENGTH = 7
ABOVE, BELOW = "above the expected range", "below the expected range"
RUN_ABOVE, RUN_BELOW = "run above the expected level", "run below the expected level"
#: The constant d2 for moving ranges of two points: E|x1 - x2| = 1.128 sigma.
D2 = 1.128


def control_limits(
    baseline: np.ndarray, *, alpha: float = ALPHA
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centre, lower and upper limits and dispersion from baseline counts (one series per row).

    Parameters
    ----------
    baseline
        Monthly counts, shape ``(months,)`` or ``(series, months)``.
    alpha
        Two-sided false-alarm probability per month for Poisson counts at the centre.

    Returns
    -------
    tuple of numpy.ndarray
        ``centre, lower, upper, dispersion`` (one value per series).

    Examples
    --------
    >>> centre, lower, upper, phi = control_limits(np.array([100] * 12))
    >>> float(centre[0]), float(lower[0]), float(upper[0]), float(phi[0])
    (100.0, 71.0, 132.0, 0.0)
    """
    counts = np.atleast_2d(np.asarray(baseline, dtype="float64"))
    if counts.shape[1] < 2:
        raise PeriodError("a control chart needs at least 2 baseline months")
    centre = counts.mean(axis=1)
    safe = np.where(centre > 0, centre, 1.0)
    z = (counts - centre[:, None]) / np.sqrt(safe)[:, None]
    dispersion = (np.abs(np.diff(z, axis=1)).mean(axis=1) / D2) ** 2
    widen = np.sqrt(np.maximum(dispersion, 1.0))
    from scipy import stats  # here, not at the top: scipy.stats costs most of a second to import

    low_q = stats.poisson.ppf(alpha / 2, centre)
    high_q = stats.poisson.ppf(1 - alpha / 2, centre)
    lower = np.maximum(centre - (centre - low_q) * widen, 0.0)
    upper = centre + (high_q - centre) * widen
    return centre, lower, upper, dispersion


def flag_months(
    counts: np.ndarray, centre: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, run_length: int = RUN_LENGTH
) -> tuple[np.ndarray, np.ndarray]:
    """Which assessed months are outside the limits (+1 above, -1 below, 0) and in a run (+1/-1/0).

    ``counts`` has shape ``(months,)`` or ``(series, months)``; the limits one value per series.

    Examples
    --------
    >>> outside, run = flag_months(np.array([10, 50, 10]), np.array([10.0]), np.array([2.0]), np.array([20.0]))
    >>> outside.tolist(), run.tolist()
    ([[0, 1, 0]], [[0, 0, 0]])
    """
    values = np.atleast_2d(np.asarray(counts, dtype="float64"))
    outside = np.where(values > upper[:, None], 1, np.where(values < lower[:, None], -1, 0))
    side = np.sign(values - centre[:, None]).astype(int)
    # Number the stretches of equal side along each row, globally unique, then measure each stretch.
    breaks = np.ones_like(side, dtype=bool)
    breaks[:, 1:] = side[:, 1:] != side[:, :-1]
    stretch = np.cumsum(breaks.ravel()).reshape(side.shape)
    length = np.bincount(stretch.ravel())[stretch]
    run = np.where((length >= run_length) & (side != 0), side, 0)
    return outside, run


def control_chart(
    series: pd.Series,
    *,
    baseline: PeriodLike | None = None,
    alpha: float = ALPHA,
    run_length: int = RUN_LENGTH,
) -> pd.DataFrame:
    """Flag the months of a monthly series outside its expected range, and runs on one side.

    Parameters
    ----------
    series
        Monthly counts indexed by the month's first day (see :func:`monthly_series`).
    baseline
        The months that set the expected level and limits (a period: "2016/17", "2017",
        ("2016-04", "2017-03")); default the first 12 months. The months after it are assessed.
    alpha
        False-alarm probability per month under Poisson variation (0.002: 99.8% limits).
    run_length
        Consecutive assessed months on one side of the centre that make a run.

    Returns
    -------
    pandas.DataFrame
        One row per month: ``period_start, count, baseline`` (in the baseline), ``centre, lower,
        upper, outside`` (+1 above, -1 below, 0), ``run`` (+1/-1/0) and ``flag`` (the words, or
        empty). ``attrs``: ``baseline`` label, ``centre``, ``dispersion``, ``alpha``, ``run_length``.

    Raises
    ------
    PeriodError
        When the baseline has fewer than 2 months in the series, or no month follows it.

    Examples
    --------
    >>> months = pd.date_range("2016-04-01", periods=24, freq="MS")
    >>> counts = pd.Series([100] * 12 + [100, 180] + [100] * 10, index=months)
    >>> chart = control_chart(counts)
    >>> chart.loc[chart["flag"] != "", ["period_start", "flag"]].to_numpy().tolist()
    [[Timestamp('2017-05-01 00:00:00'), 'above the expected range']]
    """
    series = series.sort_index().astype("int64")
    months = pd.DatetimeIndex(series.index)
    if baseline is None:
        in_base = np.arange(len(series)) < 12
        label = f"{months[0]:%B %Y} to {months[min(11, len(months) - 1)]:%B %Y}"
    else:
        window = to_window(baseline)
        in_base = (months >= window.start) & (months < window.start + pd.DateOffset(months=window.months))
        label = window.label
    if in_base.sum() < 2 or not (~in_base).any():
        raise PeriodError(f"baseline {label}: needs at least 2 months in the series and months after it to assess")
    centre, lower, upper, dispersion = control_limits(series.to_numpy()[in_base], alpha=alpha)
    assessed = ~in_base & (months > months[in_base].max())
    outside, run = flag_months(series.to_numpy()[assessed], centre, lower, upper, run_length=run_length)
    table = pd.DataFrame({"period_start": months, "count": series.to_numpy(), "baseline": in_base})
    table["centre"], table["lower"], table["upper"] = centre[0], lower[0], upper[0]
    table["outside"] = 0
    table["run"] = 0
    table.loc[assessed, "outside"] = outside[0]
    table.loc[assessed, "run"] = run[0]
    words = {1: ABOVE, -1: BELOW}
    run_words = {1: RUN_ABOVE, -1: RUN_BELOW}
    table["flag"] = [words.get(o) or run_words.get(r, "") for o, r in zip(table["outside"], table["run"], strict=True)]
    table.attrs = {
        "baseline": label,
        "centre": float(centre[0]),
        "dispersion": float(dispersion[0]),
        "alpha": alpha,
        "run_length": run_length,
    }
    return table


def monthly_series(
    counts: pd.DataFrame, *, area: str, by: str = "area_name", selection: str | Sequence[str] = "total recorded crime"
) -> pd.Series:
    """An area's monthly counts of a selection, indexed by month (months with no rows count 0).

    Raises
    ------
    PeriodError
        When the counts are not monthly.
    SelectionError
        When the area has no counts.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_extract(cs.datasets.path("scenario-extract"), cs.datasets.path("scenario-extract-mapping"))
    >>> series = monthly_series(counts, area="Wolverhampton")
    >>> len(series), int(series.sum())
    (24, 39909)
    """
    ((_, series),) = _series_by_selection(counts, area=area, by=by, selections=[selection], skip=False)
    return series


def monthly_series_by_selection(
    counts: pd.DataFrame, *, area: str, by: str = "area_name", selections: Iterable[str]
) -> dict[str, pd.Series]:
    """:func:`monthly_series` of several selections at once (the months and coverage found once).

    Keyed by selection as given; a selection the counts cannot make (a flag their source does
    not carry, an unknown name) is left out.

    Raises
    ------
    PeriodError
        When the counts are not monthly.
    SelectionError
        When the area has no counts.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_extract(cs.datasets.path("scenario-extract"), cs.datasets.path("scenario-extract-mapping"))
    >>> series = monthly_series_by_selection(counts, area="Wolverhampton", selections=["Burglary", "Robbery"])
    >>> {name: len(values) for name, values in series.items()}
    {'Burglary': 24, 'Robbery': 24}
    """
    return dict(_series_by_selection(counts, area=area, by=by, selections=selections, skip=True))


def _series_by_selection(
    counts: pd.DataFrame, *, area: str, by: str, selections: Iterable[str | Sequence[str]], skip: bool
) -> Iterator[tuple[str | Sequence[str], pd.Series]]:
    """Each selection's monthly series of ``area``; with ``skip``, selections that raise are left out.

    Months run from the counts' first to last; a month with no rows of a selection counts 0 and
    a month the sources did not cover for the area is missing (as in :func:`~crimestats.metrics.monthly_trend`).
    """
    counts = collect(counts)  # a Dask DataFrame is summed on its cluster first
    of_area = (counts[by] == area).to_numpy(dtype=bool, na_value=False)
    if not of_area.any():
        raise SelectionError(f"no counts for {by} {area!r}")
    if (counts["period_months"] != 1).any():
        raise PeriodError("a monthly trend needs monthly counts (police.uk or an extract), not quarterly or annual")
    months = pd.date_range(counts["period_start"].min(), counts["period_start"].max(), freq="MS")
    gaps = months_not_covered(counts, by=by, names=[area], months=months).get(area, [])
    index = pd.DatetimeIndex(months, name="period_start", freq=None)
    uncovered = index.isin(gaps)
    position = months.get_indexer(counts["period_start"])  # -1: not a month start, in no month
    counted = counts["count"].to_numpy(dtype="float64")
    of_area &= position >= 0
    for selection in selections:
        try:
            chosen = resolve_selection(selection).mask(counts).to_numpy(dtype=bool) & of_area
        except CrimestatsError:
            if not skip:
                raise
            continue
        # Whole numbers summed as floats are exact far beyond any count of offences.
        sums = np.bincount(position[chosen], weights=counted[chosen], minlength=len(months)).astype("int64")
        values = pd.array(sums, dtype="Int64")
        values[uncovered] = pd.NA  # a month not covered is missing, never zero
        yield selection, pd.Series(values, index=index, name=area)


def same_month_last_year(series: pd.Series) -> pd.DataFrame:
    """Each month's count beside the same month a year before (the seasonal comparison).

    Returns
    -------
    pandas.DataFrame
        ``period_start, count, same_month_last_year, change, pct_change`` for months with a
        month a year before in the series.

    Examples
    --------
    >>> months = pd.date_range("2016-01-01", periods=13, freq="MS")
    >>> same_month_last_year(pd.Series(range(100, 113), index=months))[["count", "change"]].values.tolist()
    [[112, 12]]
    """
    series = series.sort_index()
    before = series.copy()
    before.index = pd.DatetimeIndex(before.index) + pd.DateOffset(years=1)
    table = pd.DataFrame({"count": series, "same_month_last_year": before.reindex(series.index)}).dropna()
    table["same_month_last_year"] = table["same_month_last_year"].astype("int64")
    table["change"] = table["count"] - table["same_month_last_year"]
    table["pct_change"] = (
        100 * table["change"] / table["same_month_last_year"].where(table["same_month_last_year"] != 0)
    )
    table.index.name = "period_start"
    return table.reset_index()
