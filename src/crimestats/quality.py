"""Data-quality report: what each source file held, what could not be mapped, and which months are missing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import pandas as pd

from .counts import quality_of

#: Why a row of a record-level source has no local area (keys of ``FileQuality.rows_no_area``).
NO_AREA_REASONS = {
    "no_lsoa": "no LSOA code (no location recorded)",
    "national_force": "British Transport Police: a national force, not attributed to local areas",
    "outside_england_wales": "Northern Ireland: no English or Welsh LSOA",
    "unknown_lsoa": "LSOA code in neither the 2011 nor the 2021 lookup and its name matches no area",
    "no_lsoa_columns": "pre-2013 layout (Easting/Northing, no LSOA columns): counted at force level only",
}
#: Keys of ``FileQuality.unknown`` and what they count.
UNKNOWN_KINDS = ("crime_types", "offence_codes", "forces", "areas", "flag_values")
#: What readers found wrong but could read past (keys of ``FileQuality.details``), as reports say it.
FINDINGS = {
    "name_month_disagrees": "the file name gives another month than its rows (read as the rows say)",
    "name_force_disagrees": "the file name gives another force than its rows (read as the rows say)",
    "rows_other_months": "rows of other months than the file's",
    "rows_other_forces": "rows of other forces than the file's",
    "non_numeric_coordinates": "coordinates that are not numbers (missing in records)",
    "blank_lines": "blank lines (skipped)",
    "last_line_unterminated": "the last line has no line break (cut?) at line",
    "dates_ambiguous": "dates",
}


@dataclass
class FileQuality:
    """What one source file held and what could not be mapped: the record every reader returns.

    Read access by key (``quality["rows_no_area"]``) is kept for callers of the first version;
    ``details`` holds what only some sources report (an ONS table's reconciliation mismatches).

    Attributes
    ----------
    file
        The file (``archive.zip!member`` for a zip member).
    source
        The source name (see :mod:`crimestats.sources`).
    rows_read, rows_counted, count
        Data rows read, rows counted, and the sum of counts out (equal to ``rows_counted`` for
        record-level sources).
    rows_no_area
        Rows kept in the force total with no local area, by reason (``NO_AREA_REASONS`` keys
        for LSOA-placed sources; the mapping's column for extracts).
    unknown
        Values not in the taxonomy or registry, by kind (``UNKNOWN_KINDS``), each a tally.
    duplicate_crime_ids
        Crime IDs seen more than once in the file.
    asb_share
        Share of rows that are anti-social behaviour (police.uk), else None.
    months
        The months the file's rows fall in ("YYYY-MM").
    area_by
        How rows were placed in areas ("lsoa", "area", "ward") where the source places them.
    details
        Anything else the source reports.
    """

    file: str
    source: str
    rows_read: int
    rows_counted: int
    count: int
    rows_no_area: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, Any] = field(default_factory=dict)
    duplicate_crime_ids: int = 0
    asb_share: float | None = None
    months: list[str] = field(default_factory=list)
    area_by: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key in _FIELD_NAMES:
            return getattr(self, key)
        if key.startswith("unknown_") and key[len("unknown_") :] in UNKNOWN_KINDS:
            return self.unknown.get(key[len("unknown_") :], {})
        return self.details[key]

    @property
    def tables(self) -> str:
        """Which tables of the file were read ("P1", "C2+C3"), empty for a file that is one table."""
        found = self.details.get("table") or self.details.get("tables") or ""
        return "+".join(map(str, found)) if isinstance(found, list | tuple) else str(found)

    def get(self, key: str, default: Any = None) -> Any:
        """``quality[key]``, or ``default`` when the record has no such item."""
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the store's manifest and ``--json`` output)."""
        return _jsonable(self)  # not dataclasses.asdict: its deep copies cost a refresh 0.1 s per 440 files

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileQuality:
        """Rebuild a record written by :meth:`to_dict` (unknown keys go to ``details``)."""
        known = {k: v for k, v in data.items() if k in _FIELD_NAMES}
        extra = {k: v for k, v in data.items() if k not in _FIELD_NAMES}
        known.setdefault("rows_counted", known.get("rows_read", 0))
        known.setdefault("count", known.get("rows_counted", 0))
        return cls(**{**known, "details": {**known.get("details", {}), **extra}})

    def items(self) -> Iterator[tuple[str, Any]]:
        """(name, value) pairs of the record, as a dict would give them."""
        return iter(self.to_dict().items())


_FIELD_NAMES = frozenset(f.name for f in fields(FileQuality))


def _jsonable(value: Any) -> Any:
    """``value`` as JSON-ready containers: dataclasses and dicts as dicts, sequences and sets as lists."""
    if value is None or type(value) in (str, int, float, bool):  # exact types: numpy's float64 is a float
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


@dataclass(frozen=True)
class QualityReport:
    """Per-file quality records and per-force period coverage of a counts frame.

    Attributes
    ----------
    files
        One row per source file: ``file, source, rows_read, rows_counted, rows_no_area,
        no_area_reasons, unknown_values, duplicate_crime_ids, asb_share, lsoa_vintage, findings, rounded``
        (``lsoa_vintage``: "2011" or "2021" for police.uk files with LSOA codes, else missing;
        ``findings``: the ``FINDINGS`` a reader read past: rows of other months, blank lines, ...;
        ``rounded``: fractional published counts rounded, per body: rows and rounded minus published).
    coverage
        One row per force: ``first, last, periods_present, periods_missing`` (labels of the
        months, quarters or years between the first and last period in the data that are absent).
    area_coverage
        For record-level data, the share of rows with an LSOA code (from territorial forces)
        that were placed in a local area; None when not applicable.
    """

    files: pd.DataFrame
    coverage: pd.DataFrame
    area_coverage: float | None

    def to_text(self) -> str:
        """The report as plain text, as ``crimestats validate`` prints it."""
        lines = []
        for row in self.files.itertuples():
            lines.append(f"{row.file}")
            lines.append(f"  source {row.source}: {row.rows_read:,} rows read, {row.rows_counted:,} counted")
            if row.rows_no_area:
                lines.append(f"  {row.rows_no_area:,} rows with no local area: {row.no_area_reasons}")
            if row.unknown_values:
                lines.append(f"  unknown values (counted as Unclassified or kept as given): {row.unknown_values}")
            if row.duplicate_crime_ids:
                lines.append(f"  {row.duplicate_crime_ids:,} duplicate crime IDs")
            if pd.notna(row.asb_share):
                lines.append(f"  anti-social behaviour: {row.asb_share:.1%} of rows")
            if pd.notna(row.lsoa_vintage):
                lines.append(f"  LSOA codes: the {row.lsoa_vintage} set")
            for name, value in (row.findings or {}).items():
                lines.append(f"  {FINDINGS.get(name, name)}: {value}")
            for body, (rows, difference) in (row.rounded or {}).items():
                lines.append(
                    f"  {body}: {rows:,} fractional published counts rounded to whole numbers "
                    f"(rounded minus published: {difference:+.3f})"
                )
        if self.area_coverage is not None:
            lines.append(f"LSOA -> local area coverage (territorial forces): {self.area_coverage:.2%}")
        lines.append("Periods by force:")
        for row in self.coverage.itertuples():
            missing = f"; missing {', '.join(row.periods_missing)}" if row.periods_missing else ""
            if row.known_gaps:
                missing += f" (known gaps: {'; '.join(sorted(set(row.known_gaps.values())))})"
            lines.append(f"  {row.force}: {row.first} to {row.last}, {row.periods_present} present{missing}")
        return "\n".join(lines)


def _describe(reasons: dict[str, int]) -> str:
    return "; ".join(f"{NO_AREA_REASONS.get(k, k)}: {v:,}" for k, v in reasons.items())


def quality_report(counts: pd.DataFrame) -> QualityReport:
    """Summarise the quality records a reader attached to ``counts`` and its period coverage.

    Parameters
    ----------
    counts
        Canonical counts straight from a reader (or combined with :func:`crimestats.combine`, whose ``quality``
        lists every file).

    Returns
    -------
    QualityReport

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_police_uk(cs.datasets.path("police-uk-city-of-london-2017-01"))
    >>> report = cs.quality_report(counts)
    >>> int(report.files["rows_read"].sum()), report.coverage["periods_present"].tolist()
    (483, [1])
    """
    records = []
    failed = with_lsoa = 0
    for quality in quality_of(counts):
        reasons = dict(quality.rows_no_area)
        records.append(
            {
                "file": quality.file,
                "source": quality.source,
                "rows_read": quality.rows_read,
                "rows_counted": quality.rows_counted,
                "rows_no_area": sum(reasons.values()),
                "no_area_reasons": _describe(reasons),
                "unknown_values": {f"unknown_{kind}": tally for kind, tally in quality.unknown.items() if tally},
                "duplicate_crime_ids": quality.duplicate_crime_ids,
                "asb_share": quality.asb_share,
                "lsoa_vintage": quality.get("lsoa_vintage"),
                "findings": {k: v for k, v in quality.details.items() if k in FINDINGS and v},
                # Fractional published counts (UK Finance) rounded by the reader: rows and rounded - published.
                "rounded": {
                    body: (rows, quality.details.get("fractional_rounding", {}).get(body))
                    for body, rows in (quality.details.get("fractional_counts") or {}).items()
                },
            }
        )
        if quality.area_by == "lsoa":
            outside = sum(reasons.get(k, 0) for k in ("national_force", "outside_england_wales"))
            failed += reasons.get("unknown_lsoa", 0)
            without = reasons.get("no_lsoa", 0) + reasons.get("no_lsoa_columns", 0)
            with_lsoa += quality.rows_counted - outside - without
    files = pd.DataFrame(
        records,
        columns=[
            "file",
            "source",
            "rows_read",
            "rows_counted",
            "rows_no_area",
            "no_area_reasons",
            "unknown_values",
            "duplicate_crime_ids",
            "asb_share",
            "lsoa_vintage",
            "findings",
            "rounded",
        ],
    )
    area_coverage = (1 - failed / with_lsoa) if with_lsoa else None
    return QualityReport(files=files, coverage=period_coverage(counts), area_coverage=area_coverage)


def period_coverage(counts: pd.DataFrame) -> pd.DataFrame:
    """Periods covered and missing per force, between the first and last period the sources covered.

    Uses the counts' coverage (a month a street file covered is present even with no rows of some
    category); missing months that are published gaps in the source are named in ``known_gaps``.
    """
    from .coverage import coverage_table, known_gap

    table = coverage_table(counts)
    table = table[table["status"] == "covered"]
    rows = []
    for (source, months), part in table.groupby(["source", "period_months"], observed=True):
        step = pd.DateOffset(months=int(months))
        expected = pd.date_range(part["period_start"].min(), part["period_start"].max(), freq=step)
        for force, periods in part.groupby("force", observed=True)["period_start"]:
            present = set(periods)
            missing = [p for p in expected if p not in present]
            gaps = {f"{p:%Y-%m}": note for p in missing if (note := known_gap(str(source), str(force), p))}
            rows.append(
                {
                    "force": force,
                    "source": source,
                    "period_months": int(months),
                    "first": f"{min(present):%Y-%m}",
                    "last": f"{max(present):%Y-%m}",
                    "periods_present": len(present),
                    "periods_missing": [f"{p:%Y-%m}" for p in missing],
                    "known_gaps": gaps,
                }
            )
    columns = ["force", "source", "period_months", "first", "last", "periods_present", "periods_missing", "known_gaps"]
    return pd.DataFrame(rows, columns=columns)
