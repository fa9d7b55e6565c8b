"""What every ONS published table shares: footnote markers, the label vocabulary, titles and cells.

ONS spreadsheets change their furniture between editions: footnote markers written straight
after a word (``WALES8``), after a space (``Lancashire 8``), as ``[note 3]`` or ``(2006)``;
``..`` (earlier editions) or ``[x]`` (newer) for a cell the force did not supply; a title saying
"year ending June 18" or "year ending December 2022". This module reads all of them, so the
force-table and CSP-table readers (:mod:`crimestats.io.ons`, :mod:`crimestats.io.ons_csp`) only
describe their own layout. Offence headings are matched through one vocabulary: the P1 lines of
``data/ons_lines.csv`` with their ``p1_label`` and ``variants`` (see ``docs/sources.md``).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

from ..counts import COVERED, NOT_PUBLISHED
from ..exceptions import SourceFormatError
from ..taxonomy import P1Line, p1_lines

#: Headings that only span other columns and hold no cells of their own.
SPANNING_HEADINGS = frozenset({"victim based crime", "other crimes against society"})
#: Cell markers for a figure the force did not supply or ONS does not publish: "not published"
#: in coverage, never 0. ``-`` (older editions: "not applicable" or a base under 50) is one too.
NOT_PUBLISHED_MARKERS = frozenset({"..", "[x]", "-", "[u]", "[z]", "[c]", "[u1]", ":"})

_NOTE = re.compile(r"\[\s*note\s*\d+\s*\]", re.IGNORECASE)
_PAREN_DIGITS = re.compile(r"\s*\(\d+(?:,\s*\d+)*\)\s*$")
_ATTACHED_DIGITS = re.compile(r"(?<=[A-Za-z)])\d+(?:,\d+)*")
_TRAILING_DIGITS = re.compile(r"(?<=[A-Za-z)])\s+\d+(?:,\s*\d+)*\s*$")
_CODE = re.compile(r"^([A-Z]\d{8})\d*$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_YEAR_ENDING = re.compile(rf"year\s+ending\s+{_MONTH}\s*'?(\d{{4}}|\d{{2}})", re.IGNORECASE)
_SPAN = re.compile(rf"{_MONTH}\s*'?(\d{{4}}|\d{{2}})\s+to\s+{_MONTH}\s*'?(\d{{4}}|\d{{2}})", re.IGNORECASE)


def strip_footnote(label: object) -> str:
    """A table label without its footnote markers, whitespace collapsed.

    Examples
    --------
    >>> [strip_footnote(s) for s in ("WALES8", "Lancashire 8", "Stalking and harassment 5", "Surrey [note 5]")]
    ['WALES', 'Lancashire', 'Stalking and harassment', 'Surrey']
    >>> strip_footnote("British Transport Police(2006)")
    'British Transport Police'
    >>> strip_footnote("Total recorded crime (excluding fraud3)")
    'Total recorded crime (excluding fraud)'
    """
    text = _NOTE.sub(" ", str(label))
    text = re.sub(r"\s+", " ", text).strip()
    text = _PAREN_DIGITS.sub("", text)
    text = _ATTACHED_DIGITS.sub("", text)
    return _TRAILING_DIGITS.sub("", text).strip()


def label_key(label: object) -> str:
    """A heading as the vocabulary matches it: footnotes stripped, lower case, punctuation as spaces."""
    return re.sub(r"[^a-z0-9]+", " ", strip_footnote(label).lower()).strip()


@cache
def _vocabulary() -> dict[str, P1Line]:
    words: dict[str, P1Line] = {}
    for line in p1_lines():
        for spelling in (line.name, line.label, *line.variants):
            words[label_key(spelling)] = line
    return words


def line_for(label: object) -> P1Line | None:
    """The ONS offence line a column heading names, by the vocabulary of ``data/ons_lines.csv``.

    Examples
    --------
    >>> line_for("Miscellaneous crimes against society").name
    'miscellaneous crimes against society'
    >>> line_for("Non-residential  burglary5,6").name, line_for("All other theft offences").name
    ('non-residential burglary', 'other theft offences')
    >>> line_for("Victim-based crime") is None
    True
    """
    return _vocabulary().get(label_key(label))


@cache
def total_line() -> P1Line:
    """The aggregate every leaf line is part of: "total recorded crime (excluding fraud)"."""
    lines = p1_lines()
    return next(t for t in lines if not t.leaf and all(t.name in leaf.part_of for leaf in lines if leaf.leaf))


def absent_lines(found: set[P1Line], *, path: Path, table: str) -> dict[str, str]:
    """The lines a table has no column for, each with where its offences are counted instead.

    A line newer than the edition (death or serious injury caused by unlawful driving, a line
    since year ending June 2017) is counted inside the line it was taken from
    (``codes_taken_from`` in ``data/ons_lines.csv``), so its absence loses nothing: reported, not an
    error. Any other line missing is an error naming it.
    """
    missing = [line for line in p1_lines() if line not in found]
    lost = [line.label for line in missing if not line.codes_taken_from]
    if lost:
        raise SourceFormatError(path, f"table {table}: columns not found: {lost}")
    return {line.label: f"counted in {line.codes_taken_from}" for line in missing}


def clean_code(value: object) -> str | None:
    """An ONS area code without a footnote digit run on ("E230000118" -> "E23000011"); None if blank."""
    if value is None or pd.isna(value) or not str(value).strip():
        return None
    text = str(value).strip()
    match = _CODE.match(text)
    return match.group(1) if match else text


def month_start(month: str, year: str) -> pd.Timestamp:
    """First day of a month written as an abbreviation and a 2- or 4-digit year."""
    number = _MONTHS.index(month[:3].lower()) + 1
    full = int(year) if len(year) == 4 else 2000 + int(year)
    return pd.Timestamp(year=full, month=number, day=1)


def title_period(title: object, *, path: Path, table: str) -> pd.Timestamp:
    """The first month of the 12-month window a title's "year ending <Month> <YY|YYYY>" names.

    Examples
    --------
    >>> title_period("Table P1: ..., year ending June 181,2", path=Path("x"), table="P1")
    Timestamp('2017-07-01 00:00:00')
    >>> title_period("Table C3: ..., year ending December 2022 [note 1]", path=Path("x"), table="C3")
    Timestamp('2022-01-01 00:00:00')
    """
    match = _YEAR_ENDING.search(str(title))
    if not match:
        raise SourceFormatError(path, f"table {table}: cannot find 'year ending <Month> <year>' in the title {title!r}")
    end = month_start(match.group(1), match.group(2))
    return end - pd.DateOffset(months=11)


def span(label: object) -> tuple[pd.Timestamp, int] | None:
    """(first month, months) of a column spanning "Apr '10 to Mar '11" or "Jan '18 to Dec '18"; else None."""
    match = _SPAN.search(str(label))
    if not match:
        return None
    start = month_start(match.group(1), match.group(2))
    end = month_start(match.group(3), match.group(4))
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return start, months


def read_sheet(path: Path, table: str) -> pd.DataFrame:
    """The cells of the sheet named ``table`` or ``Table <table>`` as an object grid (no header)."""
    if not path.exists():
        raise SourceFormatError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise SourceFormatError(path, "file is empty")
    try:
        sheets = pd.ExcelFile(path, engine="openpyxl")
    except Exception as error:  # the engine raises many types (BadZipFile, KeyError, XML errors) for one cause
        raise SourceFormatError(path, f"not a readable xlsx workbook: {error}") from error
    name = next((s for s in sheets.sheet_names if re.fullmatch(rf"(table\s*)?{table}", s.strip(), re.IGNORECASE)), None)
    if name is None:
        raise SourceFormatError(path, f"workbook has no table {table} (sheets: {sheets.sheet_names})")
    return pd.read_excel(sheets, sheet_name=name, header=None, dtype=object)


def sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook (for readers that read every table of a kind)."""
    try:
        return list(pd.ExcelFile(path, engine="openpyxl").sheet_names)
    except Exception as error:  # see read_sheet
        raise SourceFormatError(path, f"not a readable xlsx workbook: {error}") from error


def is_blank(value: object) -> bool:
    """True for a missing or whitespace-only cell."""
    return value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip()


def parse_cells(values: pd.Series, *, path: Path, label: str, whole: bool = True) -> tuple[pd.Series, pd.Series]:
    """Numbers of a column and which cells are "not published" (``..``, ``[x]``, ``-``).

    ``values`` is indexed by 0-based sheet row. Returns (numbers as Float64 with <NA> for blank
    or not published cells, a boolean mask of not-published cells). Anything else that is not a
    number (or, with ``whole``, not a whole number) is an error naming the sheet row and column.
    """
    text = values.map(lambda v: str(v).strip() if not is_blank(v) else "")
    marker = text.str.lower().isin(NOT_PUBLISHED_MARKERS)
    numbers = pd.to_numeric(text.where(~marker & (text != "")).str.replace(",", "", regex=False), errors="coerce")
    bad = numbers.isna() & ~marker & (text != "")
    if whole:
        bad |= numbers.notna() & (numbers != numbers.round())
    if bad.any():
        first = bad[bad].index[0]
        raise SourceFormatError(
            path, f"{values.loc[first]!r} is not a {'count' if whole else 'number'}", row=int(first) + 1, column=label
        )
    return numbers.astype("Float64"), marker


def cell_coverage(
    source: str,
    force: str,
    period: pd.Timestamp,
    missing: list[str],
    table: str,
    *,
    area_code: object = pd.NA,
    area_name: object = pd.NA,
) -> dict[str, object]:
    """The coverage row of one force (or CSP) and year of an ONS table: covered, or not published and which lines."""
    return {
        "source": source,
        "force": force,
        "area_code": area_code,
        "area_name": area_name,
        "period_start": period,
        "period_months": 12,
        "status": NOT_PUBLISHED if missing else COVERED,
        "note": f"{table}: not published ({', '.join(missing)})" if missing else pd.NA,
    }
