"""Crime Severity Score (ONS method): offences weighted by harm, per resident.

ONS weights each Home Office offence code by the average number of days of custody its
offenders receive (non-custodial sentences converted to custody-equivalent days), and defines

    Crime Severity Score = sum over offences of (count x weight) / population

for an area and year (``per=1``, ONS's convention: "13.34" for England in 2017/18). The weights
ship as ``data/severity_weights.csv`` (provenance and edition: ``docs/severity.md``), one row per
Home Office code spelling, so the homicide row ONS writes as ``1, 4.1/2/10`` weighs the Home
Office's ``1/4.1/4.10/4.2`` as well as ``1``, ``4.1``, ``4.2`` and ``4.10``.

A code with no weight is never weighted 0: its count is reported (``unweighted_count`` and
``attrs["unweighted"]``) and left out of the score, and a warning is logged.

data.police.uk carries categories, not offence codes. For such rows (no ``offence_code``) the
score is an **approximation**: each category's weight is the count-weighted mean of its codes'
weights in the national offence mix of a stated year (default: England and Wales, 2017/18, from
the bundled Home Office table). Every result says which method it used (``method`` column).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from . import datasets
from .areas import TERRITORIAL, forces_of_kind
from .metrics import PeriodLike, rates, window_rows
from .periods import to_window
from .selections import select

logger = logging.getLogger(__name__)

#: Method labels, as results and the snapshot show them.
BY_CODE = "ONS weights by offence code"
APPROXIMATION = "approximation: category weights from the {mix} offence mix"
DEFAULT_MIX = "England and Wales 2017/18"


@cache
def _weights() -> pd.DataFrame:
    with resources.files("crimestats.data").joinpath("severity_weights.csv").open("rb") as handle:
        return pd.read_csv(handle, dtype={"offence_code": "string", "ons_code": "string", "ons_offence": "string"})


def severity_weights() -> pd.DataFrame:
    """The ONS Crime Severity Score weights per Home Office offence code (a fresh copy).

    Columns ``offence_code`` (Home Office spelling), ``ons_code`` (the code ONS writes),
    ``ons_offence`` and ``weight``.

    Examples
    --------
    >>> w = severity_weights().set_index("offence_code")
    >>> round(float(w.loc["1/4.1/4.10/4.2", "weight"]), 2), w.loc["4.10", "ons_code"]
    (7973.39, '1, 4.1/2/10')
    """
    return _weights().copy()


def category_weights(national: pd.DataFrame | None = None, *, mix: str | None = None) -> pd.DataFrame:
    """Weights per harmonised category: the mean code weight in a national offence mix.

    Parameters
    ----------
    national
        Counts by offence code of the mix (default: the bundled Home Office 2017/18 table, the
        43 territorial forces of England and Wales, all of total recorded crime).
    mix
        How the mix is named in labels (default "England and Wales 2017/18").

    Returns
    -------
    pandas.DataFrame
        ``category, weight, count`` (the mix's offences of the category); ``attrs["method"]`` is
        the approximation's label.

    Examples
    --------
    >>> table = category_weights().set_index("category")
    >>> bool(table.loc["Burglary", "weight"] > table.loc["Shoplifting", "weight"])
    True
    """
    if national is None:
        table = _default_category_weights().copy()
    else:
        table = _category_weights(national)
    table.attrs["method"] = APPROXIMATION.format(mix=mix or (DEFAULT_MIX if national is None else "given"))
    return table


@cache
def _default_category_weights() -> pd.DataFrame:
    from .io import read_home_office

    counts = read_home_office(datasets.path("home-office-pfa-2017-18"))
    return _category_weights(counts[counts["force"].isin(forces_of_kind(TERRITORIAL))])


def _category_weights(national: pd.DataFrame) -> pd.DataFrame:
    rows = select(national, "total recorded crime")
    rows = rows.merge(_weights()[["offence_code", "weight"]], on="offence_code", how="inner")
    rows = rows.assign(points=rows["count"] * rows["weight"])
    table = rows.groupby("category", observed=True)[["points", "count"]].sum()
    table = table[table["count"] > 0]
    table["weight"] = table["points"] / table["count"]
    return table.reset_index()[["category", "weight", "count"]]


def weigh(counts: pd.DataFrame, *, category_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row's weight and severity points (count x weight), and how it was weighted.

    Rows with an offence code take its ONS weight (``basis`` "code"); rows without one take their
    category's approximate weight (``basis`` "category"); rows with neither have no weight
    (``basis`` "none", ``weight`` and ``points`` missing), never 0.

    Examples
    --------
    >>> import crimestats as cs
    >>> street = cs.read_police_uk(cs.datasets.path("police-uk-city-of-london-2017-01"))
    >>> sorted(weigh(cs.select(street, "total recorded crime"))["basis"].unique())
    ['category']
    """
    code_weight = _weights().set_index("offence_code")["weight"]
    weights = counts["offence_code"].map(code_weight).astype("float64")
    basis = pd.Series(np.where(weights.notna(), "code", "none"), index=counts.index)
    no_code = counts["offence_code"].isna()
    if no_code.any():
        table = category_table if category_table is not None else category_weights()
        by_category = counts.loc[no_code, "category"].map(table.set_index("category")["weight"]).astype("float64")
        weights = weights.where(~no_code, by_category)
        basis = basis.where(~(no_code & by_category.reindex(counts.index).notna()), "category")
    return pd.DataFrame({"weight": weights, "points": counts["count"] * weights, "basis": basis}, index=counts.index)


def method_label(bases: Sequence[str] | pd.Series, category_table: pd.DataFrame | None = None) -> str:
    """The method named in results: by code, the approximation, or both (mixed sources)."""
    used = set(bases) - {"none"}
    given = category_table.attrs.get("method") if category_table is not None else None
    label = given or APPROXIMATION.format(mix=DEFAULT_MIX)
    if used == {"category"}:
        return label
    if used == {"code", "category"}:
        return f"{BY_CODE}; {label} where the source has no offence codes"
    return BY_CODE


def unweighted(counts: pd.DataFrame, weighed: pd.DataFrame) -> dict[str, int]:
    """Offences with no weight, by offence code (or category where there is no code)."""
    rows = counts[weighed["basis"] == "none"]
    keys = rows["offence_code"].astype("string").fillna(rows["category"].astype("string"))
    found = rows.groupby(keys)["count"].sum()
    return {str(key): int(value) for key, value in found.items() if value}


def severity(
    counts: pd.DataFrame,
    *,
    year: PeriodLike,
    by: str = "area_name",
    per: int = 1,
    selection: str | Sequence[str] = "total recorded crime",
    populations: Mapping[str, int] | int | None = None,
    category_table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Crime Severity Score per area (or force, or offence group within one area) for a year.

    Parameters
    ----------
    counts
        Canonical counts covering ``year``.
    year
        The period scored ("2017/18", "2018", "12m:2018-03").
    by
        Column to score by: "area_name", "force", or an offence column ("offence_group",
        "category"): filter ``counts`` to one area and pass its population as ``populations``;
        the groups' scores then add up to the area's.
    per
        Residents per score unit: 1 as ONS publishes it (13.34), 1000 for per 1,000.
    selection
        What is weighted (default total recorded crime, which excludes fraud as ONS's CSS does).
    populations
        Population per value of ``by``, or one population for every row (an area's offence
        groups); default the mid-year estimate (:func:`crimestats.rates`).
    category_table
        Category weights for rows with no offence code (default :func:`category_weights`).

    Returns
    -------
    pandas.DataFrame
        ``<by>, count, weighted_count, unweighted_count, severity_points, population,
        population_year, severity, method``. ``attrs["unweighted"]`` maps each code with no
        weight to its count (these are left out of the score, never weighted 0).

    Raises
    ------
    PopulationError
        When a population is not known.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> row = cs.severity(counts, year="2017/18").set_index("area_name").loc["Wolverhampton"]
    >>> int(row["population"]), row["method"], bool(row["severity"] > 0)
    (260648, 'ONS weights by offence code', True)
    """
    window = to_window(year)
    if isinstance(populations, int):  # one area's population for each of its offence groups
        populations = dict.fromkeys(counts[by].dropna().unique(), populations)
    table = rates(counts, year=window, per=per, by=by, selection=selection, populations=populations)
    rows = window_rows(select(counts, selection), window)
    weighed = weigh(rows, category_table=category_table)
    keys = rows[by]
    grouped = (
        pd.DataFrame(
            {
                "key": keys,
                "weighted_count": rows["count"].where(weighed["basis"] != "none", 0),
                "severity_points": weighed["points"].fillna(0.0),
            }
        )
        .groupby("key")[["weighted_count", "severity_points"]]
        .sum()
    )
    table = table.set_index(by)
    table["weighted_count"] = grouped["weighted_count"].reindex(table.index, fill_value=0).astype("int64")
    table["unweighted_count"] = table["count"] - table["weighted_count"]
    table["severity_points"] = grouped["severity_points"].reindex(table.index, fill_value=0.0)
    table["severity"] = per * table["severity_points"] / table["population"]
    table["method"] = method_label(weighed["basis"], category_table)
    missing = unweighted(rows, weighed)
    if missing:
        logger.warning("offences with no severity weight, left out of the score: %s", missing)
    table = table.reset_index()[
        [
            by,
            "count",
            "weighted_count",
            "unweighted_count",
            "severity_points",
            "population",
            "population_year",
            "severity",
            "method",
        ]
    ]
    table.attrs = {"period": window.label, "per": per, "selection": str(selection), "unweighted": missing}
    return table


def severity_totals(rows: pd.DataFrame, *, by: str, names: Sequence[str], population_year: int) -> pd.DataFrame:
    """Severity points, population and offences with no weight per area (for :func:`crimestats.compare_years`).

    Offences with no weight add no points and are counted in ``unweighted`` (and logged), so the
    score leaves them out visibly rather than weighting them 0 unseen.
    """
    from .areas import population

    weighed = weigh(rows)
    points = weighed["points"].fillna(0.0).groupby(rows[by]).sum().reindex(names, fill_value=0.0)
    no_weight = weighed["weight"].isna()
    unweighted = rows.loc[no_weight, "count"].groupby(rows.loc[no_weight, by]).sum().reindex(names, fill_value=0)
    if unweighted.sum():
        logger.warning("severity: %s offences have no weight and are left out of the score", int(unweighted.sum()))
    pops = pd.Series([population(name, population_year) for name in names], index=names, dtype="int64")
    return pd.DataFrame(
        {
            "points": points,
            "population": pops,
            "unweighted": unweighted.astype("int64"),
            "basis": method_label(weighed["basis"]),
        }
    )
