"""Where the area stands, as findings: harm (severity), place among its peers, exceptional months.

Three findings beside the counts' change, each computed once here and written into the findings
table (so every number a bullet uses is in ``findings.csv``):

- ``severity`` (with ``severity base``, ``peer severity``, ``severity unweighted``): the Crime
  Severity Score of total recorded crime in both years, its change and rank among the peers
  (:func:`crimestats.compare_years` with ``measure="severity"``); ``note`` names the method
  (ONS weights by code, or the police.uk approximation);
- ``peer position`` (with ``peer group rate`` and the ``lower/upper limit 95%/99.8%`` rows): the
  area's rate per 1,000 residents against the peer group's control limits
  (:func:`crimestats.limits.peer_limits`); ``note`` is the verdict;
- ``exceptional month`` (with ``expected level``, ``upper control limit``, ``lower control limit``,
  ``months assessed`` and ``months outside the limits``): months of the report year outside the
  control limits set by the base
  year (:func:`crimestats.control.control_chart`), for the headline selection and each category.

A peer group of one area makes no ranking or peer-position claims: those findings are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from ..control import ABOVE, control_chart, monthly_series_by_selection
from ..exceptions import CrimestatsError
from ..limits import level_label, peer_limits
from ..metrics import compare_years
from ..periods import Window
from ..severity import severity

logger = logging.getLogger(__name__)

#: The selection the severity score is computed on (the ONS CSS covers all police recorded crime but fraud).
SEVERITY_SELECTION = "total recorded crime"
SEVERITY = "crime severity score"
#: A category's series is checked for exceptional months only when it averages this many a month.
MIN_MONTHLY = 5
#: Most series an exceptional-months sentence names.
SERIES_NAMED = 3


def standing_findings(
    counts: pd.DataFrame,
    *,
    area: str,
    by: str,
    peer_names: list[str],
    base: Window,
    current: Window,
    selections: Sequence,
    sentence: int,
    tables: dict[str, pd.DataFrame],
) -> list[dict]:
    """Severity, peer-position and exceptional-month findings, numbered from ``sentence`` on.

    Adds the tables behind them to ``tables``: ``severity``, ``peer_limits``, ``control_<series>``
    and ``same_month_<series>``.
    """
    from .findings import selection_name

    headline = selection_name(selections[0])
    rows: list[dict] = []
    for make in (_severity_rows, _peer_position_rows, _exceptional_month_rows):
        try:
            found = make(
                counts,
                area=area,
                by=by,
                peer_names=peer_names,
                base=base,
                current=current,
                headline=headline,
                tables=tables,
            )
        except CrimestatsError as error:
            logger.info("%s left out: %s", make.__name__.strip("_").replace("_", " "), error)
            continue
        if found:
            rows += [{**row, "sentence": sentence} for row in found]
            sentence += 1
    return rows


def _severity_rows(counts, *, area, by, peer_names, base, current, headline, tables) -> list[dict]:
    scope = counts[counts[by].isin(peer_names)]
    table = compare_years(
        scope,
        base=base,
        current=current,
        by=by,
        within=peer_names,
        area=area,
        selection=SEVERITY_SELECTION,
        measure="severity",
    )
    tables["severity"] = table
    row = table.set_index(by).loc[area]
    own = severity(scope[scope[by] == area], year=current, by=by)
    own_base = severity(scope[scope[by] == area], year=base, by=by)
    common = {"selection": SEVERITY, "note": own["method"].iloc[0]}
    ranked = len(peer_names) > 1
    rows = [
        {
            "finding": "severity",
            "rate": row["current"],
            "change": None,
            "pct_change": row["pct_change"],
            "rank": row["rank"] if ranked else None,
            "n_areas": row["n_areas"] if ranked else None,
            "population": own["population"].iloc[0],
            "population_year": own["population_year"].iloc[0],
            **common,
        },
        {
            "finding": "severity base",
            "rate": row["base"],
            "population": own_base["population"].iloc[0],
            "population_year": own_base["population_year"].iloc[0],
            **common,
        },
    ]
    if ranked:
        rows.append(
            {"finding": "peer severity", "rate": row["peer_current"], "pct_change": row["peer_pct_change"], **common}
        )
    for code, number in own.attrs["unweighted"].items():
        rows.append({"finding": "severity unweighted", "selection": code, "current": number, "note": common["note"]})
    return rows


def _peer_position_rows(counts, *, area, by, peer_names, base, current, headline, tables) -> list[dict]:
    if len(peer_names) < 2:
        return []
    table = peer_limits(counts, year=current, peers=peer_names, by=by, selection=headline)
    tables["peer_limits"] = table
    row = table.set_index(by).loc[area]
    common = {"selection": headline}
    rows = [
        {
            "finding": "peer position",
            "current": row["count"],
            "rate": row["rate"],
            "population": row["population"],
            "population_year": row["population_year"],
            "note": row["verdict"],
            **common,
        },
        {
            "finding": "peer group rate",
            "current": table.attrs["peer_count"],
            "rate": table.attrs["peer_rate"],
            "population": table.attrs["peer_population"],
            **common,
        },
    ]
    for level in table.attrs["levels"]:
        suffix = level_label(level)
        beyond = f"beyond_{suffix}"
        for side in ("lower", "upper"):
            rows.append(
                {
                    "finding": f"{side} limit {level * 100:g}%",
                    "rate": row[f"{side}_{suffix}"],
                    "note": ("outside" if row.get(beyond, False) else None),
                    **common,
                }
            )
    return rows


def _exceptional_month_rows(counts, *, area, by, peer_names, base, current, headline, tables) -> list[dict]:
    own = counts[(counts[by] == area) & (counts["period_months"] == 1)]
    if own.empty:
        return []
    start, end = base.start, current.start + pd.DateOffset(months=current.months)
    own = own[(own["period_start"] >= start) & (own["period_start"] < end)]
    if own["period_start"].nunique() < base.months + current.months:
        logger.info("no control chart: the monthly counts do not cover both years")
        return []
    candidates = [headline, *sorted(own["category"].dropna().unique())]
    found = []
    for series_name, series in monthly_series_by_selection(own, area=area, by=by, selections=candidates).items():
        if series.mean() < MIN_MONTHLY:
            continue
        chart = control_chart(series, baseline=base)
        key = series_key(series_name)
        tables[f"control_{key}"] = chart
        flagged = chart[(chart["outside"] != 0) & (chart["period_start"] >= current.start)]
        if flagged.empty and series_name != headline:
            del tables[f"control_{key}"]
            continue
        if not flagged.empty:
            found.append((series_name, chart, flagged))
    rows = []
    for series_name, chart, flagged in found[:SERIES_NAMED]:
        common = {"selection": series_name}
        assessed = int((chart["period_start"] >= current.start).sum())
        rows.append({"finding": "months assessed", "current": assessed, **common})
        rows.append({"finding": "months outside the limits", "current": len(flagged), **common})
        rows.append(
            {"finding": "expected level", "rate": chart.attrs["centre"], "note": chart.attrs["baseline"], **common}
        )
        directions = set(flagged["outside"])
        if 1 in directions:
            rows.append({"finding": "upper control limit", "rate": chart["upper"].iloc[0], **common})
        if -1 in directions:
            rows.append({"finding": "lower control limit", "rate": chart["lower"].iloc[0], **common})
        for month in flagged.itertuples():
            rows.append(
                {
                    "finding": "exceptional month",
                    "current": month.count,
                    "note": f"{month.period_start:%B %Y}",
                    "significance": month.flag,
                    **common,
                }
            )
    return rows


def series_key(name: str) -> str:
    """A series name as part of a table name: "Vehicle crime" -> "vehicle_crime"."""
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def is_above(flag: str) -> bool:
    """Whether an exceptional month's flag is above (rather than below) the expected range."""
    return flag == ABOVE
