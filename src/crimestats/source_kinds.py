"""The built-in source kinds, declared without importing their readers.

Each kind is one :class:`~crimestats.sources.Source`; its reader functions are named here by
module and attribute and imported on their first call (:class:`Deferred`). So the registry,
``crimestats status`` and a refresh that finds nothing new know every kind (its name, label,
period length and which files of a download it skips) without importing pandas and the
readers; a file that must be read imports its reader then. Registered, in this order, when
:mod:`crimestats.sources` first needs its built-ins.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sources import Source, register

#: The other files of a data.police.uk download: real, but not crime counts.
COMPANION_FILE = re.compile(r"-(outcomes|stop-and-search)\.csv$", re.IGNORECASE)


@dataclass(frozen=True)
class Deferred:
    """A function named by module and attribute, imported when it is first called."""

    module: str
    name: str

    @property
    def function(self) -> Any:
        """The function itself (its module imported the first time)."""
        return getattr(importlib.import_module(self.module), self.name)

    @property
    def __signature__(self) -> inspect.Signature:
        # What inspect.signature reports: the function's own parameters (sources.options_for reads them).
        return inspect.signature(self.function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function (importing its module the first time)."""
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


def police_uk_companion(path: Path) -> str | None:
    """Why a data.police.uk download's outcomes or stop-and-search file is skipped (None for any other file)."""
    return (
        "a data.police.uk outcomes or stop-and-search file, not crime counts"
        if COMPANION_FILE.search(path.name)
        else None
    )


EXTRACT = Source(
    name="extract",
    label="force recorded crime extract",
    period_months=1,
    has_records=True,
    recognise=Deferred("crimestats.io.extract", "recognise"),
    read=Deferred("crimestats.io.extract", "read_extract"),
    needs_mapping=True,
    description="a force's record-level extract (CSV, .csv.gz or xlsx) with a column mapping",
)

HOME_OFFICE = Source(
    name="home-office",
    label="Home Office police recorded crime",
    period_months=3,
    has_records=False,
    recognise=Deferred("crimestats.io.home_office", "recognise"),
    read=Deferred("crimestats.io.home_office", "read_home_office"),
    description="Home Office police recorded crime open data table (CSV, xlsx or ods)",
)

ONS = Source(
    name="ons",
    label="ONS Crime in England and Wales",
    period_months=12,
    has_records=False,
    recognise=Deferred("crimestats.io.ons", "recognise"),
    read=Deferred("crimestats.io.ons", "read_ons_pfa"),
    description="ONS police force area tables (xlsx with Table P1)",
)

ONS_CSP = Source(
    name="ons-csp",
    label="ONS recorded crime by Community Safety Partnership",
    period_months=12,
    has_records=False,
    recognise=Deferred("crimestats.io.ons_csp", "recognise"),
    read=Deferred("crimestats.io.ons_csp", "read_ons_csp"),
    description="ONS recorded crime by Community Safety Partnership (xlsx with Table C2, C3, ...)",
)

POLICE_UK = Source(
    name="police.uk",
    label="data.police.uk",
    period_months=1,
    has_records=True,
    recognise=Deferred("crimestats.io.police_uk", "recognise"),
    read=Deferred("crimestats.io.police_uk", "read_police_uk"),
    read_records=Deferred("crimestats.io.police_uk", "read_police_uk_records"),
    ingest=Deferred("crimestats.io.police_uk", "ingest"),
    ingest_many=Deferred("crimestats.io.police_uk", "ingest_many"),
    ingest_batches=Deferred("crimestats.io.police_uk", "ingest_batches"),
    skip=police_uk_companion,
    crime_types=True,
    description="data.police.uk street files (a *-street.csv, a YYYY-MM folder tree or the zip)",
)

#: In registration order.
BUILTINS = (EXTRACT, HOME_OFFICE, ONS, ONS_CSP, POLICE_UK)

for _source in BUILTINS:
    register(_source)
