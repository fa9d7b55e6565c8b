"""The pandas reader of data.police.uk street files as it was before the Arrow path (issue 15), frozen.

Kept only so a test can check the Arrow path gives the same counts, quality and records on every real
folder. Not part of the package; not registered as a source. Copied from src/crimestats/io/police_uk.py
and io/street_files.py at commit 983450d (imports made absolute; "police.uk" written out).

Original docstring: data.police.uk "street" files: a single CSV, the monthly folder tree, or the downloaded zip.

Files are read one at a time and each is aggregated to counts before the next, so memory does
not grow with the number of files. Outcomes and stop-and-search files in the same folder are
ignored (and listed in the quality report), never mixed into crime counts.
"""

from __future__ import annotations

import dataclasses
import logging
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from crimestats.areas import NATIONAL, OUTSIDE_ENGLAND_AND_WALES, force_name, force_names, forces_of_kind
from crimestats.boundaries import check_boundaries, detect_lsoa_vintage, lad_areas, lsoa_areas
from crimestats.counts import attach, make_coverage
from crimestats.exceptions import PeriodError, SourceFormatError
from crimestats.io._common import finish, progress_bar, quality_record, read_text_csv
from crimestats.io.street_files import StreetFile, force_of_slug, select_files
from crimestats.io.structure import load_csv
from crimestats.periods import parse_month
from crimestats.quality import FileQuality
from crimestats.taxonomy import UNCLASSIFIED, category_of_crime_type, is_crime

logger = logging.getLogger(__name__)

#: data.police.uk column -> canonical (snake_case) record column.
VARIABLE_MAP: dict[str, str] = {
    "Crime ID": "crime_id",
    "Month": "month",
    "Reported by": "reported_by",
    "Falls within": "falls_within",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "crime_type",
    "Last outcome category": "outcome",
    "Context": "context",
}
_REQUIRED = ("Month", "Falls within", "LSOA code", "LSOA name", "Crime type")
_KEYS = ["month", "falls_within", "lsoa_code", "lsoa_name", "crime_type"]
_COUNT_COLUMNS = ["period_start", "period_months", "force", "area_code", "area_name", "category", "count"]
RECORD_COLUMNS = [
    "crime_id",
    "period_start",
    "force",
    "lsoa_code",
    "lsoa_name",
    "area_code",
    "area_name",
    "category",
    "is_crime",
    "outcome",
    "location",
    "longitude",
    "latitude",
    "context",
]


def _read_raw(file: StreetFile, columns: Iterable[str]) -> pd.DataFrame:
    """Read one street file's columns as strings, checking its header and that no row is short.

    The original layout (until early 2013: ``Easting``/``Northing``, no ``Crime ID`` and no LSOA
    columns) is read too: its rows are marked for :func:`_locate` to count at force level.
    """
    wanted = list(columns)
    try:
        with file.open() as handle:
            raw = read_text_csv(
                handle, usecols=lambda c: c in wanted or c in _REQUIRED or c in _PRE_2013_ONLY, on_bad_lines="error"
            )
    except pd.errors.EmptyDataError as error:
        raise SourceFormatError(file.label, "file is empty") from error
    except (pd.errors.ParserError, UnicodeDecodeError, zipfile.BadZipFile, EOFError) as error:
        raise SourceFormatError(file.label, f"cannot be parsed as a street CSV (truncated?): {error}") from error
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing and _is_pre_2013_layout(raw.columns):
        raw = _from_pre_2013_layout(raw, wanted)
        missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise SourceFormatError(file.label, f"wrong header: missing {missing}; a street file has {list(VARIABLE_MAP)}")
    # A truncated line leaves its trailing fields empty; real rows always have a month, a force
    # and a crime type.
    essential = raw[["Month", "Falls within", "Crime type"]]
    short = (essential.isna() | (essential == "")).any(axis=1)
    if short.any():
        position = int(np.flatnonzero(short.to_numpy())[0])
        raise SourceFormatError(
            file.label, "row is missing Month, Falls within or Crime type (file truncated?)", row=position + 2
        )
    return raw.rename(columns=VARIABLE_MAP)


_PRE_2013_ONLY = ("Easting", "Northing")
# Stands in for the LSOA code of pre-2013 rows through grouping; _locate turns it into <NA>.
_NO_LSOA_COLUMNS = "<no LSOA columns>"


def _is_pre_2013_layout(columns: Iterable[str]) -> bool:
    present = set(columns)
    return set(_PRE_2013_ONLY) <= present and {"LSOA code", "LSOA name"}.isdisjoint(present)


def _from_pre_2013_layout(raw: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    """Give a pre-2013 file the current columns: no LSOA (marked), no crime ID, no coordinates.

    Easting/Northing (British National Grid) are dropped rather than converted: crimestats has no
    projection library, and the counts are placed at force level only.
    """
    raw = raw.drop(columns=list(_PRE_2013_ONLY))
    raw["LSOA code"] = _NO_LSOA_COLUMNS
    raw["LSOA name"] = ""
    for column in wanted:
        if column not in raw.columns and column not in _REQUIRED:  # required ones are checked by the caller
            raw[column] = ""
    return raw.astype("string")


def _check_months(raw: pd.DataFrame, file: StreetFile) -> dict[str, pd.Timestamp]:
    parsed = {}
    for month in raw["month"].unique():
        try:
            parsed[month] = parse_month(month)
        except PeriodError as error:
            position = int(np.flatnonzero((raw["month"] == month).to_numpy())[0])
            raise SourceFormatError(
                file.label, f"malformed month {month!r} (expected YYYY-MM)", row=position + 2, column="Month"
            ) from error
    return parsed


def _keep_months(raw: pd.DataFrame, parsed: dict[str, pd.Timestamp], months: set[str] | None) -> pd.DataFrame:
    if months is None:
        return raw
    keep = {label for label, month in parsed.items() if f"{month:%Y-%m}" in months}
    return raw[raw["month"].isin(keep)]


def _locate(frame: pd.DataFrame, *, boundaries: str | int | None = None) -> pd.DataFrame:
    """Add force, area (CSP on ``boundaries``), no-area reason and the file's LSOA vintage.

    ``frame`` holds one file's rows keyed by month / falls_within / lsoa_code / lsoa_name. LSOA
    codes of either vintage are placed (2011 codes through the ONS change lookup, see
    :mod:`crimestats.boundaries`); the vintage the codes come from is detected and stored in the
    constant columns ``lsoa_vintage`` and ``lsoa_vintage_basis``.
    """
    vintage = check_boundaries(boundaries)
    force = force_names(frame["falls_within"])
    frame["force"] = force.fillna(frame["falls_within"].str.strip())
    code = frame["lsoa_code"].astype("string").str.strip().replace("", pd.NA)
    no_columns = (code == _NO_LSOA_COLUMNS).fillna(False)
    code = code.mask(no_columns)
    frame["lsoa_code"] = code
    found = lsoa_areas(code, boundaries=vintage)
    frame["area_code"] = found["area_code"]
    frame["area_name"] = found["area_name"]
    # Fallback only where the code is unknown: "Birmingham 001A" -> "Birmingham".
    unresolved = code.notna() & frame["area_code"].isna()
    if unresolved.any():
        prefix = frame.loc[unresolved, "lsoa_name"].str.replace(r"\s+\d{3}[A-Z]$", "", regex=True)
        by_name = lad_areas(prefix, boundaries=vintage)
        frame.loc[unresolved, "area_code"] = by_name["area_code"]
        frame.loc[unresolved, "area_name"] = by_name["area_name"]
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    reason[code.isna()] = "no_lsoa"
    reason[no_columns] = "no_lsoa_columns"
    reason[code.notna() & frame["area_code"].isna()] = "unknown_lsoa"
    reason[unresolved & frame["area_code"].notna()] = "lsoa_name_fallback"
    national = frame["force"].isin(forces_of_kind(NATIONAL))
    outside = frame["force"].isin(forces_of_kind(OUTSIDE_ENGLAND_AND_WALES))
    reason[national] = "national_force"
    reason[outside] = "outside_england_wales"
    frame.loc[national | outside, ["area_code", "area_name"]] = pd.NA
    frame["no_area_reason"] = reason
    lsoa_vintage, basis = _lsoa_vintage(frame, code, no_columns)
    frame["lsoa_vintage"] = pd.Series(lsoa_vintage, index=frame.index, dtype="string")
    frame["lsoa_vintage_basis"] = basis
    return frame


def _lsoa_vintage(frame: pd.DataFrame, codes: pd.Series, no_columns: pd.Series) -> tuple[str | None, str]:
    """The file's LSOA vintage ("2011"/"2021"/None) and what decided it, for the quality record."""
    if no_columns.any():
        return None, "pre-2013 layout: no LSOA columns"
    try:
        month = parse_month(str(frame["month"].max())) if len(frame) else None
    except PeriodError:
        month = None
    detected = detect_lsoa_vintage(codes.dropna().unique(), month=month)
    basis = {
        "codes": "codes found only in that set",
        "majority": f"codes of both sets ({detected.codes_2011_only} 2011-only, {detected.codes_2021_only} "
        "2021-only): the larger",
        "month": "every code is in both sets: the file's month (2021 codes from June 2023)",
    }.get(detected.basis, detected.basis)
    return detected.vintage, basis


def _geography_quality(grouped: pd.DataFrame, boundaries: str | int | None) -> dict[str, object]:
    """The quality-record keys on geography: LSOA vintage, what decided it, the boundaries used."""
    first = grouped.iloc[0] if len(grouped) else None
    vintage = None if first is None or pd.isna(first["lsoa_vintage"]) else str(first["lsoa_vintage"])
    return {
        "lsoa_vintage": vintage,
        "lsoa_vintage_basis": None if first is None else str(first["lsoa_vintage_basis"]),
        "boundaries": check_boundaries(boundaries),
    }


def _categorise(frame: pd.DataFrame) -> pd.DataFrame:
    category = category_of_crime_type(frame["crime_type"])
    frame["known_type"] = category.notna()
    frame["category"] = category.fillna(UNCLASSIFIED)
    frame["is_crime"] = is_crime(frame["category"])
    return frame


def _file_parts(
    file: StreetFile,
    months: set[str] | None,
    *,
    records: bool = False,
    boundaries: str | int | None = None,
    trust_content: bool = False,
) -> tuple[pd.DataFrame, FileQuality, np.ndarray, pd.DataFrame | None]:
    """Counts, quality record, crime-ID hashes and (when asked) records of one street file, parsed once."""
    raw = _read_raw(file, VARIABLE_MAP if records else ["Crime ID", "Longitude", "Latitude", *_REQUIRED])
    rows_read = len(raw)
    # Bad input checks (issue 16): every line a row, the name agrees with the rows, coordinates numbers.
    checks = checked_content(file, raw, rows_read)
    parsed = _check_months(raw, file)
    checks.update(check_identity(file, raw, parsed, trust_content=trust_content))
    raw = _keep_months(raw, parsed, months)
    checks.update(coordinate_problems(raw))
    ids = raw["crime_id"].str.strip() if "crime_id" in raw else pd.Series([], dtype="string")
    ids = ids[ids != ""]
    hashes = pd.util.hash_array(ids.to_numpy(dtype=object)) if len(ids) else np.empty(0, dtype=np.uint64)
    grouped = raw.groupby(_KEYS, dropna=False, sort=False).size().rename("count").reset_index()
    grouped = _categorise(_locate(grouped, boundaries=boundaries))
    grouped["period_start"] = grouped["month"].map(parsed)
    grouped["period_months"] = 1
    reasons = grouped.dropna(subset=["no_area_reason"]).groupby("no_area_reason")["count"].sum()
    unknown_types = grouped[~grouped["known_type"]].groupby("crime_type")["count"].sum()
    asb = int(grouped.loc[~grouped["is_crime"], "count"].sum())
    counted = int(grouped["count"].sum())
    quality = quality_record(
        path=file.label,
        source="police.uk",
        rows_read=rows_read,
        rows_counted=counted,
        count=counted,
        area_by="lsoa",
        problems={
            "rows_no_area": {str(k): int(v) for k, v in reasons.items() if k != "lsoa_name_fallback"},
            "lsoa_name_fallback": int(reasons.get("lsoa_name_fallback", 0)),
            "unknown_crime_types": {str(k): int(v) for k, v in unknown_types.items()},
            "unknown_forces": sorted(set(grouped.loc[force_names(grouped["falls_within"]).isna(), "falls_within"])),
            "duplicate_crime_ids": int(pd.Series(hashes).duplicated().sum()),
            "asb_share": round(asb / rows_read, 4) if rows_read else 0.0,
            "months": sorted(f"{parsed[m]:%Y-%m}" for m in raw["month"].unique()),
            **_geography_quality(grouped, boundaries),
            **checks,
        },
    )
    return grouped, quality, hashes, (_records(raw, parsed, boundaries=boundaries) if records else None)


def _file_coverage(file: StreetFile, grouped: pd.DataFrame, wanted_forces: set[str] | None) -> list[dict]:
    """What a street file covers: every area of its force in its month, whatever categories have rows.

    The force and month are those the file's name gives (data.police.uk names each file for one
    force and month); a file named otherwise covers the forces and months its rows hold.
    """
    force = force_of_slug(file.force_slug) if file.force_slug else None
    forces_ = [force] if force else sorted(set(grouped["force"].dropna()))
    months = [parse_month(file.month)] if file.month else sorted(set(grouped["period_start"].dropna()))
    return [
        {"source": "police.uk", "force": f, "period_start": m, "period_months": 1}
        for f in forces_
        for m in months
        if wanted_forces is None or f in wanted_forces
    ]


def _records(
    raw: pd.DataFrame, parsed: dict[str, pd.Timestamp], *, boundaries: str | int | None = None
) -> pd.DataFrame:
    """One row per record, in the record columns, from a street file's raw rows."""
    frame = _categorise(_locate(raw.copy(), boundaries=boundaries))
    frame["period_start"] = frame["month"].map(parsed).astype("datetime64[ns]")
    for column in ("longitude", "latitude"):
        frame[column] = pd.to_numeric(frame[column].replace("", pd.NA), errors="coerce").astype("float64")
    for column in ("crime_id", "lsoa_code", "lsoa_name", "outcome", "location", "context"):
        if column not in frame:
            frame[column] = pd.NA
        frame[column] = frame[column].str.strip().replace("", pd.NA).astype("string")
    return frame[RECORD_COLUMNS]


def read_police_uk(
    path: str | Path,
    *,
    months: Sequence[str] | None = None,
    forces: Sequence[str] | None = None,
    progress: bool = False,
    boundaries: str | int | None = None,
    trust_content: bool = False,
) -> pd.DataFrame:
    """Read data.police.uk street files into canonical monthly counts.

    Parameters
    ----------
    path
        A ``*-street.csv`` file, a folder tree as data.police.uk ships it
        (``YYYY-MM/YYYY-MM-<force>-street.csv``), or the downloaded ``.zip`` (read in place).
    months
        Only these months ("2017-01", ...); default all.
    forces
        Only these forces (any usual spelling); default all.
    progress
        Show a progress bar on standard error while reading files.
    boundaries
        The boundary vintage of the CSPs counts are placed on ("2016", "2018", "2019", "2022",
        "2024"; default the latest). Files with 2011 or 2021 LSOA codes land on the same CSPs, so
        months either side of a council reorganisation compare like for like (see
        :mod:`crimestats.boundaries`).
    trust_content
        Read a file whose name and rows disagree on the month or force (most rows say another
        than the name) by what its rows say, with the disagreement in its quality record; by
        default such a file is refused.

    Returns
    -------
    pandas.DataFrame
        Canonical counts, ``period_months == 1``, ``source == "police.uk"``. ``Crime type`` is
        mapped to the harmonised category (anti-social behaviour has ``is_crime == False``);
        ``LSOA code`` (2011 or 2021) to the CSP on ``boundaries``, falling back to the name prefix
        of ``LSOA name`` only where the code is unknown. Rows with no local area (blank LSOA,
        British Transport Police, Northern Ireland, the pre-2013 layout with no LSOA columns) stay
        in the force total with ``area_name`` missing. ``counts.quality`` has one record per
        file (see :func:`crimestats.quality_report`), including ``lsoa_vintage`` ("2011", "2021",
        or None), what decided it (``lsoa_vintage_basis``) and ``boundaries``; it reports rows of
        other months or forces than the file's name gives, non-numeric coordinates and blank
        lines. A file reached twice in one read (the same content in two places) is read once
        and listed in ``attrs["duplicate_files"]``.

    Raises
    ------
    SourceFormatError
        For a missing path, a zip or folder with no street files, a wrong header, a truncated
        file, a row whose field count is not the header's, an unclosed quote, NUL bytes, a
        malformed month, or a name that disagrees with the rows, naming the file (and line).
    SourceReadError
        For a file that cannot be read at all (permissions), naming it.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_police_uk(cs.datasets.path("police-uk-city-of-london-2017-01"))
    >>> int(counts["count"].sum())
    483
    """
    counts, _ = _read(
        path,
        months=months,
        forces=forces,
        progress=progress,
        records=False,
        boundaries=boundaries,
        trust_content=trust_content,
    )
    return counts


def _read(
    path: str | Path,
    *,
    months: Sequence[str] | None = None,
    forces: Sequence[str] | None = None,
    progress: bool = False,
    records: bool = False,
    boundaries: str | int | None = None,
    trust_content: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Counts and (when asked) records of street files, each file parsed once."""
    files, ignored, month_set = select_files(path, months, forces)
    wanted_forces = None if forces is None else {force_name(f) for f in forces}
    parts, qualities, hashes, record_parts, covered = [], [], [], [], []
    first_with: dict[str, str] = {}
    duplicate_files = []
    for file in progress_bar(files, progress, "police.uk files"):
        file = load(file)
        # The same file reached twice (`2017-01/` and `copy/2017-01/`) is read once, never summed twice.
        first = first_with.setdefault(file.content.digest, file.label)  # type: ignore[union-attr]
        if first != file.label:
            logger.warning("%s: same content as %s; read once", file.label, first)
            duplicate_files.append({"file": file.label, "same_as": first})
            continue
        grouped, quality, file_hashes, file_records = _file_parts(
            file, month_set, records=records, boundaries=boundaries, trust_content=trust_content
        )
        covered += _file_coverage(file, grouped, wanted_forces)
        if wanted_forces is not None:
            grouped = grouped[grouped["force"].isin(wanted_forces)]
            quality.rows_counted = quality.count = int(grouped["count"].sum())
            if file_records is not None:
                file_records = file_records[file_records["force"].isin(wanted_forces)]
        parts.append(grouped[_COUNT_COLUMNS])
        qualities.append(quality)
        hashes.append(file_hashes)
        if file_records is not None:
            record_parts.append(file_records)
    if not parts:
        raise SourceFormatError(path, "no street files match the months and forces asked for")
    raw = pd.concat(parts, ignore_index=True)
    counts = finish(
        raw,
        path=path,
        source="police.uk",
        rows_read=len(raw),
        count_in=int(raw["count"].sum()),
        coverage=make_coverage(covered),
    )
    all_hashes = np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64)
    counts.quality = qualities
    counts.attrs["ignored_files"] = ignored
    counts.attrs["duplicate_files"] = duplicate_files
    counts.attrs["duplicate_crime_ids_across_files"] = int(pd.Series(all_hashes).duplicated().sum())
    for quality in qualities:
        if quality.unknown.get("crime_types"):
            logger.warning("%s: unknown crime types %s", quality.file, quality.unknown["crime_types"])
    recs = pd.concat(record_parts, ignore_index=True) if records else None
    if recs is not None:
        recs = attach(recs, coverage=counts.coverage, quality=qualities)
        recs.attrs.update({k: counts.attrs[k] for k in ("ignored_files", "duplicate_files")})
    return counts, recs


def read_police_uk_records(
    path: str | Path,
    *,
    months: Sequence[str] | None = None,
    forces: Sequence[str] | None = None,
    progress: bool = False,
    boundaries: str | int | None = None,
    trust_content: bool = False,
) -> pd.DataFrame:
    """Read data.police.uk street files as one row per record.

    Parameters are as for :func:`read_police_uk`, and so are the checks. Columns: ``crime_id,
    period_start, force, lsoa_code, lsoa_name, area_code, area_name, category, is_crime, outcome,
    location, longitude, latitude, context``. Blank crime IDs (anti-social behaviour) and blank
    LSOAs are missing values; coordinates are floats (missing where blank, or where not a number:
    those are counted in ``records.quality``, the files' quality records, as for counts).

    Examples
    --------
    >>> import crimestats as cs
    >>> records = cs.read_police_uk_records(cs.datasets.path("police-uk-city-of-london-2017-01"))
    >>> len(records), list(records.columns[:3])
    (483, ['crime_id', 'period_start', 'force'])
    """
    _, records = _read(
        path,
        months=months,
        forces=forces,
        progress=progress,
        records=True,
        boundaries=boundaries,
        trust_content=trust_content,
    )
    return records  # type: ignore[return-value]


# --- helpers of the old street_files module, frozen with it ---


def load(file: StreetFile) -> StreetFile:
    """The file with its bytes read and structurally checked (one row per line, field counts, no NULs)."""
    if file.content is not None:
        return file
    return dataclasses.replace(file, content=load_csv(file.open, file.label))


def checked_content(file: StreetFile, raw: pd.DataFrame, rows_read: int) -> dict[str, object]:
    """Confirm the parser read every data line of the file as one row; what the structure check reports."""
    if file.content is None:
        return {}
    file.content.confirm(rows_read)
    return dict(file.content.report())


def check_identity(
    file: StreetFile, raw: pd.DataFrame, parsed: dict[str, pd.Timestamp], *, trust_content: bool
) -> dict[str, object]:
    """Refuse a file whose name and rows disagree on month or force; report rows of other months or forces.

    The name is what a folder walk, a month filter and the store trust; the rows are what is
    counted. When most rows say another month (or force) than the name, one of them is wrong and
    reading on would count the rows where the name does not say: refused unless
    ``trust_content``. A minority of rows of another month or force is reported.
    """
    found: dict[str, object] = {}
    if raw.empty:
        return found
    # Tallies of the distinct raw values first: the per-row work is two value_counts.
    month_of = {label: f"{month:%Y-%m}" for label, month in parsed.items()}
    raw_forces = raw["falls_within"].value_counts(sort=False)
    stripped = pd.Series(raw_forces.index, dtype="string").str.strip()
    force_of = dict(zip(raw_forces.index, force_names(stripped).fillna(stripped), strict=True))
    tallies = {
        "month": _tally_of(raw["month"].value_counts(sort=False), month_of),
        "force": _tally_of(raw_forces, force_of),
    }
    named = {"month": file.month, "force": force_of_slug(file.force_slug) if file.force_slug else None}
    for kind, column, raw_column, of in (
        ("month", "Month", "month", month_of),
        ("force", "Falls within", "falls_within", force_of),
    ):
        tally, name = tallies[kind], named[kind]
        if name is None:
            continue
        majority = next(iter(tally))
        if tally.get(name, 0) < tally[majority]:
            position = int(raw.index[raw[raw_column].map(of) == majority][0])
            problem = (
                f"the file name says {kind} {name} but {tally[majority]:,} of {len(raw):,} rows say {majority} "
                f"(and {tally.get(name, 0):,} say {name}); expected the rows of the {kind} its name gives"
            )
            if not trust_content:
                raise SourceFormatError(
                    file.label,
                    problem + " (pass trust_content=True to count the rows as they say)",
                    row=position + 2,
                    column=column,
                )
            logger.warning("%s: %s; counted as the rows say (trust_content)", file.label, problem)
            found[f"name_{kind}_disagrees"] = {"named": name, "rows": tally}
        elif len(tally) > 1:
            found[f"rows_other_{kind}s"] = {k: v for k, v in tally.items() if k != name}
    if named["month"] is None and len(tallies["month"]) > 1:
        found["rows_other_months"] = dict(list(tallies["month"].items())[1:])
    return found


def _tally_of(counts: pd.Series, canonical: dict) -> dict[str, int]:
    """Rows per canonical value, most first, from rows per raw value."""
    tally = counts.groupby(counts.index.map(canonical)).sum().sort_values(ascending=False, kind="stable")
    return {str(k): int(v) for k, v in tally.items()}


def coordinate_problems(raw: pd.DataFrame) -> dict[str, object]:
    """Rows whose Longitude or Latitude is written but is not a number (records get NaN there): counted."""
    found = {}
    for column, name in (("longitude", "Longitude"), ("latitude", "Latitude")):
        if column not in raw:
            continue
        text = raw[column].str.strip()
        bad = (text != "") & pd.to_numeric(text, errors="coerce").isna()
        if bad.any():
            found[name] = {"rows": int(bad.sum()), "first_row": int(raw.index[bad][0]) + 2}
    return {"non_numeric_coordinates": found} if found else {}
