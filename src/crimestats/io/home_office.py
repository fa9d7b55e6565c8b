"""Home Office police recorded crime open data tables (force or CSP level; CSV, xlsx or ods)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..areas import FRAUD_BODY, area_codes, force_names, forces_of_kind
from ..exceptions import SourceFormatError
from ..periods import FinancialYear
from ..source_kinds import HOME_OFFICE as SOURCE
from ..taxonomy import classify_codes
from ._common import _key, finish, match_columns, parse_counts, read_text_csv
from .layouts import HOME_OFFICE_COLUMNS
from .structure import load_csv

logger = logging.getLogger(__name__)

#: Canonical variable -> the column names the Home Office has used for it across editions.
VARIABLE_MAP = HOME_OFFICE_COLUMNS  # the publisher's column names, in layouts.py beside the recogniser
_OPTIONAL = ("area", "offence_description", "offence_group", "offence_subgroup")
_HEADER_SEARCH_ROWS = 30


def read_home_office(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a Home Office police recorded crime open data table into canonical counts.

    Parameters
    ----------
    path
        A CSV, xlsx or ods file at police force area (``Force Name``/``Police Force``) or CSP
        (``CSP Name``) level. Spreadsheets may hold one sheet per year: every sheet with the
        table's columns is read; other sheets (notes, contents) are skipped.
    sheet
        Read only this sheet of a workbook (needed when two sheets hold the same rows).

    Returns
    -------
    pandas.DataFrame
        Canonical counts with quarterly periods (``period_months == 3``), ``source ==
        "home-office"``. Fraud bodies (Action Fraud, CIFAS, UK Finance, Financial Fraud Action
        UK) are kept as ``category == "Fraud"``, outside total recorded crime. ``counts.quality``
        reports unknown offence codes (counted as ``Unclassified``), unknown forces and areas.

    Raises
    ------
    SourceFormatError
        For an empty file, missing or renamed columns, a non-numeric count (with its row), a bad
        financial year or quarter, or a spreadsheet with no sheet holding the table; for a CSV
        row whose field count is not the header's, a cut last line, NUL bytes or an unclosed
        quote; for a row repeating another's year, quarter, force, area and offence code (a
        published table lists each once; the combined homicide code ``1/4.1/4.10/4.2`` once per
        code it combines); and for two sheets holding the same rows, unless ``sheet`` picks one.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("home-office-pfa-2017-18"))
    >>> wm = cs.select(counts[counts["force"] == "West Midlands"], "total recorded crime")
    >>> int(wm["count"].sum())
    233393
    """
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise SourceFormatError(path, "file is empty")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".ods"):
        tables = _read_spreadsheet(path)
    elif suffix in (".csv", ".gz", ".txt"):
        tables = [_read_csv(path)]
    else:
        raise SourceFormatError(path, f"unsupported file type {suffix!r} (expected .csv, .xlsx or .ods)")
    tables = _check_duplicates(_choose_sheet(tables, sheet, path), path)
    parts = [_to_canonical(table, path=path, first_row=first_row, label=label) for table, first_row, label in tables]
    frames = [frame for frame, _ in parts]
    problems = _merge_problems([p for _, p in parts])
    raw = pd.concat(frames, ignore_index=True)
    counts = finish(
        raw,
        path=path,
        source=SOURCE.name,
        rows_read=sum(len(f) for f in frames),
        count_in=int(raw["count"].sum()),
        problems=problems,
    )
    for name, value in problems.items():
        if value and name.startswith("unknown"):
            logger.warning("%s: %s: %s", path, name, value)
    return counts


def _read_csv(path: Path) -> tuple[pd.DataFrame, int, str]:
    # The count is the last column: a cut last line would shorten it unseen, so it is an error.
    checked = load_csv(path, unterminated="error")
    try:
        table = read_text_csv(checked.stream())
    except pd.errors.EmptyDataError as error:
        raise SourceFormatError(path, "file is empty") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise SourceFormatError(path, f"not a readable CSV table: {error}") from error
    if table.empty:
        raise SourceFormatError(path, "table has a header but no rows")
    checked.confirm(len(table))
    return table, 2, path.name


def _choose_sheet(
    tables: list[tuple[pd.DataFrame, int, str]], sheet: str | None, path: Path
) -> list[tuple[pd.DataFrame, int, str]]:
    if sheet is None:
        return tables
    chosen = [t for t in tables if t[2] == f"{path.name}[{sheet}]"]
    if not chosen:
        held = [label.split("[", 1)[1].rstrip("]") for _, _, label in tables if "[" in label]
        raise SourceFormatError(path, f"no sheet {sheet!r} holding the table; sheets holding it: {held}")
    return chosen


def _row_keys(table: pd.DataFrame, where: str | Path) -> tuple[pd.Series, pd.Series]:
    """Each row's key (year|quarter|force|area|offence code) and how many rows that key may have.

    One, or the number of codes a combined code stands for (the homicide ``1/4.1/4.10/4.2``: 4).
    """
    columns = match_columns(table.columns, VARIABLE_MAP, path=where, optional=_OPTIONAL)
    by_variable = {variable: raw for raw, variable in columns.items()}
    parts = [
        table[by_variable[v]].astype("string").str.strip().str.lower()
        for v in ("financial_year", "quarter", "force", "area", "offence_code")
        if v in by_variable
    ]
    keys = parts[0].str.cat(parts[1:], sep="|")
    return keys, parts[-1].str.count("/") + 1


def _check_duplicates(tables: list[tuple[pd.DataFrame, int, str]], path: Path) -> list[tuple[pd.DataFrame, int, str]]:
    """Refuse rows a published table cannot hold twice: they would be summed into wrong totals."""
    seen: dict[str, str] = {}
    for table, first_row, label in tables:
        sheet = label.split("[", 1)[1].rstrip("]") if "[" in label else None
        where = path if sheet is None else f"{path} [{sheet}]"
        keys, allowed = _row_keys(table, where)
        excess = keys.groupby(keys).cumcount() >= allowed
        if excess.any():
            position = int(excess.to_numpy().nonzero()[0][0])
            earlier = int((keys.iloc[:position] == keys.iloc[position]).to_numpy().nonzero()[0][0])
            raise SourceFormatError(
                where,
                f"repeats the year, quarter, force, area and offence code of row {first_row + earlier} "
                f"({int(excess.sum()):,} such rows); a published table lists each once, so summing "
                "would double count",
                row=first_row + position,
            )
        distinct = set(keys.dropna())
        common = sorted(distinct & seen.keys())
        if common:
            other = seen[common[0]]
            raise SourceFormatError(
                path,
                f"sheets {other.split('[', 1)[1].rstrip(']')!r} and {sheet!r} hold the same rows "
                f"({len(common):,} alike, e.g. {common[0].replace('|', ', ')}): summing both would double "
                "count; expected one sheet per year, or choose one with sheet=",
            )
        seen.update(dict.fromkeys(distinct, label))
    return tables


def _read_spreadsheet(path: Path) -> list[tuple[pd.DataFrame, int, str]]:
    engine = "odf" if path.suffix.lower() == ".ods" else "openpyxl"
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine=engine)
    except Exception as error:  # the engines raise many types for a corrupt file
        raise SourceFormatError(path, f"not a readable spreadsheet: {error}") from error
    tables = []
    wanted = {_key(n) for n in VARIABLE_MAP["offence_code"]}
    for sheet, grid in sheets.items():
        header_row = next(
            (
                i
                for i in range(min(len(grid), _HEADER_SEARCH_ROWS))
                if wanted & {_key(v) for v in grid.iloc[i].dropna()}
            ),
            None,
        )
        if header_row is None:
            logger.info("%s: sheet %r has no offence table; skipped", path, sheet)
            continue
        table = grid.iloc[header_row + 1 :].copy()
        table.columns = [str(c).strip() if pd.notna(c) else f"unnamed {i}" for i, c in enumerate(grid.iloc[header_row])]
        table = table.dropna(how="all")
        table = table.astype("string").fillna("")
        tables.append((table.reset_index(drop=True), header_row + 2, f"{path.name}[{sheet}]"))
    if not tables:
        raise SourceFormatError(path, f"no sheet holds a Home Office offence table (sheets: {list(sheets)})")
    return tables


def _to_canonical(table: pd.DataFrame, *, path: Path, first_row: int, label: str) -> tuple[pd.DataFrame, dict]:
    where = path if label == path.name else f"{path} [{label.split('[', 1)[1].rstrip(']')}]"
    columns = match_columns(table.columns, VARIABLE_MAP, path=where, optional=_OPTIONAL)
    raw = table.rename(columns=columns)
    forces = force_names(raw["force"])
    rounded, fractional = _round_fraud_fractions(raw["count"], forces)
    counts = parse_counts(
        rounded, path=where, column=_raw_name(columns, "count"), first_row=first_row, allow_negative=True
    )

    years = raw["financial_year"].str.strip()
    try:
        parsed = {label_: FinancialYear.parse(label_) for label_ in years.unique()}
    except Exception as error:
        raise SourceFormatError(where, str(error), column=_raw_name(columns, "financial_year")) from error
    quarters = pd.to_numeric(raw["quarter"].str.strip(), errors="coerce")
    bad = ~quarters.isin([1, 2, 3, 4])
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(
            where,
            f"financial quarter {raw['quarter'].iloc[position]!r} is not 1 to 4",
            row=first_row + position,
            column=_raw_name(columns, "quarter"),
        )
    # One date per distinct (year, quarter), mapped back: no per-row Python over large tables.
    keys = years + "|" + quarters.astype("int64").astype("string")
    starts_by_key = {key: parsed[key.split("|")[0]].quarter_start(int(key.split("|")[1])) for key in keys.unique()}
    starts = keys.map(starts_by_key).astype("datetime64[ns]")

    offences = classify_codes(raw["offence_code"])
    out = pd.DataFrame(
        {
            "period_start": starts,
            "period_months": 3,
            "force": forces.fillna(raw["force"].str.strip()),
            "offence_code": offences["offence_code"],
            "category": offences["category"],
            "count": counts,
        }
    )
    # The table's own group/subgroup are what was published; the taxonomy fills any gaps.
    for column in ("offence_group", "offence_subgroup"):
        published = raw[column].str.strip().replace("", pd.NA) if column in raw else pd.Series(pd.NA, index=raw.index)
        out[column] = published.fillna(offences[column]).astype("string")
    if "area" in raw:
        names = raw["area"].str.strip().replace("", pd.NA)
        found = area_codes(names)
        out["area_code"] = found["area_code"]
        out["area_name"] = found["area_name"].fillna(names)
        unknown_areas = names[found["area_name"].isna() & names.notna()]
    else:
        out["area_code"] = pd.NA
        out["area_name"] = pd.NA
        unknown_areas = pd.Series(dtype="string")

    unknown_codes = offences.loc[~offences["known"], "offence_code"]
    problems = {
        "unknown_offence_codes": _tally(unknown_codes, counts),
        "unknown_forces": _tally(raw.loc[forces.isna(), "force"], counts),
        "unknown_areas": _tally(unknown_areas, counts),
        "negative_adjustments": {"rows": int((counts < 0).sum()), "offences": int(counts[counts < 0].sum())},
        **fractional,
    }
    return out, problems


def _round_fraud_fractions(values: pd.Series, forces: pd.Series) -> tuple[pd.Series, dict[str, dict[str, float]]]:
    """Round the fractional counts the fraud bodies publish (UK Finance) to whole numbers, and say so.

    The Home Office tables carry UK Finance's fraud counts as fractions (``26033.387592678326``):
    the publisher's own figures, not a broken file. Those rows are rounded to the nearest whole
    number; ``fractional_counts`` (rows per body) and ``fractional_rounding`` (rounded minus
    published, per body) go to the quality record. A fraction for any other force stays an error
    (raised by ``parse_counts`` naming its row).
    """
    numbers = pd.to_numeric(values.astype("string").str.strip().str.replace(",", "", regex=False), errors="coerce")
    fractional = numbers.notna() & (numbers != numbers.round()) & forces.isin(forces_of_kind(FRAUD_BODY)).fillna(False)
    if not fractional.any():
        return values, {}
    rounded = numbers[fractional].round()
    out = values.copy()
    out[fractional] = rounded.astype("int64").astype("string")
    by_force = forces[fractional]
    rows = {str(k): int(v) for k, v in fractional[fractional].groupby(by_force).size().items()}
    difference = (rounded - numbers[fractional]).groupby(by_force).sum()
    logger.info("fractional published counts rounded: %s", rows)
    return out, {
        "fractional_counts": rows,
        "fractional_rounding": {str(k): round(float(v), 6) for k, v in difference.items()},
    }


def _raw_name(columns: dict[str, str], variable: str) -> str:
    return next(raw for raw, var in columns.items() if var == variable)


def _tally(values: pd.Series, counts: pd.Series) -> dict[str, int]:
    """Offences per distinct value: what a quality report shows for unmapped values."""
    if values.empty:
        return {}
    return {str(k): int(v) for k, v in counts.loc[values.index].groupby(values.values).sum().items()}


def _merge_problems(parts: list[dict]) -> dict[str, dict[str, int]]:
    merged: dict[str, dict[str, int]] = {}
    for part in parts:
        for name, tally in part.items():
            target = merged.setdefault(name, {})
            for key, value in tally.items():
                target[key] = target.get(key, 0) + value
    return merged
