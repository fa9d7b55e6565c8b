"""What each source's files look like: the names, headers and sheets that tell them apart.

The source registry's recognisers and skip rule (:mod:`crimestats.source_kinds`), and the facts
they rest on, kept free of pandas: telling what a file holds never imports a reader, so a
refresh that only has to recognise and hash its files (a download fetched again) starts fast.
The readers use the same facts from here.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..sources import Probe

#: A data.police.uk street file's name: its month and force slug.
STREET_FILE = re.compile(r"(?:^|/)(\d{4}-\d{2})-([a-z0-9-]+)-street\.csv$", re.IGNORECASE)
#: The other files of a data.police.uk download: real, but not crime counts.
COMPANION_FILE = re.compile(r"-(outcomes|stop-and-search)\.csv$", re.IGNORECASE)

#: Home Office open data table: canonical variable -> the column names the publisher has used.
HOME_OFFICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "financial_year": ("Financial Year",),
    "quarter": ("Financial Quarter", "Quarter"),
    "force": ("Force Name", "Police Force", "Force", "Police Force Area"),
    "area": ("CSP Name", "Community Safety Partnership", "CSP"),
    "offence_description": ("Offence Description",),
    "offence_group": ("Offence Group",),
    "offence_subgroup": ("Offence Subgroup",),
    "offence_code": ("Offence Code",),
    "count": ("Number of Offences", "Offence Count", "Number of offences"),
}

_ONS_PFA_SHEET = re.compile(r"table\s*p1")
_ONS_CSP_SHEET = re.compile(r"table\s*c\d+")


def column_key(name: object) -> str:
    """A column name as compared: lower case, every run of other characters one space ("Force Name" -> "force name")."""
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()


def police_uk(probe: Probe) -> float:
    """A folder tree or zip of street files, a file named ``*-street.csv``, or a CSV with the street header."""
    if probe.is_dir:
        return 1 if any(STREET_FILE.search(p.name) for p in probe.path.rglob("*.csv")) else 0
    if probe.suffix == ".zip" or STREET_FILE.search(probe.name):
        return 1
    return 1 if {"crime type", "falls within"} <= set(probe.header) else 0


def police_uk_companion(path: Path) -> str | None:
    """Why a data.police.uk download's outcomes or stop-and-search file is skipped (None for any other file)."""
    return (
        "a data.police.uk outcomes or stop-and-search file, not crime counts"
        if COMPANION_FILE.search(path.name)
        else None
    )


def home_office(probe: Probe) -> float:
    """A CSV whose header has an offence code, a force and a count column; any other workbook as a fallback."""
    if probe.is_spreadsheet:
        return 0.5  # a workbook no more specific source claims: read it and check its columns
    header = _header_keys(tuple(probe.header))
    return 1 if all(header & keys for keys in _home_office_keys()) else 0


@lru_cache(maxsize=256)
def _header_keys(header: tuple[str, ...]) -> frozenset[str]:
    """The keys of a header's columns (a download's thousands of files share a few headers)."""
    return frozenset(column_key(name) for name in header)


@cache
def _home_office_keys() -> tuple[frozenset[str], ...]:
    """The keys of the spellings of the force, offence-code and count columns (keyed once, not per file probed)."""
    return tuple(frozenset(column_key(n) for n in HOME_OFFICE_COLUMNS[v]) for v in ("force", "offence_code", "count"))


def ons_pfa(probe: Probe) -> float:
    """An xlsx workbook with a "Table P1" sheet: the ONS police force area tables."""
    return 1 if probe.is_spreadsheet and any(_ONS_PFA_SHEET.fullmatch(s) for s in probe.sheets) else 0


def ons_csp(probe: Probe) -> float:
    """An xlsx with "Table Cn" sheets: the ONS CSP tables.

    A force-table workbook (with "Table P1") that also carries CSP tables stays the force tables'
    (read its CSP tables with :func:`crimestats.read_ons_csp`).
    """
    if not probe.is_spreadsheet:
        return 0
    has_csp = any(_ONS_CSP_SHEET.fullmatch(s) for s in probe.sheets)
    return 1 if has_csp and not any(_ONS_PFA_SHEET.fullmatch(s) for s in probe.sheets) else 0


def extract(probe: Probe) -> float:
    """A file is an extract when a mapping is given and the file holds the mapping's columns."""
    if probe.mapping is None or probe.is_dir:
        return 0
    if probe.is_spreadsheet:
        return 2
    if not probe.is_csv:
        return 0
    from .extract import ExtractMapping  # a mapping was given: its parser lives with the extract reader

    wanted = {column.strip().lower() for column in ExtractMapping.load(probe.mapping).columns.values()}
    return 2 if wanted <= set(probe.header) else 0
