"""data.police.uk street files as found: where they are, what their names say, and checks that names and rows agree.

A download is a ``*-street.csv``, a ``YYYY-MM/`` folder tree or the zip; each file is named for
one force and month. :mod:`crimestats.io.police_uk` reads what is listed here.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..areas import force_name, force_names
from ..exceptions import SourceFormatError, UnknownAreaError
from ..periods import parse_month
from .structure import CheckedCsv, load_csv

logger = logging.getLogger(__name__)

STREET_FILE = re.compile(r"(?:^|/)(\d{4}-\d{2})-([a-z0-9-]+)-street\.csv$", re.IGNORECASE)
#: The other files of a data.police.uk download: real, but not crime counts.
COMPANION_FILE = re.compile(r"-(outcomes|stop-and-search)\.csv$", re.IGNORECASE)


@dataclass(frozen=True)
class StreetFile:
    """One street file: where it is (a path, or a member of a zip) and the month and force it names."""

    name: str
    month: str | None
    force_slug: str | None
    archive: Path | None = None
    #: The file's bytes once :func:`load` has checked their structure (then read from memory).
    content: CheckedCsv | None = field(default=None, compare=False, repr=False)

    def open(self) -> io.BufferedIOBase:
        """Open for binary reading (zip members are streamed, never unpacked to disk)."""
        if self.content is not None:
            return self.content.stream()
        if self.archive is not None:
            return zipfile.ZipFile(self.archive).open(self.name)  # type: ignore[return-value]
        if self.name.lower().endswith(".gz"):  # a street file someone gzipped: read it decompressed
            return gzip.open(self.name, "rb")  # type: ignore[return-value]
        return open(self.name, "rb")

    @property
    def label(self) -> str:
        """The file as named in messages: ``archive.zip!member`` for zip members."""
        return f"{self.archive}!{self.name}" if self.archive else self.name


def discover(path: str | Path) -> tuple[list[StreetFile], list[str]]:
    """Street files under ``path`` (a CSV, a folder tree or a zip), and the other files ignored."""
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "does not exist")
    if path.is_dir():
        names = sorted(str(p) for p in path.rglob("*.csv"))
        archive = None
    elif path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zipped:
                names = sorted(n for n in zipped.namelist() if n.lower().endswith(".csv"))
        except zipfile.BadZipFile as error:
            raise SourceFormatError(path, f"not a readable zip archive: {error}") from error
        archive = path
    else:
        match = STREET_FILE.search(path.name)
        return [StreetFile(str(path), *(match.groups() if match else (None, None)))], []
    files, ignored = [], []
    for name in names:
        match = STREET_FILE.search(name.replace("\\", "/"))
        if match:
            files.append(StreetFile(name, match.group(1), match.group(2).lower(), archive))
        else:
            ignored.append(name)
    if not files:
        raise SourceFormatError(
            path, f"holds no data.police.uk street files (*-street.csv); found {len(ignored)} other CSV files"
        )
    return files, ignored


def _wanted(files: list[StreetFile], months: Sequence[str] | None, forces: Sequence[str] | None) -> list[StreetFile]:
    keep = files
    if months is not None:
        wanted = {f"{parse_month(m):%Y-%m}" for m in months}
        keep = [f for f in keep if f.month is None or f.month in wanted]
    if forces is not None:
        wanted_forces = {force_name(f) for f in forces}
        keep = [f for f in keep if f.force_slug is None or force_of_slug(f.force_slug) in wanted_forces]
    return keep


def select_files(
    path: str | Path, months: Sequence[str] | None, forces: Sequence[str] | None
) -> tuple[list[StreetFile], list[str], set[str] | None]:
    """Street files to read (filtered by the months and forces named in their names), ignored files, months."""
    files, ignored = discover(path)
    month_set = None if months is None else {f"{parse_month(m):%Y-%m}" for m in months}
    return _wanted(files, months, forces), ignored, month_set


def force_of_slug(slug: str) -> str | None:
    """The force a file name's slug names ("city-of-london" -> "London, City of"), or None."""
    try:
        return force_name(slug.replace("-", " "))
    except UnknownAreaError:
        return None


def load(file: StreetFile) -> StreetFile:
    """The file with its bytes read and structurally checked (one row per line, field counts, no NULs)."""
    if file.content is not None:
        return file
    return replace(file, content=load_csv(file.open, file.label))


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
