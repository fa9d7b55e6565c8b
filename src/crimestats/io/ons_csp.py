"""ONS "Recorded crime data by Community Safety Partnership area" tables (xlsx): Tables C2, C3, ...

Each count table holds one 12-month window (the title's "year ending <Month> <year>"): a force
row, then its CSP rows (CSP and local authority codes) and an ``Unassigned <force>`` row (and,
for Greater Manchester, a ``Manchester Airport`` row): offences the force could not place in a
CSP. Returned:

- one row set per CSP, ``area_code`` the CSP code as the table publishes it (the table's
  vintage), ``area_name`` the registry's canonical name for the published name (an area the
  registry does not know keeps its published name and is reported in ``counts.quality`` under
  ``unknown["areas"]``); each code is checked against the registry (every vintage it holds) and
  a code it holds under another name is reported in ``details["area_code_conflicts"]``: the
  tables reuse codes across boundary changes, so the name decides;
- the ``Unassigned`` (and airport) rows as force-level counts with no area;
- the force rows only for reconciliation: CSPs + unassigned = force, per force, period and line,
  in ``attrs["reconciliation"]`` (ONS notes where they differ, e.g. Greater Manchester's
  offences allocated to two CSPs).

A ``[x]`` cell makes that CSP x period "not published" in ``counts.coverage``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from ..areas import AREA_VINTAGE, area_codes, force_names, local_authorities
from ..counts import make_coverage
from ..exceptions import SourceFormatError, UnknownAreaError
from ..source_kinds import ONS_CSP as SOURCE
from ..taxonomy import P1Line
from ._common import finish
from .ons_grid import (
    absent_lines,
    cell_coverage,
    clean_code,
    is_blank,
    label_key,
    line_for,
    parse_cells,
    read_sheet,
    sheet_names,
    strip_footnote,
    title_period,
    total_line,
)

logger = logging.getLogger(__name__)

#: The layout columns of a CSP table, by heading (vocabulary key) -> role.
LAYOUT = {
    "police force area code": "force_code",
    "police force area name": "force",
    "community safety partnership code": "csp_code",
    "community safety partnership name": "csp",
    "local authority code": "la_code",
    "local authority name": "la",
}
_HEADER_SEARCH_ROWS = 30
_UNASSIGNED = re.compile(r"^unassigned\b", re.IGNORECASE)
# Area vintages whose CSP codes the registry holds, newest first (codes are looked up in each).
_VINTAGES = ("2019", AREA_VINTAGE)


def read_ons_csp(path: str | Path, table: str | None = None) -> pd.DataFrame:
    """Read ONS recorded crime by Community Safety Partnership into canonical counts.

    Parameters
    ----------
    path
        The ONS CSP workbook (xlsx) with sheets ``Table C1`` .. ``Table C5``.
    table
        One count table ("C2", "C3"); by default every table of counts in the workbook (each
        one 12-month window, so a workbook with two years feeds ``compare_years``). Tables of
        percentage change, rates or local authority lists are not counts and are refused.

    Returns
    -------
    pandas.DataFrame
        Canonical annual counts at CSP level, ``source == "ons-csp"``, leaf offence lines only
        (the aggregate columns are checked against their parts). Unassigned rows are force-level
        (``area_name`` missing). ``attrs["reconciliation"]``: force, period_start, measure,
        published, recomputed (CSPs + unassigned), difference, n_csps, unassigned.

    Raises
    ------
    SourceFormatError
        When the workbook has no such table, a heading or row is not understood (naming the
        row and label), or a cell that should hold a count does not.

    Examples
    --------
    >>> import crimestats as cs
    >>> csp = cs.read_ons_csp("recorded-crime-by-csp-year-ending-december-2022.xlsx")  # doctest: +SKIP
    >>> trc = cs.select(csp[csp["period_start"] == "2022-01-01"], "total recorded crime")  # doctest: +SKIP
    >>> int(trc.loc[trc["area_name"] == "Wolverhampton", "count"].sum())  # doctest: +SKIP
    35271
    """
    path = Path(path)
    tables = _count_tables(path, table)
    frames, coverage, reconciliation = [], [], []
    rows_read = 0
    problems: dict[str, object] = {"unknown_areas": {}, "unassigned": {}, "unassigned_with_code": []}
    for name in tables:
        grid = read_sheet(path, name)
        values, cover, recon = _read_table(grid, path, name, problems)
        rows_read += int(recon.attrs.pop("rows", 0))
        frames.append(values)
        coverage += cover
        reconciliation.append(recon)
    values = pd.concat(frames, ignore_index=True)
    reconciliation_frame = pd.concat(reconciliation, ignore_index=True)
    mismatches = reconciliation_frame[reconciliation_frame["difference"].fillna(0) != 0]
    for row in mismatches[mismatches["measure"] == "total"].itertuples():
        logger.warning(
            "%s: %s %s: CSPs and unassigned sum to %s, force row published %s",
            path,
            row.force,
            f"{row.period_start:%Y-%m}",
            row.recomputed,
            row.published,
        )
    problems["tables"] = tables
    # Unassigned and airport rows: counted in their force, in no CSP (quality_report lists them).
    problems["rows_no_area"] = {"unassigned": sum(len(labels) for labels in problems["unassigned"].values())}
    problems["reconciliation_mismatches"] = len(mismatches)
    counts = finish(
        values,
        path=path,
        source=SOURCE.name,
        rows_read=rows_read,
        count_in=int(values["count"].sum()),
        problems=problems,
        area_by="area",
        coverage=make_coverage(coverage),
    )
    counts.attrs["reconciliation"] = reconciliation_frame
    counts.attrs["tables"] = tables
    return counts


def _count_tables(path: Path, table: str | None) -> list[str]:
    """The count tables to read: the one asked for, or every "Table Cn" whose title counts crimes."""
    if not path.exists():
        raise SourceFormatError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise SourceFormatError(path, "file is empty")
    names = [s for s in sheet_names(path) if re.fullmatch(r"table\s*c\d+", s.strip(), re.IGNORECASE)]
    wanted = names if table is None else [f"C{table.upper().removeprefix('TABLE').strip().removeprefix('C')}"]
    found = []
    for name in wanted:
        short = name.upper().removeprefix("TABLE").strip()
        title = str(read_sheet(path, short).iat[0, 0])
        if _is_count_title(title):
            found.append(short)
        elif table is not None:
            raise SourceFormatError(path, f"table {short} is not a table of counts ({title[:80]!r})")
    if not found:
        raise SourceFormatError(path, f"no CSP table of counts (sheets: {names})")
    return found


def _is_count_title(title: str) -> bool:
    text = title.lower()
    return "number of" in text and "rate" not in text and "percentage" not in text


def _header(grid: pd.DataFrame, path: Path, table: str) -> int:
    for i in range(min(len(grid), _HEADER_SEARCH_ROWS)):
        if label_key(grid.iat[i, 0]) == "police force area code":
            return i
    raise SourceFormatError(path, f"table {table}: no header row starting 'Police Force Area code'")


def _columns(
    grid: pd.DataFrame, header: int, path: Path, table: str
) -> tuple[dict[str, int], list[tuple[int, P1Line]]]:
    layout: dict[str, int] = {}
    lines: list[tuple[int, P1Line]] = []
    for j in range(grid.shape[1]):
        heading = grid.iat[header, j]
        if is_blank(heading):
            if any(not is_blank(v) for v in grid.iloc[header + 1 :, j]):
                raise SourceFormatError(path, f"table {table}: column {j + 1} holds figures but has no heading")
            continue
        key = label_key(heading)
        if key in LAYOUT:
            layout[LAYOUT[key]] = j
            continue
        line = line_for(heading)
        if line is None:
            raise SourceFormatError(
                path,
                f"table {table}: heading {' '.join(str(heading).split())!r} (column {j + 1}) is not an ONS offence "
                "line crimestats knows; add it to the variants in data/ons_lines.csv if it is a new spelling",
                row=header + 1,
            )
        lines.append((j, line))
    for role in ("force", "csp_code", "csp"):
        if role not in layout:
            raise SourceFormatError(path, f"table {table}: no {role.replace('_', ' ')} column in the header")
    absent_lines({line for _, line in lines}, path=path, table=table)
    return layout, lines


def _registry_names() -> dict[str, str]:
    """CSP code (any vintage the registry holds) -> CSP name."""
    names: dict[str, str] = {}
    for vintage in reversed(_VINTAGES):  # the newest vintage's name wins
        try:
            table = local_authorities(vintage)
        except UnknownAreaError:
            continue
        names.update(dict(zip(table["csp_code"], table["csp_name"], strict=True)))
    return names


def _read_table(
    grid: pd.DataFrame, path: Path, table: str, problems: dict
) -> tuple[pd.DataFrame, list[dict], pd.DataFrame]:
    header = _header(grid, path, table)
    period = title_period(grid.iat[0, 0], path=path, table=table)
    layout, lines = _columns(grid, header, path, table)
    rows = []
    for i in range(header + 1, len(grid)):
        figures = [grid.iat[i, j] for j, _ in lines if not is_blank(grid.iat[i, j])]
        force = grid.iat[i, layout["force"]]
        if not figures and is_blank(force):
            continue
        if is_blank(force):
            raise SourceFormatError(path, f"table {table}: figures with no police force area name", row=i + 1)
        csp, code = grid.iat[i, layout["csp"]], clean_code(grid.iat[i, layout["csp_code"]])
        label = " ".join(str(force).split()) if is_blank(csp) else " ".join(str(csp).split())
        if not figures:
            raise SourceFormatError(path, f"table {table}: row {label!r} has no figures", row=i + 1)
        if is_blank(csp) and code is None:
            kind = "force"
        elif _UNASSIGNED.match(str(csp).strip()) or code is None:
            kind = "unassigned"  # "Unassigned <force>", "Manchester Airport": the force's, in no CSP
            if code is not None:
                problems["unassigned_with_code"].append(f"{table} row {i + 1}: {label!r} carries code {code}")
        else:
            kind = "csp"
        rows.append({"index": i, "force_label": force, "kind": kind, "csp": label, "code": code, "sheet_row": i + 1})
    frame = pd.DataFrame(rows).set_index("index", drop=False)
    frame["force"] = force_names(frame["force_label"].map(strip_footnote))
    unknown = frame[frame["force"].isna()]
    if not unknown.empty:
        first = unknown.iloc[0]
        raise SourceFormatError(
            path, f"table {table}: unknown police force area {first['force_label']!r}", row=int(first["sheet_row"])
        )
    _resolve_areas(frame, problems)
    wide, unpublished = {}, {}
    for j, line in lines:
        values, marker = parse_cells(grid.iloc[frame.index, j], path=path, label=line.label)
        wide[line.name], unpublished[line.name] = values, marker
    wide_frame, unpublished_frame = pd.DataFrame(wide), pd.DataFrame(unpublished)
    problems["hierarchy_mismatches"] = problems.get("hierarchy_mismatches", 0) + _check_hierarchy(
        wide_frame, frame, lines, path, table
    )
    records, coverage = [], []
    leaves = [line for _, line in lines if line.leaf]
    for i, row in frame[frame["kind"] != "force"].iterrows():
        if row["kind"] == "unassigned":
            problems["unassigned"].setdefault(f"{row['force']} {period:%Y-%m}", []).append(row["csp"])
        else:
            missing = [line.label for line in leaves if unpublished_frame.at[i, line.name]]
            coverage.append(
                cell_coverage(
                    SOURCE.name,
                    row["force"],
                    period,
                    missing,
                    table,
                    area_code=row["area_code"],
                    area_name=row["area_name"],
                )
            )
        for line in leaves:
            value = wide_frame.at[i, line.name]
            if pd.isna(value):
                continue
            records.append(
                {
                    "period_start": period,
                    "period_months": 12,
                    "force": row["force"],
                    "area_code": row["area_code"] if row["kind"] == "csp" else pd.NA,
                    "area_name": row["area_name"] if row["kind"] == "csp" else pd.NA,
                    "category": line.category,
                    "offence_group": line.offence_group,
                    "offence_subgroup": line.offence_subgroup,
                    "count": int(value),
                }
            )
    reconciliation = _reconcile(wide_frame, frame, lines, period)
    reconciliation.attrs["rows"] = int((frame["kind"] != "force").sum())  # CSP and unassigned rows read
    return pd.DataFrame(records), coverage, reconciliation


def _resolve_areas(frame: pd.DataFrame, problems: dict) -> None:
    """Canonical CSP names by the published name; the published code is checked against the registry.

    The name decides, not the code: the tables reuse codes across boundary changes (the year
    ending December 2022 edition publishes West Northamptonshire under E22000235, East
    Northamptonshire's code, and the 2021 table under E22000097, Stroud's). A code the registry
    holds under another name is reported in ``area_code_conflicts``; a name the registry does not
    know keeps its published spelling and is reported under ``unknown["areas"]``.
    """
    by_code = _registry_names()
    csps = frame["kind"] == "csp"
    published = frame.loc[csps, "csp"].astype("string")
    canonical = area_codes(published)["area_name"]
    conflicts = problems.setdefault("area_code_conflicts", {})
    for index, name in published.items():
        code = frame.at[index, "code"]
        registered = by_code.get(code)
        resolved = canonical.at[index]
        if pd.isna(resolved):
            problems["unknown_areas"][str(name)] = problems["unknown_areas"].get(str(name), 0) + 1
        if registered is not None and registered != (name if pd.isna(resolved) else resolved):
            conflicts[f"{code} {name}"] = f"the registry's {code} is {registered}"
    frame["area_code"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["area_name"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame.loc[csps, "area_code"] = frame.loc[csps, "code"]
    frame.loc[csps, "area_name"] = canonical.fillna(published)


def _check_hierarchy(wide: pd.DataFrame, frame: pd.DataFrame, lines: list, path: Path, table: str) -> int:
    """Rows where an aggregate column is not the sum of its leaves (logged; the leaves are what is returned)."""
    leaves = [line for _, line in lines if line.leaf]
    found = 0
    for _, line in lines:
        if line.leaf:
            continue
        parts = [leaf.name for leaf in leaves if line.name in leaf.part_of]
        diff = wide[line.name] - wide[parts].sum(axis=1, min_count=1)
        for i in diff.index[diff.fillna(0) != 0]:
            found += 1
            logger.warning(
                "%s %s row %s %r: %r differs from the sum of its parts by %s",
                path,
                table,
                i + 1,
                frame.at[i, "csp"],
                line.label,
                diff.at[i],
            )
    return found


def _reconcile(wide: pd.DataFrame, frame: pd.DataFrame, lines: list, period: pd.Timestamp) -> pd.DataFrame:
    """Per force and line: the published force row vs its CSPs plus its unassigned rows."""
    records = []
    for i, row in frame[frame["kind"] == "force"].iterrows():
        members = frame[(frame["force"] == row["force"]) & (frame["kind"] != "force")]
        unassigned = members[members["kind"] == "unassigned"]
        for _, line in lines:
            published = wide.at[i, line.name]
            recomputed = wide.loc[members.index, line.name].sum(min_count=1)
            both = pd.notna(published) and pd.notna(recomputed)
            records.append(
                {
                    "force": row["force"],
                    "period_start": period,
                    "measure": "total" if line is total_line() else line.label,
                    "published": published,
                    "recomputed": recomputed,
                    "difference": recomputed - published if both else pd.NA,
                    "n_csps": int((members["kind"] == "csp").sum()),
                    "unassigned": wide.loc[unassigned.index, line.name].sum(min_count=1),
                }
            )
    return pd.DataFrame(records)
