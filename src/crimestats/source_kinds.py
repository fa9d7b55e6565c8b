"""The built-in source kinds, declared without importing their readers.

Each kind is one :class:`~crimestats.sources.Source`; its reader functions are named here by
module and attribute and imported on their first call (:class:`Deferred`); how it recognises a
file and which files of a download it skips are plain functions of :mod:`crimestats.io.layouts`.
So the registry, ``crimestats status`` and a refresh that only recognises and hashes its files
know every kind without importing pandas and the readers; a file that must be read imports its
reader then. Registered, in this order, when :mod:`crimestats.sources` loads.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any

from .io import layouts
from .sources import Source, register


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


EXTRACT = Source(
    name="extract",
    label="force recorded crime extract",
    period_months=1,
    has_records=True,
    recognise=layouts.extract,
    read=Deferred("crimestats.io.extract", "read_extract"),
    needs_mapping=True,
    description="a force's record-level extract (CSV, .csv.gz or xlsx) with a column mapping",
)

HOME_OFFICE = Source(
    name="home-office",
    label="Home Office police recorded crime",
    period_months=3,
    has_records=False,
    recognise=layouts.home_office,
    read=Deferred("crimestats.io.home_office", "read_home_office"),
    description="Home Office police recorded crime open data table (CSV, xlsx or ods)",
)

ONS = Source(
    name="ons",
    label="ONS Crime in England and Wales",
    period_months=12,
    has_records=False,
    recognise=layouts.ons_pfa,
    read=Deferred("crimestats.io.ons", "read_ons_pfa"),
    description="ONS police force area tables (xlsx with Table P1)",
)

ONS_CSP = Source(
    name="ons-csp",
    label="ONS recorded crime by Community Safety Partnership",
    period_months=12,
    has_records=False,
    recognise=layouts.ons_csp,
    read=Deferred("crimestats.io.ons_csp", "read_ons_csp"),
    description="ONS recorded crime by Community Safety Partnership (xlsx with Table C2, C3, ...)",
)

POLICE_UK = Source(
    name="police.uk",
    label="data.police.uk",
    period_months=1,
    has_records=True,
    recognise=layouts.police_uk,
    read=Deferred("crimestats.io.police_uk", "read_police_uk"),
    read_records=Deferred("crimestats.io.police_uk", "read_police_uk_records"),
    ingest=Deferred("crimestats.io.police_uk", "ingest"),
    ingest_many=Deferred("crimestats.io.police_uk", "ingest_many"),
    ingest_batches=Deferred("crimestats.io.police_uk", "ingest_batches"),
    skip=layouts.police_uk_companion,
    crime_types=True,
    description="data.police.uk street files (a *-street.csv, a YYYY-MM folder tree or the zip)",
)

#: In registration order.
BUILTINS = (EXTRACT, HOME_OFFICE, ONS, ONS_CSP, POLICE_UK)

for _source in BUILTINS:
    register(_source)
