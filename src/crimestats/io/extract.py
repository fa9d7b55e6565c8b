"""A force's own record-level extract (CSV, gzipped CSV or xlsx) described by a column mapping.

The mapping (a dict or a TOML file; example: ``data/raw/mappings/west-midlands-extract.toml``)
names the extract's columns for each canonical meaning, the date format, how a crime is placed
in its area, and how flags are written.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..areas import area_codes, force_name, local_authorities, lsoa_lookup
from ..counts import make_coverage
from ..exceptions import PeriodError, SourceFormatError
from ..periods import parse_month
from ..schema import FLAGS
from ..source_kinds import EXTRACT as SOURCE
from ..taxonomy import UNCLASSIFIED, classify_codes, offences
from ._common import finish, read_text_csv
from .structure import load_csv, reading

logger = logging.getLogger(__name__)

MEANINGS = ("crime_id", "date", "offence_code", "offence_description", "area", "ward", "lsoa_code", *FLAGS)
AREA_METHODS = ("area", "lsoa_code", "ward")


@dataclass(frozen=True)
class ExtractMapping:
    """How to read one force's extract: which column holds what, and how values are written."""

    columns: dict[str, str]
    date_format: str
    force: str
    area_by: str = "area"
    true_values: frozenset[str] = frozenset({"y", "yes", "true", "1"})
    false_values: frozenset[str] = frozenset({"n", "no", "false", "0"})
    name: str = "extract"
    source: str = "<dict>"
    #: First and last month ("YYYY-MM") the extract covers, when the mapping declares them.
    covers: tuple[str, str] | None = None
    #: Quoted fields may hold line breaks (free text); otherwise a field running over a line end is an error.
    multiline_fields: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, mapping: str | Path | Mapping[str, Any] | ExtractMapping) -> ExtractMapping:
        """Build from a TOML file or a dict with ``extract``, ``columns``, ``area`` and ``flags`` tables."""
        if isinstance(mapping, ExtractMapping):
            return mapping
        source = "<dict>"
        if isinstance(mapping, str | Path):
            source = str(mapping)
            try:
                mapping = tomllib.loads(Path(mapping).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as error:
                raise SourceFormatError(source, f"cannot read the mapping: {error}") from error
        extract = dict(mapping.get("extract", {}))
        columns = {str(k): str(v) for k, v in dict(mapping.get("columns", {})).items()}
        unknown = sorted(set(columns) - set(MEANINGS))
        if unknown:
            raise SourceFormatError(source, f"[columns] has unknown meanings {unknown}; known: {list(MEANINGS)}")
        if "date" not in columns or not ({"offence_code", "offence_description"} & set(columns)):
            raise SourceFormatError(source, "[columns] must name `date` and `offence_code` or `offence_description`")
        for key in ("force", "date_format"):
            if key not in extract:
                raise SourceFormatError(source, f"[extract] must give `{key}`")
        area_by = str(dict(mapping.get("area", {})).get("by", "area"))
        if area_by not in AREA_METHODS:
            raise SourceFormatError(source, f"[area] by = {area_by!r}; expected one of {list(AREA_METHODS)}")
        if area_by not in columns:
            raise SourceFormatError(source, f"[area] by = {area_by!r} but [columns] does not name that column")
        flags = dict(mapping.get("flags", {}))
        kwargs: dict[str, Any] = {}
        if "covers" in extract:
            kwargs["covers"] = _covers(extract["covers"], source)
        if "multiline_fields" in extract:
            kwargs["multiline_fields"] = bool(extract["multiline_fields"])
        for key in ("true_values", "false_values"):
            if key in flags:
                kwargs[key] = frozenset(str(v).strip().lower() for v in flags[key])
        return cls(
            columns=columns,
            date_format=str(extract["date_format"]),
            force=force_name(str(extract["force"])),
            area_by=area_by,
            name=str(extract.get("name", "extract")),
            source=source,
            **kwargs,
        )


def _covers(value: object, source: str) -> tuple[str, str]:
    """The mapping's ``covers = ["2016-04", "2018-03"]``, checked."""
    try:
        first, last = (f"{parse_month(str(v)):%Y-%m}" for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, PeriodError):
        raise SourceFormatError(
            source, f'[extract] covers = {value!r}; expected the first and last month, e.g. ["2016-04", "2018-03"]'
        ) from None
    if first > last:
        raise SourceFormatError(source, f"[extract] covers = {value!r}: the first month is after the last")
    return first, last


def read_extract(path: str | Path, mapping: str | Path | Mapping[str, Any] | ExtractMapping) -> pd.DataFrame:
    """Read a force's record-level extract into canonical monthly counts.

    Parameters
    ----------
    path
        The extract: ``.csv``, ``.csv.gz`` or ``.xlsx``.
    mapping
        A dict or TOML file (see ``data/raw/mappings/west-midlands-extract.toml``).

    Returns
    -------
    pandas.DataFrame
        Canonical counts, ``period_months == 1`` (month the crime was recorded), ``source ==
        "extract"``, with the ``knife``, ``business`` and ``domestic`` flags where mapped.
        ``counts.quality`` reports rows with no area (and why), unknown offence codes
        (counted as Unclassified), unrecognised flag values (kept as missing), duplicate
        crime references, blank lines, and dates that fit the format either way round (every
        day 12 or less: a month-first file read day-first would look like that).

    Raises
    ------
    SourceFormatError
        When the mapping names a column the extract does not have, a date does not match the
        format (with its row), a date falls outside the months the mapping ``covers`` (a wrong
        format read as other valid dates), a CSV row's field count is not the header's (or a
        quote is left open, or NUL bytes), or the file is empty or unreadable, naming the file
        (and line).

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_extract(cs.datasets.path("scenario-extract"), cs.datasets.path("scenario-extract-mapping"))
    >>> int(counts["count"].sum())
    439787
    """
    path = Path(path)
    spec = ExtractMapping.load(mapping)
    raw, structure = _read_table(path, spec)
    rows_read = len(raw)

    dates = pd.to_datetime(raw["date"].str.strip(), format=spec.date_format, errors="coerce")
    bad = dates.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceFormatError(
            path,
            f"date {raw['date'].iloc[position]!r} does not match format {spec.date_format!r}"
            + (f" ({int(bad.sum())} such rows)" if bad.sum() > 1 else ""),
            row=position + 2,
            column=spec.columns["date"],
        )
    structure.update(_check_dates(raw["date"], dates, spec, path))
    frame = pd.DataFrame(
        {"period_start": dates.dt.to_period("M").dt.to_timestamp(), "period_months": 1, "force": spec.force},
        index=raw.index,
    )
    offence = _offences(raw)
    frame = frame.join(offence[["offence_code", "offence_group", "offence_subgroup", "category"]])
    located, no_area = _areas(raw, spec)
    frame = frame.join(located)
    flag_problems = {}
    for flag in FLAGS:
        if flag in raw:
            frame[flag], unrecognised = _flag(raw[flag], spec)
            if unrecognised:
                flag_problems[spec.columns[flag]] = unrecognised
    frame["count"] = 1

    ids = raw["crime_id"].str.strip() if "crime_id" in raw else pd.Series(dtype="string")
    problems = {
        "rows_no_area": no_area,
        "unknown_offence_codes": {
            str(k): int(v)
            for k, v in offence.loc[~offence["known"], "offence_code"].fillna("<blank>").value_counts().items()
        },
        "unknown_flag_values": flag_problems,
        "duplicate_crime_ids": int(ids[ids.notna() & (ids != "")].duplicated().sum()),
        "months": sorted(frame["period_start"].dt.strftime("%Y-%m").unique()),
        **structure,
    }
    counts = finish(
        frame,
        path=path,
        source=SOURCE.name,
        rows_read=rows_read,
        count_in=rows_read,
        problems=problems,
        area_by=spec.area_by,
        coverage=_coverage(frame["period_start"], spec),
    )
    for name in ("rows_no_area", "unknown_offence_codes", "unknown_flag_values", "dates_ambiguous"):
        if problems.get(name):
            logger.warning("%s: %s: %s", path, name, problems[name])
    return counts


def _coverage(months: pd.Series, spec: ExtractMapping) -> pd.DataFrame:
    """Every area of the force, each month from the first record to the last (or as the mapping declares).

    Records outside declared coverage were refused when the dates were parsed.
    """
    if spec.covers is not None:
        first, last = (parse_month(m) for m in spec.covers)
    else:
        first, last = months.min(), months.max()
    span = pd.date_range(first, last, freq="MS")
    return make_coverage(
        [{"source": SOURCE.name, "force": spec.force, "period_start": m, "period_months": 1} for m in span]
    )


def _read_table(path: Path, spec: ExtractMapping) -> tuple[pd.DataFrame, dict[str, object]]:
    """The extract's mapped columns as text, and what the structure check reports."""
    if not path.exists():
        raise SourceFormatError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise SourceFormatError(path, "file is empty")
    wanted = list(spec.columns.values())
    checked = None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        with reading(path):
            path.open("rb").close()  # unreadable (permissions) is said as such, not as a bad workbook
        try:
            table = pd.read_excel(path, dtype=str, engine="openpyxl").astype("string")
        except Exception as error:  # openpyxl raises many types (BadZipFile, KeyError, XML errors) for one cause
            raise SourceFormatError(path, f"not a readable xlsx workbook (truncated, or not xlsx?): {error}") from error
    else:
        checked = load_csv(
            path, multiline=spec.multiline_fields
        )  # every line one row with the header's fields, or an error naming the line
        with reading(path):
            table = read_text_csv(checked.stream(), usecols=lambda c: c in wanted)
    missing = {meaning: column for meaning, column in spec.columns.items() if column not in table.columns}
    if missing:
        found = (
            list(pd.read_csv(checked.stream(), nrows=0, encoding="utf-8-sig").columns)
            if checked is not None
            else list(table.columns)
        )
        raise SourceFormatError(
            path, f"mapping {spec.source} names columns the extract does not have: {missing}; extract has {found}"
        )
    if table.empty:
        raise SourceFormatError(path, "extract has a header but no rows")
    structure: dict[str, object] = {}
    if checked is not None:
        checked.confirm(len(table))
        structure = dict(checked.report())
    return table.rename(columns={column: meaning for meaning, column in spec.columns.items()}), structure


#: Fewer distinct dates than this cannot show that every day being 12 or less is unusual.
_AMBIGUOUS_MIN_DATES = 20


def _check_dates(text: pd.Series, dates: pd.Series, spec: ExtractMapping, path: Path) -> dict[str, object]:
    """Check parsed dates against the mapping: inside its declared coverage; not ambiguous unnoticed.

    A month-first file read with a day-first format parses wherever every day is 12 or less, as
    other valid dates. The declared coverage catches it (the swapped dates land outside); without
    one, a column where every day is 12 or less is reported.
    """
    column = spec.columns["date"]
    if spec.covers is not None:
        first = parse_month(spec.covers[0])
        after = parse_month(spec.covers[1]) + pd.DateOffset(months=1)
        outside = (dates < first) | (dates >= after)
        if outside.any():
            position = int(np.flatnonzero(outside.to_numpy())[0])
            raise SourceFormatError(
                path,
                f"{int(outside.sum()):,} dates fall outside the months the mapping covers ({spec.covers[0]} to "
                f"{spec.covers[1]}), the first {text.iloc[position]!r} read as {dates.iloc[position]:%d %B %Y} "
                f"with date_format {spec.date_format!r}; expected every date inside: is the format right "
                "(day and month swapped?) or the coverage?",
                row=position + 2,
                column=column,
            )
    if "%d" in spec.date_format and "%m" in spec.date_format:
        days = dates.dt.day
        if dates.nunique() >= _AMBIGUOUS_MIN_DATES and (days <= 12).all():
            return {
                "dates_ambiguous": (
                    f"every day in column {column!r} is 12 or less ({dates.nunique():,} distinct dates): the "
                    f"dates read as {spec.date_format!r} would also read with day and month swapped; declare "
                    "`covers` under [extract] in the mapping to check"
                )
            }
    return {}


def _offences(raw: pd.DataFrame) -> pd.DataFrame:
    if "offence_code" in raw:
        codes = raw["offence_code"].str.strip().replace("", pd.NA)
    else:
        codes = pd.Series(pd.NA, index=raw.index, dtype="string")
    if "offence_description" in raw:
        # Where the code is missing, a description that matches the taxonomy identifies it.
        by_description = {
            d.lower(): c for d, c in zip(offences()["offence_description"], offences()["offence_code"], strict=True)
        }
        described = raw["offence_description"].str.strip().str.lower().map(by_description).astype("string")
        codes = codes.fillna(described)
    result = classify_codes(codes.fillna(""))
    result.loc[codes.isna(), ["offence_code", "category"]] = [pd.NA, UNCLASSIFIED]
    result.loc[codes.isna(), "known"] = False
    return result


def _areas(raw: pd.DataFrame, spec: ExtractMapping) -> tuple[pd.DataFrame, dict[str, int]]:
    """CSP code and name for each row by the mapping's method; reasons for rows left without."""
    values = raw[spec.area_by].str.strip().replace("", pd.NA)
    if spec.area_by == "area":
        found = area_codes(values)
    elif spec.area_by == "lsoa_code":
        lookup = lsoa_lookup().set_index("lsoa_code")
        found = pd.DataFrame(
            {"area_code": values.map(lookup["csp_code"]), "area_name": values.map(lookup["csp_name"])}, index=raw.index
        ).astype("string")
    else:
        # Ward names repeat across the country: only the force's own local authorities are searched.
        lads = local_authorities()
        lookup = lsoa_lookup()
        lookup = lookup[lookup["lad_code"].isin(lads.loc[lads["force"] == spec.force, "lad_code"])]
        wards = lookup.drop_duplicates("ward_name").set_index(
            lookup.drop_duplicates("ward_name")["ward_name"].str.lower()
        )
        key = values.str.lower()
        found = pd.DataFrame(
            {"area_code": key.map(wards["csp_code"]), "area_name": key.map(wards["csp_name"])}, index=raw.index
        ).astype("string")
    reasons = {}
    blank = int(values.isna().sum())
    unknown = int((values.notna() & found["area_name"].isna()).sum())
    if blank:
        reasons[f"blank {spec.columns[spec.area_by]}"] = blank
    if unknown:
        reasons[f"unknown {spec.columns[spec.area_by]}"] = unknown
    return found, reasons


def _flag(values: pd.Series, spec: ExtractMapping) -> tuple[pd.Series, dict[str, int]]:
    text = values.str.strip().str.lower()
    flag = pd.Series(pd.NA, index=values.index, dtype="boolean")
    flag[text.isin(spec.true_values)] = True
    flag[text.isin(spec.false_values)] = False
    unrecognised = values[flag.isna() & text.notna() & (text != "")]
    return flag, {str(k): int(v) for k, v in unrecognised.value_counts().items()}
