"""ONS "Crime in England and Wales" police force area tables (xlsx): P1 and P5.

Only police force areas are returned (plus British Transport Police, which has no area code).
The England and Wales, country and region rows are not data: they are recomputed from the
forces and compared with the published cells, and the comparison is put in
``attrs["reconciliation"]`` (any difference also in ``counts.quality`` and the log).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..areas import NATIONAL, force_names, forces_of_kind
from ..exceptions import SourceFormatError
from ..periods import FinancialYear
from ..sources import Probe, Source, register
from ..taxonomy import KNIFE_COLLECTION, P1Line, p1_lines
from ._common import finish

logger = logging.getLogger(__name__)


#: P1 column label (footnotes stripped, lower case) -> the leaf line it holds (``data/ons_lines.csv``).
P1_LEAVES: dict[str, P1Line] = {line.label: line for line in p1_lines() if line.leaf}

#: P1 aggregate columns and the leaves they are the sum of: checked, never returned as rows.
#: ("Victim-based crime" and "Other crimes against society" only span the header; they hold no cells.)
P1_AGGREGATES: dict[str, tuple[str, ...]] = {
    total.label: tuple(leaf.label for leaf in P1_LEAVES.values() if total.name in leaf.part_of)
    for total in p1_lines()
    if not total.leaf
}
#: The aggregate every leaf is part of: "total recorded crime (excluding fraud)".
_P1_TOTAL = next(label for label, parts in P1_AGGREGATES.items() if len(parts) == len(P1_LEAVES))

TABLES = ("P1", "P5")
# Footnote markers are digits written straight after a word: "WALES8", "burglary6,7", "fraud4)".
_FOOTNOTE = re.compile(r"(?<=[A-Za-z])\d+(?:,\d+)*")
_SPAN = re.compile(r"Apr\s*'?(\d{2})\s+to\s+Mar\s*'?(\d{2})", re.IGNORECASE)


def strip_footnote(label: object) -> str:
    """Remove trailing footnote digits from a table label ("ENGLAND AND WALES8" -> "ENGLAND AND WALES")."""
    text = re.sub(r"\s+", " ", str(label)).strip()
    return _FOOTNOTE.sub("", text).strip()


def read_ons_pfa(path: str | Path, table: str = "P1") -> pd.DataFrame:
    """Read an ONS police force area table into canonical counts.

    Parameters
    ----------
    path
        The ONS "police force area tables" workbook (xlsx).
    table
        "P1" (recorded crime by offence group, the year of the edition) or "P5" (knife or sharp
        instrument offences, a financial-year series).

    Returns
    -------
    pandas.DataFrame
        Canonical annual counts (``period_months == 12``), one row set per police force area
        and British Transport Police, ``source == "ons"``. P1 rows are the leaf reporting lines
        (aggregates such as "Violence against the person" are checked against their parts,
        never returned, so nothing is double counted). P5 rows have ``category == "Knife or
        sharp instrument offences"`` and ``knife == True``. ``attrs["reconciliation"]`` compares
        the published England and Wales, country and region totals with the sums of the forces.

    Raises
    ------
    SourceFormatError
        When the workbook has no such table, its header row cannot be found, or a cell that
        should hold a count does not.

    Examples
    --------
    >>> import crimestats as cs
    >>> p1 = cs.read_ons_pfa(cs.datasets.path("ons-pfa-2018"), "P1")
    >>> int(p1.loc[p1["force"] == "West Midlands", "count"].sum())
    233393
    """
    path = Path(path)
    table = table.upper().removeprefix("TABLE ").strip()
    if table not in TABLES:
        raise SourceFormatError(path, f"table {table!r} is not supported; crimestats reads {', '.join(TABLES)}")
    grid = _sheet(path, table)
    header = _find_header(grid, path, table)
    labels = _column_labels(grid, header)
    body = grid.iloc[header + 1 :]
    rows = _classify_rows(body, path, table)
    if table == "P1":
        values, wide = _p1(body, labels, rows, path, grid)
        period_of = None
    else:
        values, wide, period_of = _p5(body, labels, rows, path, header, grid)
    reconciliation = _reconcile(wide, rows)
    mismatches = reconciliation[reconciliation["difference"] != 0]
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
    counts = finish(
        values,
        path=path,
        source=SOURCE.name,
        rows_read=int((rows["level"] == "force").sum()),
        count_in=int(values["count"].sum()),
        problems={
            "table": table,
            "reconciliation_mismatches": len(mismatches),
            "hierarchy_mismatches": int(values.attrs.get("hierarchy_mismatches", 0)),
        },
    )
    counts.attrs["reconciliation"] = reconciliation
    counts.attrs["table"] = table
    if period_of is not None:
        counts.attrs["periods"] = period_of
    return counts


def _sheet(path: Path, table: str) -> pd.DataFrame:
    if not path.exists():
        raise SourceFormatError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise SourceFormatError(path, "file is empty")
    try:
        sheets = pd.ExcelFile(path, engine="openpyxl")
    except Exception as error:
        raise SourceFormatError(path, f"not a readable xlsx workbook: {error}") from error
    name = next((s for s in sheets.sheet_names if re.fullmatch(rf"(table\s*)?{table}", s.strip(), re.IGNORECASE)), None)
    if name is None:
        raise SourceFormatError(path, f"workbook has no table {table} (sheets: {sheets.sheet_names})")
    return pd.read_excel(sheets, sheet_name=name, header=None, dtype=object)


def _find_header(grid: pd.DataFrame, path: Path, table: str) -> int:
    for i in range(min(len(grid), 30)):
        first = str(grid.iat[i, 0]).strip().lower()
        if first.startswith("area code"):
            return i
    raise SourceFormatError(path, f"table {table}: no header row starting 'Area Code' in the first 30 rows")


def _column_labels(grid: pd.DataFrame, header: int) -> list[str]:
    """One label per column, from the header row or, where blank, the spanning label above it."""
    labels = []
    for j in range(grid.shape[1]):
        below, above = grid.iat[header, j], grid.iat[header - 1, j] if header else None
        label = below if pd.notna(below) else above
        labels.append(strip_footnote(label).lower() if pd.notna(label) else "")
    return labels


def _classify_rows(body: pd.DataFrame, path: Path, table: str) -> pd.DataFrame:
    """Level of each data row: total, country, region, force; footnotes and blanks end the table."""
    records = []
    region = None
    for index, row in body.iterrows():
        code, name = row.iloc[0], row.iloc[1]
        if pd.isna(name) or (pd.isna(code) and str(name).strip() == ""):
            if pd.notna(code) and str(code).startswith("Source"):
                break
            continue
        code = None if pd.isna(code) else str(code).strip()
        name = strip_footnote(name)
        if code is None and name not in forces_of_kind(NATIONAL):  # a national force has no area code
            break
        if code and code.startswith("K04"):
            level = "total"
        elif code and code[:3] in ("E92", "W92"):
            level = "country"
            if code.startswith("W92"):
                region = name
        elif code and code.startswith("E12"):
            level, region = "region", name
        else:
            level = "force"
        records.append(
            {"index": index, "code": code, "name": name, "level": level, "region": region, "sheet_row": int(index) + 1}
        )
    frame = pd.DataFrame(records)
    if frame.empty or not (frame["level"] == "force").any():
        raise SourceFormatError(path, f"table {table}: no police force area rows under the header")
    forces_ = frame["level"] == "force"
    canonical = force_names(frame.loc[forces_, "name"])
    unknown = frame.loc[forces_][canonical.isna()]
    if not unknown.empty:
        first = unknown.iloc[0]
        raise SourceFormatError(
            path, f"table {table}: unknown police force area {first['name']!r}", row=int(first["sheet_row"])
        )
    frame.loc[forces_, "force"] = canonical
    # A national force (BTP) counts in England and Wales but in no region or country.
    frame.loc[frame["force"].isin(forces_of_kind(NATIONAL)), "region"] = None
    return frame


def _cell_counts(body: pd.DataFrame, rows: pd.DataFrame, column: int, label: str, path: Path) -> pd.Series:
    values = body.loc[rows["index"], body.columns[column]]
    numbers = pd.to_numeric(values.replace({"-": pd.NA, "..": pd.NA}), errors="coerce")
    bad = numbers.isna() & values.notna() & ~values.isin(["-", ".."])
    if bad.any():
        first = bad[bad].index[0]
        raise SourceFormatError(path, f"{values.loc[first]!r} is not a count", row=int(first) + 1, column=label)
    return pd.Series(numbers.to_numpy(), index=rows.index, dtype="Float64")


def _p1(body, labels, rows, path, grid):
    wide = {}
    for j, label in enumerate(labels):
        if label in P1_LEAVES or label in P1_AGGREGATES:
            wide[label] = _cell_counts(body, rows, j, label, path)
    missing = [label for label in (*P1_LEAVES, *P1_AGGREGATES) if label not in wide]
    if missing:
        raise SourceFormatError(path, f"table P1: columns not found: {missing}; header has {labels}")
    wide = pd.DataFrame(wide)
    # Aggregates must equal the sum of their leaves in every row; a mismatch means a misread column.
    hierarchy = []
    for aggregate, parts in P1_AGGREGATES.items():
        diff = wide[aggregate] - wide[list(parts)].sum(axis=1)
        for i in diff.index[diff.fillna(0) != 0]:
            hierarchy.append((rows.at[i, "name"], aggregate, float(diff.at[i])))
    forces_ = rows["level"] == "force"
    period = FinancialYear.parse(_title_year(grid, path, "P1")).start
    records = []
    for label, line in P1_LEAVES.items():
        counts = wide.loc[forces_, label]
        for i, value in counts.items():
            if pd.isna(value):
                continue
            records.append(
                {
                    "period_start": period,
                    "period_months": 12,
                    "force": rows.at[i, "force"],
                    "category": line.category,
                    "offence_group": line.offence_group,
                    "offence_subgroup": line.offence_subgroup,
                    "count": int(value),
                }
            )
    values = _with_area_columns(pd.DataFrame(records))
    values.attrs["hierarchy_mismatches"] = len(hierarchy)
    for name, aggregate, diff in hierarchy:
        logger.warning("%s P1: %s %r differs from the sum of its parts by %s", path, name, aggregate, diff)
    return values, wide.rename(columns={_P1_TOTAL: "total"})


def _title_year(grid: pd.DataFrame, path: Path, table: str) -> str:
    """The edition's financial year, from the table title already read ("year ending March 18")."""
    title = str(grid.iat[0, 0])
    match = re.search(r"year ending March\s*(?:20)?(\d{2})", title, re.IGNORECASE)
    if not match:
        raise SourceFormatError(path, f"table {table}: cannot find 'year ending March YY' in the title {title!r}")
    end = 2000 + int(match.group(1))
    return f"{end - 1}/{end % 100:02d}"


def _p5(body, labels, rows, path, header, grid):
    spans = {}
    for j in range(grid.shape[1]):
        above = grid.iat[header - 1, j]
        below = str(grid.iat[header, j]).lower()
        match = _SPAN.search(str(above)) if pd.notna(above) else None
        if match and "number" in below:
            spans[j] = FinancialYear(2000 + int(match.group(1)))
    if not spans:
        raise SourceFormatError(path, "table P5: no 'Apr 'YY to Mar 'YY' columns of numbers found")
    wide = {}
    forces_ = rows["level"] == "force"
    records = []
    for j, year in spans.items():
        counts = _cell_counts(body, rows, j, labels[j], path)
        wide[year.label()] = counts
        for i, value in counts[forces_].items():
            if pd.isna(value):
                continue
            records.append(
                {
                    "period_start": year.start,
                    "period_months": 12,
                    "force": rows.at[i, "force"],
                    "category": KNIFE_COLLECTION,
                    "knife": True,
                    "count": int(value),
                }
            )
    values = _with_area_columns(pd.DataFrame(records))
    return values, pd.DataFrame(wide), [y.label() for y in spans.values()]


def _with_area_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame["area_code"] = pd.NA
    frame["area_name"] = pd.NA
    return frame


def _reconcile(wide: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Published totals of England and Wales, countries and regions vs the sums of their forces."""
    forces_ = rows["level"] == "force"
    national = rows.index[rows["force"].isin(forces_of_kind(NATIONAL))]
    english = forces_ & rows["code"].fillna("").str.startswith("E")
    welsh = forces_ & rows["code"].fillna("").str.startswith("W")
    records = []
    for i, row in rows[rows["level"] != "force"].iterrows():
        if row["level"] == "total":
            members = forces_
        elif row["level"] == "country":
            members = welsh if row["code"].startswith("W") else english
        else:
            members = forces_ & (rows["region"] == row["name"])
        for column in wide.columns:
            published = wide.at[i, column]
            recomputed = wide.loc[members[members].index, column].sum(min_count=1)
            if pd.isna(published) and pd.isna(recomputed):
                continue
            difference = (recomputed if pd.notna(recomputed) else 0) - (published if pd.notna(published) else 0)
            note = ""
            if difference and len(national) and difference == -wide.at[national[0], column]:
                note = f"published figure includes {rows.at[national[0], 'force']}"
            records.append(
                {
                    "level": row["level"],
                    "code": row["code"],
                    "name": row["name"],
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
    """Read ONS table P2: percentage change in recorded crime from the previous year, by force.

    This is not a counts table, so it is returned as its own tidy frame rather than canonical
    counts. Where P1 tabulates only the current year, P2's change lets the previous year's count
    be recovered: ``base = current / (1 + pct_change / 100)`` (see
    :func:`crimestats.metrics.changes_from_published`).

    Returns
    -------
    pandas.DataFrame
        ``level`` (total, country, region, force), ``code``, ``name``, ``force`` (canonical, for
        force rows), ``measure`` (column label, footnotes stripped, lower case) and ``pct_change``
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
    table = table.upper().removeprefix("TABLE ").strip()
    if table != "P2":
        raise SourceFormatError(path, f"table {table!r} is not a percentage-change table crimestats reads (P2)")
    grid = _sheet(path, table)
    header = _find_header(grid, path, table)
    labels = [re.sub(r"\s+", " ", label) for label in _column_labels(grid, header)]
    body = grid.iloc[header + 1 :]
    rows = _classify_rows(body, path, table)
    records = []
    for j, label in enumerate(labels):
        if j < 2 or not label:
            continue
        values = _cell_counts(body, rows, j, label, path)
        for i, value in values.items():
            records.append(
                {
                    "level": rows.at[i, "level"],
                    "code": rows.at[i, "code"],
                    "name": rows.at[i, "name"],
                    "force": rows.at[i, "force"] if "force" in rows else None,
                    "measure": label,
                    "pct_change": float(value) if pd.notna(value) else np.nan,
                }
            )
    return pd.DataFrame(records)


def _recognise(probe: Probe) -> float:
    """An xlsx workbook with a "Table P1" sheet: the ONS police force area tables."""
    return 1 if probe.is_spreadsheet and any(re.fullmatch(r"table\s*p1", s) for s in probe.sheets) else 0


SOURCE = register(
    Source(
        name="ons",
        label="ONS Crime in England and Wales",
        period_months=12,
        has_records=False,
        recognise=_recognise,
        read=read_ons_pfa,
        description="ONS police force area tables (xlsx with Table P1)",
    )
)
