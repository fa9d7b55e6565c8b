"""The snapshot's numbers, computed once: a findings table and the metric tables the charts draw.

Nothing here writes words or draws: :func:`compute_findings` is a pure function of the counts and
the question asked (area, year, peers, selections). Names are resolved on entry, so
``area="City of Wolverhampton"`` and ``area="wolverhampton"`` give the findings of
``"Wolverhampton"``, and the peer group is resolved once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..areas import area_name, force_name, peer_areas, regions
from ..boundaries import boundaries_of
from ..counts import attach, coverage_of, quality_of
from ..coverage import area_forces, coverage_table
from ..exceptions import PeriodError, PopulationError, SelectionError, UnknownAreaError, UnknownSelectionError
from ..metrics import PeriodLike, compare_years, contributions, monthly_trend, rates, window_rows
from ..peergroups import resolve_peer_group
from ..periods import FinancialYear, Window, check_in_data, data_months, resolve_period, rolling_12_months, to_window
from ..selections import Selection, resolve_selection, select
from ..significance import describe_change
from ..sources import label as source_label
from ..taxonomy import hidden_harm_codes
from .standing import standing_findings

logger = logging.getLogger(__name__)

SelectionLike = str | Selection
PeerGroups = Mapping[str, Sequence[str]] | str | Path | None

#: Columns of the findings table, in order (``findings.csv``).
COLUMNS = [
    "finding",
    "area",
    "base_period",
    "current_period",
    "selection",
    "base",
    "current",
    "change",
    "pct_change",
    "rank",
    "n_areas",
    "p_value",
    "significance",
    "share_of_change",
    "rate",
    "population",
    "population_year",
    "sentence",
    "note",
]
_CHANGE_NUMBERS = ("base", "current", "change", "pct_change", "rank", "n_areas", "p_value", "significance")
_PERIOD_COLUMNS = ("area", "base_period", "current_period")
_WHOLE_NUMBERS = ("base", "current", "change", "rank", "n_areas", "population", "population_year", "sentence")
#: How many parts the contributions sentence names.
CONTRIBUTORS_NAMED = 4
#: Flag selections reported beside the offence lines when they move with the net change.
FLAG_CONTRIBUTIONS = ("business crime",)


@dataclass(frozen=True)
class Findings:
    """What a snapshot says, as numbers: the findings table and the tables behind it.

    Attributes
    ----------
    area
        Canonical area name.
    peers
        The peer group as resolved: a force name, ``"region:<name>"``, or a list of area names.
    peer_areas
        The areas of the peer group.
    selections
        What is reported on, headline first (canonical selection names, or rules).
    base, current
        The two periods compared.
    sources
        The counts' sources (``police.uk``, ``home-office``...), for the charts' source line.
    table
        One row per number a sentence uses (the columns of :data:`COLUMNS`); ``sentence`` is the
        1-based number of the sentence that uses it.
    tables
        The metric tables: ``peers_<selection>`` (:func:`crimestats.compare_years` within the
        peers) per selection, ``contributions``, ``monthly_trend`` (when the counts are monthly)
        and ``categories``.
    """

    area: str
    peers: str | list[str]
    peer_areas: list[str]
    selections: tuple[SelectionLike, ...]
    base: Window
    current: Window
    sources: tuple[str, ...]
    table: pd.DataFrame
    tables: dict[str, pd.DataFrame]

    @property
    def headline(self) -> SelectionLike:
        """The first selection, which the contributions, rate and charts are about."""
        return self.selections[0]

    def peer_table(self, selection: SelectionLike) -> pd.DataFrame:
        """:func:`crimestats.compare_years` of ``selection`` across the peer group."""
        key = f"peers_{table_key(selection)}"
        if key not in self.tables:
            names = ", ".join(repr(selection_name(s)) for s in self.selections)
            raise UnknownSelectionError(f"the findings are about {names}, not {selection_name(selection)!r}")
        return self.tables[key]


def selection_name(selection: SelectionLike) -> str:
    """The name a selection goes by in findings and sentences."""
    return selection if isinstance(selection, str) else selection.name


def table_key(selection: SelectionLike) -> str:
    """A selection as part of a table or chart name: "knife or sharp ..." -> "knife_or_sharp_...".

    Examples
    --------
    >>> table_key("knife or sharp instrument offences")
    'knife_or_sharp_instrument_offences'
    """
    return "".join(c if c.isalnum() else "_" for c in selection_name(selection).lower()).strip("_")


def resolve_peers(
    peers: str | Sequence[str],
    *,
    level: str = "csp",
    peer_groups: PeerGroups = None,
    boundaries: str | int | None = None,
) -> tuple[str | list[str], list[str]]:
    """The canonical peer group and its areas, from any usual spelling.

    Named groups (``peer_groups``), comma-separated lists and force-level groups are resolved by
    :func:`crimestats.peergroups.resolve_peer_group`.

    Examples
    --------
    >>> resolve_peers("west midlands police")[0]
    'West Midlands'
    >>> resolve_peers(["city of wolverhampton", "Dudley"])
    (['Wolverhampton', 'Dudley'], ['Wolverhampton', 'Dudley'])
    """
    if level != "csp" or peer_groups is not None or (isinstance(peers, str) and "," in peers):
        return resolve_peer_group(peers, level=level, groups=peer_groups)
    if not isinstance(peers, str):
        names = peer_areas(list(peers))
        return names, names
    text = peers.strip()
    names = peer_areas(text, boundaries=boundaries)
    if text.lower().startswith("region:"):
        wanted = text.split(":", 1)[1].strip().lower()
        return f"region:{next(r for r in regions() if r.lower() == wanted)}", names
    return force_name(text), names


def resolve_selections(selections: SelectionLike | Sequence[SelectionLike]) -> tuple[SelectionLike, ...]:
    """Selections by their canonical names; one string is one selection, not a sequence of letters.

    Examples
    --------
    >>> resolve_selections("knife")
    ('knife or sharp instrument offences',)
    >>> resolve_selections(["Total recorded crime", "Vehicle offences"])
    ('total recorded crime', 'vehicle offences')
    """
    if isinstance(selections, (str, Selection)):
        selections = (selections,)
    resolved = tuple(resolve_selection(s).name if isinstance(s, str) else resolve_selection(s) for s in selections)
    if not resolved:
        raise SelectionError("no selection to report on: give at least one, e.g. 'total recorded crime'")
    return resolved


def previous_year(window: Window) -> Window:
    """The default comparison period: the period of equal length just before ``window``.

    A quarter is compared with the same quarter a year before (seasons differ).

    Examples
    --------
    >>> previous_year(to_window("2017/18")).label
    '2016/17'
    >>> previous_year(to_window("2017/18 Q3")).label
    'Q3 2016/17'
    >>> previous_year(to_window(("2017-10", "2018-03"))).label
    'Oct 2016 to Mar 2017'
    """
    if window.months == 3 and window.start.month in (1, 4, 7, 10):
        fy = FinancialYear.containing(window.start)
        return to_window(f"{fy.previous().label()} Q{(window.start.month - 4) % 12 // 3 + 1}")
    start = window.start - pd.DateOffset(months=window.months)
    if window.label.startswith("12 months to "):
        return rolling_12_months(window.start - pd.DateOffset(months=1))
    if window.months == 12 and window.start.month == 4:
        return to_window(FinancialYear(start.year))
    if window.months == 12 and window.start.month == 1:
        return to_window(str(start.year))
    if window.months == 12:
        return Window(start, window.start, f"12 months to {(window.start - pd.DateOffset(days=1)):%B %Y}")
    # Any other span: the same months a year before (seasons differ), labelled as its months.
    year_before = window.start - pd.DateOffset(years=1)
    last = year_before + pd.DateOffset(months=window.months - 1)
    return to_window((f"{year_before:%Y-%m}", f"{last:%Y-%m}"))


def resolve_periods(counts: pd.DataFrame, *, year: PeriodLike, base: PeriodLike | None) -> tuple[Window, Window]:
    """The current and comparison periods, "latest" resolved from the data and both checked against it.

    Raises
    ------
    PeriodError
        A period not in the data (the message names the years that exist), a comparison period
        of another length, or one that does not come before the current period.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> [w.label for w in resolve_periods(counts, year="latest", base=None)]
    ['2017/18', '2016/17']
    """
    # The periods the rows hold, found once: every check below reads only these.
    spans = counts[["period_start", "period_months"]].drop_duplicates()
    current = resolve_period(year, spans)
    base_window = resolve_period(base, spans) if base is not None else previous_year(current)
    if base_window.months != current.months:
        raise PeriodError(
            f"the comparison period {base_window.label} is {base_window.months} months long, "
            f"{current.label} is {current.months}: compare periods of the same length"
        )
    if base_window.end > current.start:
        raise PeriodError(f"the comparison period {base_window.label} must end before {current.label} starts")
    if base is None:
        check_in_data(base_window, data_months(spans), role=f"the comparison period for {current.label}, ")
    return current, base_window


def compute_findings(
    counts: pd.DataFrame,
    *,
    area: str,
    year: PeriodLike,
    peers: str | Sequence[str],
    selections: SelectionLike | Sequence[SelectionLike] = ("total recorded crime",),
    base: PeriodLike | None = None,
    level: str = "csp",
    peer_groups: PeerGroups = None,
) -> Findings:
    """Every number of a performance snapshot, computed once.

    Parameters are those of :func:`crimestats.performance_snapshot`.

    Returns
    -------
    Findings

    Raises
    ------
    UnknownAreaError
        The area or peer group is not known (the message suggests the closest names), or the area
        is not one of its peers.
    UnknownSelectionError, SelectionError, PeriodError
        A selection or year the counts cannot answer.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> found = compute_findings(counts, area="wolverhampton", year="2017/18", peers="West Midlands")
    >>> found.area, found.base.label
    ('Wolverhampton', '2016/17')
    >>> found.table.set_index("finding").loc["change", ["current", "rank"]].tolist()
    [21225, 2]
    """
    by = "force" if level == "force" else "area_name"
    area = force_name(area) if by == "force" else area_name(area)
    # CSP peers on the boundaries the counts are on (police.uk counts: the latest by default).
    boundaries = boundaries_of(counts["area_code"].unique()) if by == "area_name" else None  # skips missing codes
    peers, peer_names = resolve_peers(peers, level=level, peer_groups=peer_groups, boundaries=boundaries)
    if area not in peer_names:
        raise UnknownAreaError(f"{area!r} is not one of the peer areas of {peers!r}: {', '.join(peer_names)}")
    chosen = resolve_selections(selections)
    current, base_window = resolve_periods(counts, year=year, base=base)
    headline = chosen[0]

    rows: list[dict] = []
    tables: dict[str, pd.DataFrame] = {}
    for number, selection in enumerate(chosen, start=1):
        table = compare_years(
            counts, base=base_window, current=current, by=by, within=peer_names, selection=selection, area=area
        )
        table.attrs["within"] = peers  # the group as asked for, not its list of areas
        tables[f"peers_{table_key(selection)}"] = table
        numbers = table.set_index(by).loc[area, list(_CHANGE_NUMBERS)].to_dict()
        rows.append({"finding": "change", "selection": selection_name(selection), **numbers, "sentence": number})

    # The area's and its peers' rows, selected once: the findings below are about them alone
    # (each metric selects them again, from these rows instead of every row of a national store).
    peer_rows = counts[counts[by].isin(peer_names)]
    if coverage_of(counts) is None:
        # Coverage inferred from rows (a frame with no coverage table) must come from every row: a
        # force's other areas are what show it was covered in a month a peer area has no rows.
        peer_rows = attach(peer_rows, coverage=coverage_table(counts), quality=quality_of(counts))
    # Findings by local area name read the area's rows by name: with by="force" they are not all
    # among the peer forces' rows.
    area_rows = peer_rows if by == "area_name" else counts
    sentence = len(chosen) + 1
    parts = _contributions(peer_rows, area, base_window, current, headline, by=by)
    if parts is not None and parts.attrs["net_change"] != 0:
        tables["contributions"] = parts
        contributors = _contributors(parts, sentence)
        rows += contributors
        if contributors:
            net = parts.attrs["net_change"]
            rows += flag_contributions(area_rows, area, base_window, current, headline, net, sentence)
        sentence += bool(contributors)

    rates_rows = [r for s in chosen for r in _rates(peer_rows, area, peer_names, current, s, sentence, by=by)]
    rows += rates_rows
    sentence += bool(rates_rows)

    hidden = hidden_crimes(area_rows, area, base_window, current, sentence) if by == "area_name" else []
    rows += hidden
    sentence += bool(hidden)
    rows += standing_findings(
        peer_rows,
        area=area,
        by=by,
        peer_names=peer_names,
        base=base_window,
        current=current,
        selections=chosen,
        sentence=sentence,
        tables=tables,
    )

    trend = _monthly_trend(counts, peer_names, headline, by=by)
    if trend is not None:
        tables["monthly_trend"] = trend

    own = peer_rows[peer_rows[by] == area]
    by_category = compare_years(own, base=base_window, current=current, by="category", selection=headline)
    tables["categories"] = by_category[(by_category["base"] > 0) | (by_category["current"] > 0)]

    rows += coverage_findings(counts, area=area, window=current, headline=headline, tables=tables)

    return Findings(
        area=area,
        peers=peers,
        peer_areas=peer_names,
        selections=chosen,
        base=base_window,
        current=current,
        sources=tuple(sorted(counts["source"].dropna().unique())),
        table=_findings_table(rows, area, base_window, current),
        tables=tables,
    )


def coverage_findings(
    counts: pd.DataFrame, *, area: str, window: Window, headline: SelectionLike, tables: dict[str, pd.DataFrame]
) -> list[dict]:
    """What the snapshot covers and what it leaves out, as findings for its footnotes (no sentence number).

    - ``source``: each source used, with its first and last period;
    - ``excluded``: each peer area left out of a comparison, with the reason;
    - ``force total`` / ``not attributed``: of the crimes the area's force recorded in the current
      period, how many have no local area (no location recorded) or were located outside the
      force's own areas, so a reader knows what the area's figure does not count.
    """
    rows: list[dict] = []
    # Each source's months, from those two columns of its rows (not a copy of all of them).
    for source in sorted(counts["source"].dropna().unique()):
        part = counts.loc[counts["source"] == source, ["period_start", "period_months"]]
        first, last = part["period_start"].min(), part["period_start"].max()
        last_end = last + pd.DateOffset(months=int(part.loc[part["period_start"] == last, "period_months"].max()) - 1)
        rows.append(
            {
                "finding": "source",
                "selection": str(source),
                "note": f"{source_label(str(source))}: {first:%B %Y} to {last_end:%B %Y}",
            }
        )
    for name, table in tables.items():
        if not name.startswith("peers_"):
            continue
        for excluded, reason in table.attrs.get("excluded", {}).items():
            rows.append(
                {"finding": "excluded", "selection": table.attrs.get("selection"), "note": f"{excluded}: {reason}"}
            )
    own = counts.loc[counts["area_name"] == area, "force"].dropna()
    if own.empty:
        return rows
    force = str(own.iloc[0])
    scope = window_rows(select(counts[counts["force"] == force], headline), window)
    total = int(scope["count"].sum())
    named = sorted(scope["area_name"].dropna().unique())
    force_areas = {name for name, of in area_forces(counts, named).items() if of == force}
    no_area = int(scope.loc[scope["area_name"].isna(), "count"].sum())
    elsewhere = scope[scope["area_name"].notna() & ~scope["area_name"].isin(force_areas)]
    in_area = int(scope.loc[scope["area_name"] == area, "count"].sum())
    common = {"selection": selection_name(headline)}
    rows.append({"finding": "force total", "current": total, "note": force, **common})
    rows.append({"finding": "counted in area", "current": in_area, "note": area, **common})
    if no_area:
        rows.append({"finding": "not attributed", "current": no_area, "note": "no location recorded", **common})
    if len(elsewhere):
        places = ", ".join(sorted(elsewhere["area_name"].unique())[:3])
        more = "" if elsewhere["area_name"].nunique() <= 3 else ", ..."
        rows.append(
            {
                "finding": "not attributed",
                "current": int(elsewhere["count"].sum()),
                "note": f"located outside the force area ({places}{more})",
                **common,
            }
        )
    return rows


def _findings_table(rows: list[dict], area: str, base: Window, current: Window) -> pd.DataFrame:
    table = pd.DataFrame(rows).reindex(columns=[c for c in COLUMNS if c not in _PERIOD_COLUMNS])
    for column in _WHOLE_NUMBERS:
        table[column] = table[column].astype("Int64")
    table.insert(1, "area", area)
    table.insert(2, "base_period", base.label)
    table.insert(3, "current_period", current.label)
    return table


def _contributions(
    counts: pd.DataFrame, area: str, base: Window, current: Window, headline: SelectionLike, *, by: str = "area_name"
) -> pd.DataFrame | None:
    for level in ("ons_line", "category"):
        try:
            return contributions(counts, area=area, base=base, current=current, level=level, selection=headline, by=by)
        except SelectionError as error:
            logger.info("contributions by %s not possible: %s", level, error)
    return None


def _contributors(parts: pd.DataFrame, sentence: int) -> list[dict]:
    """The largest parts moving in the direction of the net change."""
    level = parts.columns[0]
    rising = parts.attrs["net_change"] > 0
    movers = parts[parts["change"] > 0] if rising else parts[parts["change"] < 0].iloc[::-1]
    return [
        {
            "finding": "contribution",
            "selection": str(row[level]),
            "base": row["base"],
            "current": row["current"],
            "change": row["change"],
            "share_of_change": row["share_of_change"],
            "sentence": sentence,
        }
        for _, row in movers.head(CONTRIBUTORS_NAMED).iterrows()
    ]


def flag_contributions(
    counts: pd.DataFrame,
    area: str,
    base: Window,
    current: Window,
    headline: SelectionLike,
    net_change: int,
    sentence: int,
) -> list[dict]:
    """Flag-based contributions (business crime) moving with the net change, beside the offence lines.

    A flagged offence is also in one of the offence lines, so its change is reported alongside them
    and never added to them: ``share_of_change`` is of the same net change, and the ``note`` says so.
    None when the counts do not carry the flag for the area.
    """
    own = counts[counts["area_name"] == area]
    rows = []
    for name in FLAG_CONTRIBUTIONS:
        flag = resolve_selection(name).flag
        if flag is None or flag not in own or own[flag].isna().all():
            logger.info("no %s contribution: the counts carry no %s flag", name, flag)
            continue
        chosen = select(select(own, headline), name)
        before = int(window_rows(chosen, base)["count"].sum())
        after = int(window_rows(chosen, current)["count"].sum())
        change = after - before
        if change == 0 or (change > 0) != (net_change > 0):
            continue
        rows.append(
            {
                "finding": "flag contribution",
                "selection": name,
                "base": before,
                "current": after,
                "change": change,
                "share_of_change": 100 * change / net_change,
                "sentence": sentence,
                "note": "flagged offences, also counted in the offence lines: not added to them",
            }
        )
    return rows


def hidden_crimes(counts: pd.DataFrame, area: str, base: Window, current: Window, sentence: int) -> list[dict]:
    """The area's traditionally hidden crimes (``taxonomy.hidden_harm_codes``) recorded in either period.

    One row per offence code with base, current, change and the exact Poisson test; none when the
    counts carry no offence codes (police.uk) or hold none of these offences.
    """
    own = counts[counts["area_name"] == area]
    if own["offence_code"].isna().all():
        logger.info("no hidden-crimes sentence: the counts carry no offence codes")
        return []
    codes = hidden_harm_codes()
    found = []
    for code, description in zip(codes["offence_code"], codes["offence_description"], strict=True):
        chosen = own[own["offence_code"] == code]
        before = int(window_rows(chosen, base)["count"].sum())
        after = int(window_rows(chosen, current)["count"].sum())
        if before or after:
            found.append({"selection": str(description), "offence_code": code, "base": before, "current": after})
    if not found:
        return []
    table = pd.DataFrame(found)
    table["change"] = table["current"] - table["base"]
    table["pct_change"] = 100 * table["change"] / table["base"].where(table["base"] != 0)
    table = table.join(describe_change(table["base"], table["current"]))
    return [
        {
            "finding": "hidden crime",
            "selection": row.selection,
            "base": row.base,
            "current": row.current,
            "change": row.change,
            "pct_change": row.pct_change,
            "p_value": row.p_value,
            "significance": row.significance,
            "sentence": sentence,
            "note": f"offence code {row.offence_code}",
        }
        for row in table.itertuples()
    ]


def _rates(
    counts: pd.DataFrame,
    area: str,
    peer_names: list[str],
    window: Window,
    headline: SelectionLike,
    sentence: int,
    *,
    by: str = "area_name",
) -> list[dict]:
    """The area's rate per 1,000 residents and its peer group's; none when populations are unknown."""
    # Only the area and its peers need a population: other areas in the counts must not matter.
    try:
        table = rates(counts[counts[by].isin(peer_names)], year=window, selection=headline, by=by)
    except (PopulationError, PeriodError, SelectionError) as error:
        logger.info("no rate of %s: %s", selection_name(headline), error)
        return []
    table = table.set_index(by)
    if area not in table.index:
        return []
    row = table.loc[area]
    present = [a for a in peer_names if a in table.index]
    peer_count, peer_population = table.loc[present, "count"].sum(), table.loc[present, "population"].sum()
    common = {"selection": selection_name(headline), "population_year": row["population_year"], "sentence": sentence}
    return [
        {"finding": "rate", "current": row["count"], "rate": row["rate"], "population": row["population"], **common},
        {
            "finding": "peer rate",
            "current": peer_count,
            "rate": 1000 * peer_count / peer_population,
            "population": peer_population,
            **common,
        },
    ]


def _monthly_trend(
    counts: pd.DataFrame, peer_names: list[str], headline: SelectionLike, *, by: str = "area_name"
) -> pd.DataFrame | None:
    monthly = counts[counts["period_months"] == 1]
    if monthly.empty or monthly["period_start"].nunique() < 12:
        logger.info("no trend chart: it needs at least 12 months of monthly counts")
        return None
    return monthly_trend(monthly, by=by, areas=peer_names, selection=headline)
