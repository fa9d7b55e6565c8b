"""ONS "Crime in England and Wales" police force area tables (xlsx), any edition: P1, P2 and P5.

Editions for years ending March, June, September and December are read alike: the period is the
12-month window the title names; headings are matched by the vocabulary of
``data/ons_lines.csv`` (:mod:`crimestats.io.ons_grid`); the header row is the one starting
"Area Code" and the table ends at its last row with figures (footnotes follow it).

Only police force areas are returned (plus British Transport Police, which has no area code).
The England and Wales, country and region rows, and "excluding" rows such as "England and Wales
(excluding Greater Manchester Police)", are aggregates: they are recomputed from the forces and
compared with the published cells in ``attrs["reconciliation"]`` (any difference also in
``counts.quality`` and the log). A cell written ``..`` or ``[x]`` makes that force x period "not
published" in ``counts.coverage``; it is never 0 and never dropped silently.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..areas import NATIONAL, force_name, force_names, forces_of_kind
from ..counts import NOT_PUBLISHED, make_coverage
from ..exceptions import SourceFormatError, UnknownAreaError
from ..periods import FinancialYear
from ..source_kinds import ONS as SOURCE
from ..taxonomy import KNIFE_COLLECTION, P1Line, p1_lines
from ._common import finish
from .ons_grid import (
    SPANNING_HEADINGS,
    absent_lines,
    cell_coverage,
    clean_code,
    is_blank,
    label_key,
    line_for,
    parse_cells,
    read_sheet,
    span,
    strip_footnote,
    title_period,
)

logger = logging.getLogger(__name__)

__all__ = ["read_ons_pfa", "read_ons_pfa_change", "strip_footnote"]

TABLES = ("P1", "P5")
#: The aggregate every leaf is part of: "total recorded crime (excluding fraud)", measure "total".
_TOTAL_LINE = next(
    total
    for total in p1_lines()
    if not total.leaf and all(total.name in leaf.part_of for leaf in p1_lines() if leaf.leaf)
)
#: Countries as an "excluding" row names them (it has no code), and the first letter of their codes.
_COUNTRY_LETTERS = {"england": "E", "wales": "W"}
_EXCLUDING = re.compile(r"^(?P<base>.+?)\s*\(\s*excluding\s+(?P<forces>.+?)\s*\)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Column:
    """One data column of a table: its sheet position, heading and what it holds."""

    index: int
    label: str
    kind: str  # "line" (P1/P2 offence line), "count" (P5 number), "share" (P5 %), "change" (P5 % change)
    line: P1Line | None = None
    start: pd.Timestamp | None = None
    months: int = 12
    measure: str = ""


def read_ons_pfa(path: str | Path, table: str = "P1") -> pd.DataFrame:
    """Read an ONS police force area table of any edition into canonical counts.

    Parameters
    ----------
    path
        The ONS "police force area tables" workbook (xlsx), year ending March, June, September
        or December.
    table
        "P1" (recorded crime by offence line, the 12 months the title names) or "P5" (knife or
        sharp instrument offences: every published span, financial and calendar years and
        rolling years alike).

    Returns
    -------
    pandas.DataFrame
        Canonical annual counts (``period_months == 12``), one row set per police force area
        and British Transport Police, ``source == "ons"``. P1 rows are the leaf lines
        (aggregate columns are checked against their parts, never returned, so nothing is
        double counted). P5 rows have ``category == "Knife or sharp instrument offences"`` and
        ``knife == True``; its "% involving a knife" columns are shares, not counts, and are
        listed in ``attrs["not_returned"]``; its "% change" columns are read by
        :func:`read_ons_pfa_change`. ``attrs["reconciliation"]`` compares every published
        aggregate (England and Wales, countries, regions, "excluding" rows) with the sum of
        its forces; ``attrs["period"]`` is the edition's 12-month window.

    Raises
    ------
    SourceFormatError
        When the workbook has no such table, its header or title cannot be read, a heading or
        row is not one the reader understands (naming the row and label), or a cell that should
        hold a count does not.

    Examples
    --------
    >>> import crimestats as cs
    >>> p1 = cs.read_ons_pfa(cs.datasets.path("ons-pfa-2018"), "P1")
    >>> int(p1.loc[p1["force"] == "West Midlands", "count"].sum())
    233393
    """
    path = Path(path)
    table = _table_name(table)
    if table not in TABLES:
        raise SourceFormatError(path, f"table {table!r} is not supported; crimestats reads {', '.join(TABLES)}")
    grid = read_sheet(path, table)
    header = _find_header(grid, path, table)
    edition = title_period(grid.iat[0, 0], path=path, table=table)
    columns = _p1_columns(grid, header, path) if table == "P1" else _p5_columns(grid, header, path)
    data = [c for c in columns if c.kind in ("line", "count")]
    rows = _classify_rows(grid, header, [c.index for c in columns], path, table)
    wide, unpublished = _wide(grid, rows, data, path)
    forces_ = rows["level"] == "force"
    records, coverage = [], []
    hierarchy = _hierarchy(wide, rows, data) if table == "P1" else []
    for period, group in _by_period(data, edition):
        for i in rows.index[forces_]:
            missing = [c.label for c in group if unpublished.at[i, c.measure]]
            coverage.append(cell_coverage(SOURCE.name, rows.at[i, "force"], period, missing, table))
            for column in group:
                value = wide.at[i, column.measure]
                if column.kind == "line" and not column.line.leaf:
                    continue
                if pd.isna(value):
                    continue
                records.append(_record(rows.at[i, "force"], period, column, int(value)))
    if not records:
        raise SourceFormatError(path, f"table {table}: no force has a published figure (every cell '..' or '[x]')")
    values = pd.DataFrame(records)
    values["area_code"] = pd.NA
    values["area_name"] = pd.NA
    reconciliation = _reconcile(wide, rows, unpublished)
    mismatches = reconciliation[reconciliation["difference"].fillna(0) != 0]
    for row in mismatches.itertuples():
        logger.warning(
            "%s %s: %s %s published %s, forces sum to %s",
            path,
            table,
            row.level,
            row.name,
            row.published,
            row.recomputed,
        )
    for name, aggregate, diff in hierarchy:
        logger.warning("%s P1: %s %r differs from the sum of its parts by %s", path, name, aggregate, diff)
    not_published = [c["force"] + " " + str(c["period_start"].date()) for c in coverage if c["status"] == NOT_PUBLISHED]
    counts = finish(
        values,
        path=path,
        source=SOURCE.name,
        rows_read=int(forces_.sum()),
        count_in=int(values["count"].sum()),
        problems={
            "table": table,
            "reconciliation_mismatches": len(mismatches),
            "hierarchy_mismatches": len(hierarchy),
            "not_published": not_published,
            "lines_absent": absent_lines({c.line for c in data}, path=path, table=table) if table == "P1" else {},
        },
        coverage=make_coverage(coverage),
    )
    counts.attrs["reconciliation"] = reconciliation
    counts.attrs["table"] = table
    counts.attrs["period"] = {"start": edition, "months": 12}
    if table == "P5":
        counts.attrs["periods"] = [c.measure for c in data]
        counts.attrs["not_returned"] = {
            c.measure: "share of selected offences involving a knife (a percentage, not a count)"
            for c in columns
            if c.kind == "share"
        }
    return counts


def _table_name(table: str) -> str:
    return table.upper().removeprefix("TABLE ").strip()


def _record(force: str, period: pd.Timestamp, column: _Column, value: int) -> dict:
    if column.kind == "line":
        line = column.line
        return {
            "period_start": period,
            "period_months": 12,
            "force": force,
            "category": line.category,
            "offence_group": line.offence_group,
            "offence_subgroup": line.offence_subgroup,
            "count": value,
        }
    return {
        "period_start": period,
        "period_months": 12,
        "force": force,
        "category": KNIFE_COLLECTION,
        "knife": True,
        "count": value,
    }


def _by_period(data: list[_Column], edition: pd.Timestamp) -> list[tuple[pd.Timestamp, list[_Column]]]:
    """Data columns grouped by the period they hold (P1: the edition's; P5: each span's)."""
    groups: dict[pd.Timestamp, list[_Column]] = {}
    for column in data:
        groups.setdefault(column.start if column.start is not None else edition, []).append(column)
    return list(groups.items())


def _find_header(grid: pd.DataFrame, path: Path, table: str) -> int:
    for i in range(min(len(grid), 30)):
        if str(grid.iat[i, 0]).strip().lower().startswith("area code"):
            return i
    raise SourceFormatError(path, f"table {table}: no header row starting 'Area Code' in the first 30 rows")


def _heading(grid: pd.DataFrame, header: int, j: int) -> tuple[str, str]:
    """(label on the header row, label of the row above, spanning from the left when blank)."""
    below = "" if is_blank(grid.iat[header, j]) else re.sub(r"\s+", " ", str(grid.iat[header, j])).strip()
    above = ""
    if header:
        for k in range(j, 1, -1):
            if not is_blank(grid.iat[header - 1, k]):
                above = re.sub(r"\s+", " ", str(grid.iat[header - 1, k])).strip()
                break
    return below, above


def _has_cells(grid: pd.DataFrame, header: int, j: int) -> bool:
    return any(not is_blank(v) for v in grid.iloc[header + 1 :, j])


def _p1_columns(grid: pd.DataFrame, header: int, path: Path, table: str = "P1") -> list[_Column]:
    """P1/P2 columns: each heading (or the heading spanning it from above) is an offence line."""
    columns = []
    for j in range(2, grid.shape[1]):
        below, above_here = grid.iat[header, j], grid.iat[header - 1, j] if header else None
        label = below if not is_blank(below) else above_here
        if is_blank(label):
            if _has_cells(grid, header, j):
                raise SourceFormatError(path, f"table {table}: column {j + 1} holds figures but has no heading")
            continue
        line = line_for(label)
        if line is None:
            if label_key(label) in SPANNING_HEADINGS and not _has_cells(grid, header, j):
                continue
            raise SourceFormatError(
                path,
                f"table {table}: heading {strip_footnote(label)!r} (column {j + 1}) is not an ONS offence line "
                "crimestats knows; add it to the variants in data/ons_lines.csv if it is a new spelling",
                row=header + 1,
            )
        measure = "total" if line is _TOTAL_LINE else line.label
        columns.append(_Column(j, strip_footnote(label), "line", line=line, measure=measure))
    absent_lines({c.line for c in columns}, path=path, table=table)
    return columns


def _span_label(start: pd.Timestamp, months: int) -> str:
    if start.month == 4:
        return FinancialYear(start.year).label()
    if start.month == 1:
        return str(start.year)
    end = start + pd.DateOffset(months=months - 1)
    return f"{start:%b %Y} to {end:%b %Y}"


def _p5_columns(grid: pd.DataFrame, header: int, path: Path) -> list[_Column]:
    """P5 columns: under each span heading a number and a share; then "% change ... compared with" spans."""
    columns = []
    for j in range(2, grid.shape[1]):
        below, above = _heading(grid, header, j)
        if not below and not _has_cells(grid, header, j):
            continue
        lower = below.lower()
        if above.lower().startswith("% change"):
            against = span(below)
            if against is None:
                raise SourceFormatError(
                    path, f"table P5: change column {j + 1} {below!r} names no span", row=header + 1
                )
            measure = f"{strip_footnote(above).rstrip(':')} {_span_label(*against)}"
            columns.append(_Column(j, below, "change", measure=measure))
            continue
        window = span(above)
        if window is None or not ("number" in lower or lower.startswith("%")):
            raise SourceFormatError(
                path, f"table P5: heading {below!r} under {above!r} (column {j + 1}) is not understood", row=header + 1
            )
        start, months = window
        if months != 12:
            raise SourceFormatError(path, f"table P5: span {above!r} is {months} months, not 12", row=header)
        kind = "count" if "number" in lower else "share"
        measure = _span_label(start, months) + ("" if kind == "count" else " % involving a knife")
        columns.append(_Column(j, strip_footnote(below), kind, start=start, months=months, measure=measure))
    if not any(c.kind == "count" for c in columns):
        raise SourceFormatError(path, "table P5: no span columns of numbers found")
    return columns


def _classify_rows(grid: pd.DataFrame, header: int, value_columns: list[int], path: Path, table: str) -> pd.DataFrame:
    """Every data row and its level (total, country, region, force), found by structure.

    A data row has a name and at least one figure. The table ends at the last such row:
    footnotes and source lines below it are not data. A named row with no figures before that,
    or figures with no name, is an error naming the row; so is a row that is neither a known
    aggregate nor a police force.
    """
    data, named_empty = [], []
    for i in range(header + 1, len(grid)):
        name = grid.iat[i, 1]
        figures = [grid.iat[i, j] for j in value_columns if not is_blank(grid.iat[i, j])]
        if not figures:
            if not is_blank(name):
                named_empty.append(i)
            continue
        if is_blank(name):
            if not data and all(isinstance(v, str) for v in figures):
                continue  # the units row under the header ("Numbers", "Percentage change")
            raise SourceFormatError(path, f"table {table}: figures with no area name", row=i + 1)
        data.append(i)
    if not data:
        raise SourceFormatError(path, f"table {table}: no rows of figures under the header", row=header + 1)
    stray = [i for i in named_empty if i < data[-1]]
    if stray:
        raise SourceFormatError(
            path, f"table {table}: row {grid.iat[stray[0], 1]!r} has a name but no figures", row=stray[0] + 1
        )
    records = []
    region = None
    for i in data:
        code = clean_code(grid.iat[i, 0])
        name = strip_footnote(grid.iat[i, 1])
        level, excluded = _level(code, name, path, table, i)
        if level == "region" or (level == "country" and code and code.startswith("W")):
            region = name
        base = _EXCLUDING.match(name)
        country = code[0] if code else _COUNTRY_LETTERS.get(label_key(base["base"]) if base else "", "")
        records.append(
            {
                "index": i,
                "code": code,
                "name": name,
                "level": level,
                "excluded": excluded,
                "region": region,
                "country": country,
                "sheet_row": i + 1,
            }
        )
    frame = pd.DataFrame(records).set_index("index", drop=False)
    forces_ = frame["level"] == "force"
    if not forces_.any():
        raise SourceFormatError(path, f"table {table}: no police force area rows under the header")
    frame["force"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame.loc[forces_, "force"] = force_names(frame.loc[forces_, "name"])
    # A national force (BTP) counts in England and Wales but in no region or country.
    frame.loc[frame["force"].isin(forces_of_kind(NATIONAL)), "region"] = None
    return frame


def _level(code: str | None, name: str, path: Path, table: str, i: int) -> tuple[str, tuple[str, ...]]:
    """The level of a data row from its code (or, without one, its name) and any forces it excludes."""
    excluding = _EXCLUDING.match(name)
    excluded: tuple[str, ...] = ()
    if excluding:
        try:
            excluded = tuple(force_name(f) for f in re.split(r"\s+and\s+(?=[A-Z])|,\s*", excluding["forces"]))
        except UnknownAreaError as error:
            raise SourceFormatError(path, f"table {table}: row {name!r}: {error}", row=i + 1) from error
        name = excluding["base"]
    if code:
        prefix = code[:3]
        if prefix == "K04":
            return "total", excluded
        if prefix in ("E92", "W92"):
            return "country", excluded
        if prefix == "E12":
            return "region", excluded
        if prefix in ("E23", "W15") and not excluded:
            if force_names(pd.Series([name])).isna().iloc[0]:
                raise SourceFormatError(path, f"table {table}: unknown police force area {name!r}", row=i + 1)
            return "force", ()
        raise SourceFormatError(
            path, f"table {table}: row {name!r} has an area code {code!r} crimestats does not know", row=i + 1
        )
    if excluded and label_key(name) == "england and wales":
        return "total", excluded
    if excluded and label_key(name) in _COUNTRY_LETTERS:
        return "country", excluded
    if not excluded and not force_names(pd.Series([name])).isna().iloc[0]:
        return "force", ()
    raise SourceFormatError(
        path,
        f"table {table}: row {name!r} has no area code and is neither a police force nor a known aggregate",
        row=i + 1,
    )


def _wide(grid: pd.DataFrame, rows: pd.DataFrame, data: list[_Column], path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figures (rows x measures) and a mask of the cells published as not available."""
    wide, unpublished = {}, {}
    for column in data:
        cells = grid.iloc[rows.index, column.index]
        values, marker = parse_cells(cells, path=path, label=column.label)
        wide[column.measure] = values
        unpublished[column.measure] = marker
    return pd.DataFrame(wide, index=rows.index), pd.DataFrame(unpublished, index=rows.index)


def _hierarchy(wide: pd.DataFrame, rows: pd.DataFrame, data: list[_Column]) -> list[tuple[str, str, float]]:
    """Aggregate lines must equal the sum of their leaves in every row; a mismatch means a misread column."""
    found = []
    for column in data:
        if column.line.leaf:
            continue
        parts = [c.measure for c in data if c.line.leaf and column.line.name in c.line.part_of]
        diff = wide[column.measure] - wide[parts].sum(axis=1, min_count=1)
        for i in diff.index[diff.fillna(0) != 0]:
            found.append((rows.at[i, "name"], column.line.label, float(diff.at[i])))
    return found


def _members(rows: pd.DataFrame, row: pd.Series) -> pd.Series:
    forces_ = rows["level"] == "force"
    if row["level"] == "total":
        members = forces_
    elif row["level"] == "country":
        members = forces_ & rows["code"].fillna("").str.startswith(row["country"])
    else:
        members = forces_ & (rows["region"] == row["name"])
    return members & ~rows["force"].isin(row["excluded"]).fillna(False)


def _reconcile(wide: pd.DataFrame, rows: pd.DataFrame, unpublished: pd.DataFrame) -> pd.DataFrame:
    """Every published aggregate (totals, countries, regions, "excluding" rows) vs the sum of its forces."""
    national = rows.index[rows["force"].isin(forces_of_kind(NATIONAL)).fillna(False)]
    records = []
    for i, row in rows[rows["level"] != "force"].iterrows():
        members = _members(rows, row)
        name = row["name"]
        for column in wide.columns:
            published = wide.at[i, column]
            member_index = members[members].index
            recomputed = wide.loc[member_index, column].sum(min_count=1)
            if pd.isna(published) and pd.isna(recomputed):
                continue
            gaps = rows.loc[member_index[unpublished.loc[member_index, column].to_numpy()], "force"].tolist()
            note = f"not published for {', '.join(gaps)}" if gaps else ""
            if pd.isna(published) or pd.isna(recomputed):
                difference = np.nan
                note = note or "published only on one side"
            else:
                difference = recomputed - published
                if difference and len(national) and difference == -wide.at[national[0], column]:
                    note = "published figure includes British Transport Police"
            records.append(
                {
                    "level": row["level"],
                    "code": row["code"],
                    "name": name,
                    "measure": column,
                    "published": published,
                    "recomputed": recomputed,
                    "difference": difference,
                    "n_forces": int(members.sum()),
                    "note": note,
                }
            )
    return pd.DataFrame(records)


def read_ons_pfa_change(path: str | Path, table: str = "P2") -> pd.DataFrame:
    """Read ONS percentage changes by force: table P2 (from the previous year) or P5's "% change" columns.

    This is not a counts table, so it is returned as its own tidy frame rather than canonical
    counts. Where P1 tabulates only the current year, P2's change lets the previous year's count
    be recovered: ``base = current / (1 + pct_change / 100)`` (see
    :func:`crimestats.metrics.changes_from_published`). Every force row is returned, British
    Transport Police included whatever its label's footnote (``British Transport Police(2006)``).

    Returns
    -------
    pandas.DataFrame
        ``level`` (total, country, region, force), ``code``, ``name``, ``force`` (canonical, for
        force rows), ``measure`` (the P1 line's label for P2, e.g. "total recorded crime
        (excluding fraud)"; "% change <window> compared with <span>" for P5) and ``pct_change``
        (missing where ONS shows "-": a base under 50, or not comparable).

    Examples
    --------
    >>> import crimestats as cs
    >>> p2 = cs.read_ons_pfa_change(cs.datasets.path("ons-pfa-2018"))
    >>> wm = p2[(p2["force"] == "West Midlands") & (p2["measure"] == "total recorded crime (excluding fraud)")]
    >>> round(float(wm["pct_change"].iloc[0]), 1)
    13.1
    """
    path = Path(path)
    table = _table_name(table)
    if table not in ("P2", "P5"):
        raise SourceFormatError(path, f"table {table!r} is not a percentage-change table crimestats reads (P2, P5)")
    grid = read_sheet(path, table)
    header = _find_header(grid, path, table)
    if table == "P2":
        columns = [
            _Column(c.index, c.label, c.kind, line=c.line, measure=c.line.label)
            for c in _p1_columns(grid, header, path, "P2")
        ]
        wanted = columns
    else:
        columns = _p5_columns(grid, header, path)
        wanted = [c for c in columns if c.kind == "change"]
    rows = _classify_rows(grid, header, [c.index for c in columns], path, table)
    records = []
    for column in wanted:
        values, _ = parse_cells(grid.iloc[rows.index, column.index], path=path, label=column.label, whole=False)
        for i, value in values.items():
            records.append(
                {
                    "level": rows.at[i, "level"],
                    "code": rows.at[i, "code"],
                    "name": rows.at[i, "name"],
                    "force": rows.at[i, "force"],
                    "measure": column.measure,
                    "pct_change": float(value) if pd.notna(value) else np.nan,
                }
            )
    return pd.DataFrame(records)
