"""data.police.uk "street" files: a single CSV, the monthly folder tree, or the downloaded zip.

Files are read in blocks (:mod:`crimestats.io.street_blocks`) and tallied on integer codes
(:mod:`crimestats.io.street_chunks`); each file becomes counted rows and a quality record here
before the next, so memory does not grow with the number or size of the files. Outcomes and
stop-and-search files in the same folder are ignored (and listed in the quality report), never mixed into crime counts.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..areas import force_name
from ..boundaries import check_boundaries, lsoa_vintage_of_counts
from ..counts import attach, make_coverage
from ..exceptions import CrimestatsError, PeriodError, SourceFormatError
from ..periods import month_label, parse_month
from ..quality import FileQuality
from ..source_kinds import POLICE_UK as SOURCE
from ..sources import UnitBatch
from ..taxonomy import CATEGORIES
from ._common import canonical_counts, in_background, progress_bar, quality_record
from .crime_ids import CrimeIdTally
from .street_blocks import FileError
from .street_chunks import StreetTally, read_street_files
from .street_counts import Counted, CountedRows
from .street_files import (
    StreetFile,
    check_identity,
    force_of_slug,
    same_content,
    select_files,
)
from .street_places import REASONS, Places
from .street_records import RECORD_COLUMNS as RECORD_COLUMNS  # re-exported: the record columns
from .street_records import street_records

logger = logging.getLogger(__name__)


def _geography_quality(
    tally: StreetTally, places: Places, boundaries: str | int | None, months: list[str]
) -> dict[str, object]:
    """The quality-record keys on geography: LSOA vintage, what decided it, the boundaries used.

    ``months``: the Month values (as written) the file's counted rows have.
    """
    vintage, basis = None, None
    if tally.lsoa_code_ids is None:
        basis = "pre-2013 layout: no LSOA columns"
    elif len(tally.entries):
        try:
            month = parse_month(max(months))
        except PeriodError:
            month = None
        blocks = tally.lsoa_code_ids
        # Each block's ids are distinct already: only a file of several blocks needs them merged.
        ids = blocks[0] if len(blocks) == 1 else np.unique(np.concatenate(blocks)) if blocks else np.empty(0, np.int64)
        only11, only21 = places.lsoa_sets(ids)
        detected = lsoa_vintage_of_counts(only11, only21, any_codes=len(ids) > 0, month=month)
        vintage = detected.vintage
        basis = {
            "codes": "codes found only in that set",
            "majority": f"codes of both sets ({detected.codes_2011_only} 2011-only, {detected.codes_2021_only} "
            "2021-only): the larger",
            "month": "every code is in both sets: the file's month (2021 codes from June 2023)",
        }.get(detected.basis, detected.basis)
    return {"lsoa_vintage": vintage, "lsoa_vintage_basis": basis, "boundaries": check_boundaries(boundaries)}


def _file_parts(
    file: StreetFile,
    tally: StreetTally,
    *,
    places: Places,
    records: bool = False,
    boundaries: str | int | None = None,
    trust_content: bool = False,
) -> tuple[Counted, FileQuality, np.ndarray, pd.DataFrame | None, str | None]:
    """Counted rows, quality record, crime-ID hashes, (when asked) records and content digest of one file's tally.

    Works on the file's distinct (month, force, crime type, area, reason) tallies, as columns:
    no pandas object and no Python loop per entry, so thousands of small files cost no more than
    one large one.
    """
    checks: dict[str, object] = dict(tally.structure)
    checks.update(check_identity(file, tally, lambda value: places.force(value)[0], trust_content=trust_content))
    if tally.coordinates:
        checks["non_numeric_coordinates"] = tally.coordinates
    entries = tally.entries
    months = entries.present("months")
    forces = [places.force(value) for value in entries.forces]  # (force, known, kind)
    types = [places.category(value) for value in entries.types]  # (category, known)
    present_forces = np.bincount(entries.force, minlength=len(forces)) > 0
    rows_of_type = np.bincount(entries.type, weights=entries.count, minlength=len(types)).astype(np.int64)
    rows_of_reason = np.bincount(entries.reason, weights=entries.count, minlength=len(REASONS)).astype(np.int64)
    reasons = {REASONS[r]: int(n) for r, n in enumerate(rows_of_reason.tolist()) if r and n}
    unknown_types = {
        value: n
        for value, (_, known), n in zip(entries.types, types, rows_of_type.tolist(), strict=True)
        if n and not known
    }
    unknown_forces = {
        value
        for value, (_, known, _), present in zip(entries.forces, forces, present_forces, strict=True)
        if present and not known
    }
    not_crime = np.array([not CATEGORIES[category].is_crime for category, _ in types], dtype=bool)
    asb = int(entries.count[not_crime[entries.type]].sum()) if len(types) else 0
    area_codes, area_names = places.area_columns()
    rows = Counted(
        period_start=np.array([tally.parsed[m] for m in entries.months], dtype="datetime64[ns]")[entries.month],
        force=np.array([force for force, _, _ in forces], dtype=object)[entries.force],
        area_code=area_codes[entries.area],
        area_name=area_names[entries.area],
        category=np.array([category for category, _ in types], dtype=object)[entries.type],
        count=entries.count,
    )
    counted = rows.total()
    hashes = tally.id_hashes
    quality = quality_record(
        path=file.label,
        source=SOURCE.name,
        rows_read=tally.rows_read,
        rows_counted=counted,
        count=counted,
        area_by="lsoa",
        problems={
            "rows_no_area": {k: reasons[k] for k in sorted(reasons) if k != "lsoa_name_fallback"},
            "lsoa_name_fallback": reasons.get("lsoa_name_fallback", 0),
            "unknown_crime_types": {k: unknown_types[k] for k in sorted(unknown_types)},
            "unknown_forces": sorted(unknown_forces),
            "duplicate_crime_ids": tally.duplicate_ids,
            "asb_share": round(asb / tally.rows_read, 4) if tally.rows_read else 0.0,
            "months": sorted(month_label(tally.parsed[m]) for m in months),
            **_geography_quality(tally, places, boundaries, months),
            **checks,
        },
    )
    if unknown_types:  # a read and a store refresh alike say so as each file is read
        logger.warning("%s: unknown crime types %s", file.label, quality.unknown["crime_types"])
    return rows, quality, hashes, (street_records(tally, places) if records else None), tally.digest


#: The month a file's name gives, parsed once per name (a read of thousands of files meets a few dozen).
_named_month = functools.lru_cache(maxsize=1024)(parse_month)


def _file_coverage(file: StreetFile, rows: Counted, wanted_forces: set[str] | None) -> list[dict]:
    """What a street file covers: every area of its force in its month, whatever categories have rows.

    The force and month are those the file's name gives (data.police.uk names each file for one
    force and month); a file named otherwise covers the forces and months its rows hold.
    """
    force = force_of_slug(file.force_slug) if file.force_slug else None
    forces_ = [force] if force else sorted(set(rows.force.tolist()))
    months = [_named_month(file.month)] if file.month else [pd.Timestamp(m) for m in np.unique(rows.period_start)]
    return [
        {"source": SOURCE.name, "force": f, "period_start": m, "period_months": 1}
        for f in forces_
        for m in months
        if wanted_forces is None or f in wanted_forces
    ]


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
        and listed in ``attrs["duplicate_files"]``. ``attrs["duplicate_crime_ids_across_files"]``
        counts crime IDs met more than once among the files of each month (one month's IDs are
        held at a time; the Northern Ireland files reuse IDs from month to month).

    Notes
    -----
    Files are read in blocks of whole lines by pyarrow, each distinct month, force, LSOA code and
    crime type is looked up once per read, and rows are aggregated on integer codes before any
    pandas object is made; two threads read the next files meanwhile, in order. Memory is
    bounded by a few blocks (``crimestats.io.street_blocks.BLOCK_BYTES``) and the aggregated
    counts, whatever the number or size of the files (``docs/performance.md``).

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
    places = Places(boundaries)
    canonical = CountedRows(path, source=SOURCE.name)
    qualities, record_parts, covered = [], [], []
    same_as = same_content(files)
    duplicate_files = [{"file": label, "same_as": first} for label, first in same_as.items()]
    crime_ids = CrimeIdTally()
    # The same file reached twice (`2017-01/` and `copy/2017-01/`) is read once, never summed twice.
    for label, first in same_as.items():
        logger.warning("%s: same content as %s; read once", label, first)
    files = [file for file in files if file.label not in same_as]
    parts_of = functools.partial(
        _file_parts, places=places, records=records, boundaries=boundaries, trust_content=trust_content
    )
    # Closed on any error, so the reading threads stop rather than read on unseen.
    with contextlib.closing(read_street_files(files, places, months=month_set, records=records, then=parts_of)) as read:
        for file, parts in zip(progress_bar(files, progress, "police.uk files"), read, strict=True):
            file_rows, quality, file_hashes, file_records, _ = parts
            covered += _file_coverage(file, file_rows, wanted_forces)
            if wanted_forces is not None:
                file_rows = file_rows.where(np.isin(file_rows.force, list(wanted_forces)))
                quality.rows_counted = quality.count = file_rows.total()
                if file_records is not None:
                    file_records = file_records[file_records["force"].isin(wanted_forces)]
            canonical.add(file.month, file_rows)
            qualities.append(quality)
            crime_ids.add(_id_month(file, quality), file_hashes)
            if file_records is not None:
                record_parts.append(file_records)
    if not qualities:
        raise SourceFormatError(path, "no street files match the months and forces asked for")
    # The last month's crime IDs are sorted (numpy, without the GIL) while the counts are made.
    duplicate_ids = in_background(crime_ids.duplicates, name="crimestats-crime-ids")
    counts, coverage = canonical.result(), make_coverage(covered)
    return _result(
        counts,
        coverage,
        qualities,
        record_parts if records else None,
        ignored=ignored,
        duplicate_files=duplicate_files,
        duplicate_ids=duplicate_ids.result(),
    )


def _result(
    counts: pd.DataFrame,
    coverage: pd.DataFrame,
    qualities: list[FileQuality],
    record_parts: list[pd.DataFrame] | None,
    *,
    ignored: list[str],
    duplicate_files: list[dict[str, str]],
    duplicate_ids: int,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A read's counts and (when ``record_parts`` is given) records, with coverage, quality records and attrs."""
    counts = attach(counts, coverage=coverage, quality=qualities)
    counts.attrs["ignored_files"] = ignored
    counts.attrs["duplicate_files"] = duplicate_files
    counts.attrs["duplicate_crime_ids_across_files"] = duplicate_ids
    if record_parts is None:
        return counts, None
    recs = attach(pd.concat(record_parts, ignore_index=True), coverage=coverage, quality=qualities)
    recs.attrs.update({k: counts.attrs[k] for k in ("ignored_files", "duplicate_files")})
    return counts, recs


def _id_month(file: StreetFile, quality: FileQuality) -> str | None:
    """The month whose files a file's crime IDs are compared with: its name's, else its first row month's."""
    return file.month or (quality.months[0] if quality.months else None)


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


#: Units made canonical together while the reading threads go on with the next (a store refresh).
#: Making a batch canonical holds the GIL the reading threads need for their per-file work, and
#: costs much the same for a few rows as for many: fewer, larger batches read faster.
UNITS_AT_ONCE = 1024
#: The same when records are kept: a unit's record rows are held until its batch is handed on.
RECORD_UNITS_AT_ONCE = 256


def ingest_many(
    paths: Sequence[str | Path], *, records: bool = False, **options: object
) -> Iterator[tuple[pd.DataFrame | None, pd.DataFrame | None, Exception | None]]:
    """Counts, records and error of each unit in ``paths`` (one per path, in order), read in one pass.

    What :meth:`crimestats.sources.Source.load_many` calls: :func:`ingest_batches`, each batch split into its units.
    """
    for batch in ingest_batches(paths, records=records, **options):
        yield from batch.split()


def ingest_batches(
    paths: Sequence[str | Path], *, records: bool = False, boundaries: str | int | None = None, **options: object
) -> Iterator[UnitBatch]:
    """The units in ``paths`` read in one pass, handed on :data:`UNITS_AT_ONCE` at a time as one :class:`UnitBatch`.

    What a store refresh reads police.uk files with: the units' files go through one parsing
    pipeline with one set of look-ups, and the counts of every :data:`UNITS_AT_ONCE` units
    (:data:`RECORD_UNITS_AT_ONCE` with ``records``) are validated together, as one frame, and
    handed on while the next are read, so a refresh of thousands of small files pays no per-file
    fixed cost. A unit's error (any of its files) is its own; the others are read all the same.
    With ``digests``, a unit that is one plain street file has its content digest taken from the
    bytes read (:attr:`UnitBatch.digests`).
    """
    trust_content = bool(options.pop("trust_content", False))
    digests = bool(options.pop("digests", False))
    places = Places(boundaries)
    units: list[dict | None] = []
    files: list[StreetFile] = []
    owner: dict[str, int] = {}
    for index, path in enumerate(paths):
        unit: dict = {"rows": [], "qualities": [], "covered": [], "records": [], "hashes": [], "error": None}
        unit["digest"] = None
        units.append(unit)
        try:
            found, ignored, _ = select_files(path, None, None)
            same = same_content(found)
        except CrimestatsError as error:
            unit["error"] = error
            continue
        unit.update(ignored=ignored, duplicate_files=[{"file": k, "same_as": v} for k, v in same.items()])
        # A unit that is one file is digested as it is read (a folder's or a zip's digest is not its files').
        # (discover() names a file given by its path as str(Path(path)); a path spelt otherwise is digested from disk.)
        unit["whole"] = len(found) == 1 and found[0].archive is None and found[0].name == os.fspath(path)
        for file in found:
            if file.label not in same:
                files.append(file)
                owner[file.label] = index
    done = 0  # units before this one have been handed on
    at_once = RECORD_UNITS_AT_ONCE if records else UNITS_AT_ONCE
    parts_of = functools.partial(
        _file_parts, places=places, records=records, boundaries=boundaries, trust_content=trust_content
    )
    read = read_street_files(files, places, records=records, isolate=True, then=parts_of, digests=digests)
    with contextlib.closing(read) as results:
        for file, result in zip(files, results, strict=True):
            index = owner[file.label]
            # Files come in unit order: the units before are complete. The units after the last full batch
            # are validated once the last file is read: a batch validated while the threads still read
            # holds the GIL they wait for (a 5 M-row refresh took 4% longer with its last 32 units apart).
            if index - done >= at_once:
                yield _finished(units, paths, range(done, index), records)
                done = index
            unit = units[index]
            if unit["error"] is not None:  # type: ignore[index]
                continue
            if isinstance(result, FileError):  # its reading, or its counts and quality record, failed
                unit["error"] = result.error  # type: ignore[index]
                continue
            file_rows, quality, hashes, file_records, digest = result
            if unit["whole"]:  # type: ignore[index]
                unit["digest"] = digest  # type: ignore[index]
                # A unit of one file repeats the crime IDs the file repeats, which its quality record counts:
                # no unit's hashes are held until its batch is handed on.
                unit["repeated_ids"] = quality.duplicate_crime_ids  # type: ignore[index]
            else:
                unit["hashes"].append((_id_month(file, quality), hashes))  # type: ignore[index]
            unit["rows"].append(file_rows)  # type: ignore[index]
            unit["qualities"].append(quality)  # type: ignore[index]
            unit["covered"] += _file_coverage(file, file_rows, None)  # type: ignore[index]
            if file_records is not None:
                unit["records"].append(file_records)  # type: ignore[index]
    yield _finished(units, paths, range(done, len(units)), records)


def _finished(units: list[dict | None], paths: Sequence[str | Path], batch: range, records: bool) -> UnitBatch:
    """The units in ``batch`` as one :class:`UnitBatch`, their counts validated together; each unit then let go."""
    for i in batch:
        unit = units[i]
        if unit["error"] is None and not unit["qualities"]:  # type: ignore[index]
            unit["error"] = SourceFormatError(paths[i], "no street files to read")  # type: ignore[index]
    index = [i for i in batch if units[i]["error"] is None]  # type: ignore[index]
    good: list[dict] = [units[i] for i in index]  # type: ignore[misc]
    errors = [units[i]["error"] for i in batch]  # type: ignore[index]
    for i in batch:
        units[i] = None
    if not good:
        return UnitBatch(errors=errors, split=lambda: iter([(None, None, error) for error in errors]))
    counts, counts_at, coverage, coverage_at = _canonical_units(good, index)
    return UnitBatch(
        errors=errors,
        counts=counts,
        counts_at=counts_at,
        coverage=coverage,
        coverage_at=coverage_at,
        qualities=[unit["qualities"] for unit in good],
        records=[unit["records"] if records else None for unit in good],
        digests=[unit["digest"] for unit in good],
        split=lambda: _split(errors, good, counts, counts_at, coverage, coverage_at, records),
    )


def _canonical_units(good: list[dict], index: list[int]) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    """The counts and coverage of the ``good`` units (numbered ``index``), each unit a run of rows of both."""
    parts = [rows for unit in good for rows in unit["rows"]]
    units = np.repeat(index, [sum(len(rows) for rows in unit["rows"]) for unit in good])
    # Summed within each unit (the unit is a key: no row of one unit is summed into another's),
    # in the order a single unit's counts have; then validated once for every unit.
    raw, units = Counted.concat(parts).summed(unit=units)
    counts = canonical_counts(
        raw.frame(), source=SOURCE.name, path=f"{len(good)} {SOURCE.label} files", aggregated=True
    )
    if int(counts["count"].sum()) != raw.total():  # pragma: no cover - a reader bug
        raise SourceFormatError(None, "internal error: counts in and out differ")
    covered = [{**row, "unit": i} for i, unit in zip(index, good, strict=True) for row in unit["covered"]]
    coverage = make_coverage(covered, keep=["unit"])
    # Both tables are in unit order: each unit's rows are one slice.
    row_at = np.searchsorted(units, [*index, index[-1] + 1])
    cover_at = np.searchsorted(coverage["unit"].to_numpy(), [*index, index[-1] + 1])
    return counts, row_at, coverage.drop(columns="unit"), cover_at


def _split(
    errors: list[Exception | None],
    good: list[dict],
    counts: pd.DataFrame,
    row_at: np.ndarray,
    coverage: pd.DataFrame,
    cover_at: np.ndarray,
    records: bool,
) -> Iterator[tuple[pd.DataFrame | None, pd.DataFrame | None, Exception | None]]:
    """Each unit of a batch as ``(counts, records, error)``, with its own coverage, quality records and attrs."""
    n = 0
    for error in errors:
        if error is not None:
            yield None, None, error
            continue
        unit = good[n]
        part = counts.iloc[row_at[n] : row_at[n + 1]]
        part.index = pd.RangeIndex(len(part))
        unit_coverage = coverage.iloc[cover_at[n] : cover_at[n + 1]]
        unit_coverage.index = pd.RangeIndex(len(unit_coverage))
        repeated = unit.get("repeated_ids")
        if repeated is None:  # a folder or zip: IDs repeated across its files of a month
            ids = CrimeIdTally()
            for month, hashes in unit["hashes"]:
                ids.add(month, hashes)
            repeated = ids.duplicates()
        n += 1
        yield (
            *_result(
                part,
                unit_coverage,
                unit["qualities"],
                unit["records"] if records else None,
                ignored=unit["ignored"],
                duplicate_files=unit["duplicate_files"],
                duplicate_ids=repeated,
            ),
            None,
        )


def ingest(path: str | Path, *, records: bool = False, **options: object) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Counts, and records when asked, of a street file, folder or zip from one parse (:attr:`Source.ingest`)."""
    return _read(path, records=records, **options)  # type: ignore[arg-type]
