"""Where a snapshot's numbers come from: date produced, crimestats version, source files and editions, method.

Every output of a snapshot (Markdown, HTML, Word, Excel) carries this, so a number pasted into a
report can be traced to the file and edition it was computed from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import PurePath

import pandas as pd

from ..counts import quality_of
from ..sources import label as source_label
from ..text import join_words

#: The method note printed with every snapshot (``docs/methodology.md`` has the detail).
METHOD_NOTE = (
    "Counts are police recorded crime, summed over the areas, offences and months asked for; percentage changes "
    "and rates are recomputed from those sums, never averaged. Each area is compared only over months its source "
    "covered: a month a source did not cover is missing, never zero, and a peer area without it is left out of "
    "the ranking with the reason. Ranks run from 1, the lowest increase (or largest reduction) in the peer group. "
    "A change is called statistically significant when an exact Poisson test of the two counts gives p < 0.05; "
    "small counts rarely are. Rates are per 1,000 residents, using the ONS mid-year population estimate of the "
    "year the period starts in. Flagged offences (business crime) are also counted in their offence lines and are "
    "never added to them. Recorded crime reflects reporting and recording practice as well as offending."
)

_YEAR_ENDING = re.compile(r"yearending([a-z]+)(\d{4})(?:\D*?v(\d+))?", re.IGNORECASE)
_HO_YEAR = re.compile(r"tables(\d{4})(\d{2})\b", re.IGNORECASE)
_MONTHS = re.compile(r"(?<!\d)(\d{4}-\d{2})(?!\d)")


@dataclass(frozen=True)
class Provenance:
    """Date produced, crimestats version, source files with their editions, and the method note.

    Attributes
    ----------
    produced
        The date the snapshot was produced.
    version
        The crimestats version that produced it.
    files
        One row per source file: ``source`` (registry name), ``label`` (as charts name it),
        ``file`` (its name, never a full path), ``table`` (e.g. ``P1`` for an ONS workbook) and
        ``edition`` (the publication or the months it holds).
    method
        The one-paragraph method note.
    """

    produced: dt.date
    version: str
    files: pd.DataFrame = field(repr=False)
    method: str = METHOD_NOTE

    def source_lines(self) -> list[str]:
        """One line per source: its label, files and editions ("ONS ...: table P1 of ... (year ending March 2018)")."""
        lines = []
        for label, part in self.files.groupby("label", sort=True):
            if len(part) > 3:
                editions = sorted(set(part["edition"]))
                first, last = part["file"].min(), part["file"].max()
                what = f"{len(part)} files, {first} to {last} ({editions[0]} to {editions[-1]})"
            else:
                what = join_words(
                    [
                        (f"table {row.table} of " if row.table else "") + f"{row.file} ({row.edition})"
                        for row in part.itertuples()
                    ]
                )
            lines.append(f"{label}: {what}")
        return lines

    def produced_line(self) -> str:
        """The line dating the snapshot: "Produced on 26 November 2026 with crimestats 0.1.0"."""
        return f"Produced on {self.produced:%-d %B %Y} with crimestats {self.version}."


def edition(file: str, months: list[str] | None = None) -> str:
    """A source file's edition, from its name (as publishers write it) or the months it holds.

    Examples
    --------
    >>> edition("policeforceareatablesyearendingmarch2018v2.xlsx")
    'year ending March 2018, version 2'
    >>> edition("prc-pfa-mar2013-onwards-tables201718.csv")
    '2017/18 edition'
    >>> edition("2017-01-city-of-london-street.csv")
    '2017-01'
    >>> edition("extract.csv.gz", ["2016-04", "2016-05", "2018-03"])
    'April 2016 to March 2018'
    """
    name = PurePath(file.split("!")[-1]).name
    match = _YEAR_ENDING.search(name)
    if match:
        text = f"year ending {match.group(1).capitalize()} {match.group(2)}"
        return text + (f", version {match.group(3)}" if match.group(3) else "")
    match = _HO_YEAR.search(name)
    if match:
        return f"{match.group(1)}/{match.group(2)} edition"
    match = _MONTHS.search(name)
    if match:
        return match.group(1)
    if months:
        first, last = pd.Timestamp(min(months)), pd.Timestamp(max(months))
        return f"{first:%B %Y} to {last:%B %Y}"
    return "edition not stated"


def crimestats_version() -> str:
    """The installed crimestats version."""
    try:
        return metadata.version("crimestats")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def provenance_of(counts: pd.DataFrame, *, produced: dt.date | None = None) -> Provenance:
    """The provenance of a snapshot of ``counts``: the files its readers recorded, or its sources.

    Counts built by hand (or read back from a store) carry no file record: each source is then
    listed once with the months its rows hold.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> provenance_of(counts).source_lines()
    ['Home Office police recorded crime: west-midlands-csp-prc-2016-2018.csv (April 2016 to March 2018)']
    """
    rows = []
    for quality in quality_of(counts):
        months = list(quality.months) or _months_of(counts[counts["source"] == quality.source])
        rows.append(
            {
                "source": quality.source,
                "label": source_label(quality.source),
                "file": _file_name(quality.file),
                "table": str(quality.details.get("table", "") or ""),
                "edition": edition(quality.file, months),
            }
        )
    if not rows:
        for source, part in counts.groupby("source", observed=True):
            rows.append(
                {
                    "source": str(source),
                    "label": source_label(str(source)),
                    "file": "(not recorded)",
                    "table": "",
                    "edition": edition("", _months_of(part)),
                }
            )
    files = pd.DataFrame(rows, columns=["source", "label", "file", "table", "edition"])
    return Provenance(produced=produced or dt.date.today(), version=crimestats_version(), files=files)


def _file_name(file: str) -> str:
    """A file's name without the folders of this machine; "archive.zip!member" keeps its member."""
    archive, _, member = file.partition("!")
    return PurePath(archive).name + (f"!{member}" if member else "")


def _months_of(rows: pd.DataFrame) -> list[str]:
    if rows.empty:
        return []
    last = rows["period_start"].max()
    span = int(rows.loc[rows["period_start"] == last, "period_months"].max())
    return [f"{rows['period_start'].min():%Y-%m}", f"{last + pd.DateOffset(months=span - 1):%Y-%m}"]
