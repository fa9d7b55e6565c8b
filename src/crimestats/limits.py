"""Peer control limits (iQuanta-style): whether an area's rate is inside the normal range of its peers.

For a peer group with rate ``R`` (the group's offences over the group's residents, per 1,000), an
area of population ``P`` would record ``lambda = R x P / 1000`` offences in a year if its true rate
were the group's. Its count is then Poisson(lambda), and the control limits at level ``q`` (95%
and 99.8%) are the ``(1 - q) / 2`` and ``(1 + q) / 2`` quantiles of that Poisson distribution,
divided by ``P / 1000``. The quantiles are interpolated between whole numbers as Spiegelhalter
(2005, "Funnel plots for comparing institutional performance", Statistics in Medicine 24) does,
so the limits drawn against population are smooth curves (the funnel) and the verdict is what the
chart shows:

- **above** the group: the area's rate is above the upper 95% limit for its population;
- **below**: under the lower 95% limit;
- **in line with**: between them.

A rate beyond the 99.8% limits is very unlikely to be chance (about 1 in 500 for an area whose
true rate is the group's); ``beyond_998`` says so. Recorded crime varies more than Poisson
between areas (deprivation, night-time economy, recording practice), so in a large group many
areas fall outside the 95% limits: read "above" as "worth a look", not as a failing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .exceptions import SelectionError
from .metrics import PeriodLike, rates

#: Control levels: the inner (verdict) and outer (warning) limits.
LEVELS = (0.95, 0.998)
ABOVE, IN_LINE, BELOW = "above", "in line with", "below"


def level_label(level: float) -> str:
    """A level as a column suffix: 0.95 -> "95", 0.998 -> "998".

    Examples
    --------
    >>> level_label(0.95), level_label(0.998)
    ('95', '998')
    """
    return f"{level * 100:g}".replace(".", "")


def poisson_limits(expected: np.ndarray | float, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits (as counts) around Poisson means ``expected``.

    The ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles, interpolated between whole
    numbers (Spiegelhalter 2005), so they rise smoothly with ``expected``.

    Examples
    --------
    >>> low, high = poisson_limits(100.0, 0.95)
    >>> round(float(low), 1), round(float(high), 1)
    (80.4, 119.6)
    """
    from scipy import stats  # here, not at the top: scipy.stats costs most of a second to import

    mean = np.asarray(expected, dtype="float64")
    limits = []
    for p in ((1 - level) / 2, (1 + level) / 2):
        quantile = stats.poisson.ppf(p, mean)
        above, below = stats.poisson.cdf(quantile, mean), stats.poisson.cdf(quantile - 1, mean)
        step = np.where(above > below, above - below, 1.0)
        limits.append(np.maximum(quantile - (above - p) / step, 0.0))
    return limits[0], limits[1]


def funnel_limits(
    peer_rate: float, populations: np.ndarray | Sequence[float], *, per: int = 1000, levels: Sequence[float] = LEVELS
) -> pd.DataFrame:
    """The control limits on rates for each population: the funnel's curves.

    Returns
    -------
    pandas.DataFrame
        ``population, expected`` (the peer rate) and ``lower_<level>, upper_<level>`` (rates
        per ``per``) for each level.

    Examples
    --------
    >>> curve = funnel_limits(80.0, [100_000, 400_000])
    >>> bool((curve["upper_95"].diff().dropna() < 0).all())  # the funnel narrows as populations grow
    True
    """
    population = np.asarray(populations, dtype="float64")
    exposure = population / per
    table = pd.DataFrame({"population": population, "expected": peer_rate})
    for level in levels:
        low, high = poisson_limits(peer_rate * exposure, level)
        table[f"lower_{level_label(level)}"] = low / exposure
        table[f"upper_{level_label(level)}"] = high / exposure
    return table


def peer_limits(
    counts: pd.DataFrame,
    *,
    year: PeriodLike,
    peers: Sequence[str],
    by: str = "area_name",
    selection: str | Sequence[str] = "total recorded crime",
    per: int = 1000,
    levels: Sequence[float] = LEVELS,
    populations: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Each peer's rate against the peer group's, with control limits and a verdict.

    Parameters
    ----------
    counts
        Canonical counts covering ``year`` for the peers.
    year
        The period ("2017/18").
    peers
        The areas (or forces, with ``by="force"``) of the group, e.g. ``cs.peer_areas("West Midlands")``.
    by
        "area_name" or "force".
    selection
        What is counted.
    per
        Residents per rate unit (1,000).
    levels
        Control levels; the first gives the verdict (default 95% and 99.8%).
    populations
        Populations by name; default the mid-year estimates (:func:`crimestats.rates`).

    Returns
    -------
    pandas.DataFrame
        One row per peer: ``<by>, count, population, population_year, rate, peer_rate, expected``
        (offences at the group's rate), ``lower_<level>, upper_<level>`` (rates), ``verdict``
        ("above", "in line with", "below" at the first level) and ``beyond_<last level>``.
        ``attrs``: ``peer_rate, peer_count, peer_population, per, levels, period, selection``.

    Raises
    ------
    SelectionError
        When no peer is left to compare.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> table = peer_limits(counts, year="2017/18", peers=cs.peer_areas("West Midlands"))
    >>> table.set_index("area_name").loc[["Wolverhampton", "Sandwell", "Dudley"], "verdict"].tolist()
    ['in line with', 'above', 'below']
    """
    scope = counts[counts[by].isin(list(peers))]
    table = rates(scope, year=year, per=per, by=by, selection=selection, populations=populations)
    if table.empty:
        raise SelectionError(f"no peer of {list(peers)} has counts to compare")
    peer_count, peer_population = int(table["count"].sum()), int(table["population"].sum())
    peer_rate = per * peer_count / peer_population
    table["peer_rate"] = peer_rate
    table["expected"] = peer_rate * table["population"] / per
    curve = funnel_limits(peer_rate, table["population"], per=per, levels=levels)
    for column in curve.columns[2:]:
        table[column] = curve[column].to_numpy()
    inner, outer = level_label(levels[0]), level_label(levels[-1])
    table["verdict"] = np.select(
        [table["rate"] > table[f"upper_{inner}"], table["rate"] < table[f"lower_{inner}"]], [ABOVE, BELOW], IN_LINE
    )
    table[f"beyond_{outer}"] = (table["rate"] > table[f"upper_{outer}"]) | (table["rate"] < table[f"lower_{outer}"])
    table.attrs = {
        **table.attrs,
        "peer_rate": peer_rate,
        "peer_count": peer_count,
        "peer_population": peer_population,
        "levels": tuple(levels),
        "by": by,
    }
    return table
