"""Data-quality report: what each source file held, what could not be mapped, and which months are missing."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .io.police_uk import NO_AREA_REASONS


@dataclass(frozen=True)
class QualityReport:
    """Per-file quality records and per-force period coverage of a counts frame.

    Attributes
    ----------
    files
        One row per source file: ``file, source, rows_read, rows_counted, rows_no_area,
        no_area_reasons, unknown_values, duplicate_crime_ids, asb_share, lsoa_vintage``
        (``lsoa_vintage``: "2011" or "2021" for police.uk files with LSOA codes, else missing).
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
        if self.area_coverage is not None:
            lines.append(f"LSOA -> local area coverage (territorial forces): {self.area_coverage:.2%}")
        lines.append("Periods by force:")
        for row in self.coverage.itertuples():
            missing = f"; missing {', '.join(row.periods_missing)}" if row.periods_missing else ""
            lines.append(f"  {row.force}: {row.first} to {row.last}, {row.periods_present} present{missing}")
        return "\n".join(lines)


def _describe(reasons: dict[str, int]) -> str:
    return "; ".join(f"{NO_AREA_REASONS.get(k, k)}: {v:,}" for k, v in reasons.items())


def quality_report(counts: pd.DataFrame) -> QualityReport:
    """Summarise the quality records a reader attached to ``counts`` and its period coverage.

    Parameters
    ----------
    counts
        Canonical counts straight from a reader (or a concatenation whose ``attrs["quality"]``
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
    no_lsoa = failed = with_lsoa = 0
    for quality in counts.attrs.get("quality", []):
        reasons = {k: v for k, v in quality.get("rows_no_area", {}).items() if k != "lsoa_name_fallback"}
        unknown = {
            name: quality[name]
            for name in (
                "unknown_crime_types",
                "unknown_offence_codes",
                "unknown_forces",
                "unknown_areas",
                "unrecognised_flag_values",
            )
            if quality.get(name)
        }
        records.append(
            {
                "file": quality["file"],
                "source": quality["source"],
                "rows_read": quality["rows_read"],
                "rows_counted": quality["rows_counted"],
                "rows_no_area": sum(reasons.values()),
                "no_area_reasons": _describe(reasons),
                "unknown_values": unknown,
                "duplicate_crime_ids": quality.get("duplicate_crime_ids", 0),
                "asb_share": quality.get("asb_share"),
                "lsoa_vintage": quality.get("lsoa_vintage"),
            }
        )
        if quality["source"] == "police.uk":
            outside = sum(reasons.get(k, 0) for k in ("national_force", "outside_england_wales"))
            no_lsoa += reasons.get("no_lsoa", 0)
            failed += reasons.get("unknown_lsoa", 0)
            without = reasons.get("no_lsoa", 0) + reasons.get("no_lsoa_columns", 0)
            with_lsoa += quality["rows_counted"] - outside - without
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
        ],
    )
    area_coverage = (1 - failed / with_lsoa) if with_lsoa else None
    return QualityReport(files=files, coverage=period_coverage(counts), area_coverage=area_coverage)


def period_coverage(counts: pd.DataFrame) -> pd.DataFrame:
    """Periods present and missing per force, between the first and last period in the data."""
    rows = []
    for months, part in counts.groupby("period_months"):
        step = pd.DateOffset(months=int(months))
        expected = pd.date_range(part["period_start"].min(), part["period_start"].max(), freq=step)
        for force, periods in part.groupby("force")["period_start"]:
            present = set(periods)
            rows.append(
                {
                    "force": force,
                    "period_months": int(months),
                    "first": f"{min(present):%Y-%m}",
                    "last": f"{max(present):%Y-%m}",
                    "periods_present": len(present),
                    "periods_missing": [f"{p:%Y-%m}" for p in expected if p not in present],
                }
            )
    return pd.DataFrame(rows, columns=["force", "period_months", "first", "last", "periods_present", "periods_missing"])
