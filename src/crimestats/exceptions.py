"""The exceptions crimestats raises: one hierarchy, each naming what was wrong and where."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class CrimestatsError(Exception):
    """Base class of every error raised by crimestats."""


class SourceFormatError(CrimestatsError, ValueError):
    """A source file cannot be read as the format it claims to be.

    Parameters
    ----------
    path
        The file (or archive member) at fault.
    problem
        What was wrong, in words.
    row
        1-based line or spreadsheet row where it applies.
    column
        The column at fault, where it applies.
    """

    def __init__(
        self,
        path: str | Path | None,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        self.row = row
        self.column = column
        where = [self.path or "<data>"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {problem}")


class SourceReadError(SourceFormatError):
    """A source file (or archive member) cannot be read at all: missing, unreadable, a folder.

    A :class:`SourceFormatError`, so that code catching those catches these too.
    """


class SchemaError(CrimestatsError, ValueError):
    """A frame does not match the canonical counts schema.

    ``failure_cases`` lists every problem found (not only the first): one row per problem with
    columns ``column``, ``check``, ``row`` (index label or None) and ``value``.
    """

    def __init__(self, message: str, failure_cases: pd.DataFrame) -> None:
        self.failure_cases = failure_cases
        super().__init__(message)


class UnknownAreaError(CrimestatsError, KeyError):
    """An area, force, region or peer group name is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownSelectionError(CrimestatsError, KeyError):
    """A selection names nothing crimestats knows (not a selection, category, group, code or flag)."""

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownDatasetError(CrimestatsError, KeyError):
    """A bundled dataset name (:mod:`crimestats.datasets`) that crimestats does not ship."""

    def __str__(self) -> str:
        return str(self.args[0])


class SelectionError(CrimestatsError, ValueError):
    """A selection needs detail (offence group, subgroup or code) that the counts do not carry."""


class PeriodError(CrimestatsError, ValueError):
    """A period label (financial year, month, quarter) cannot be parsed or is inconsistent."""


class PopulationError(CrimestatsError, LookupError):
    """No mid-year population is known for the area and year asked for."""


class StoreError(CrimestatsError):
    """The Parquet store is missing, inconsistent or cannot be written."""


class StoreLockedError(StoreError):
    """Another refresh holds the store's lock."""


class CoverageError(PeriodError):
    """An area asked about is not covered by the data for every month compared.

    Attributes
    ----------
    area
        The area (CSP or force) not covered.
    months
        The months (first day, as Timestamps) with no data for it.
    """

    def __init__(self, message: str, *, area: str | None = None, months: list | None = None) -> None:
        self.area = area
        self.months = list(months or [])
        super().__init__(message)


class ClusterError(CrimestatsError):
    """A Dask cluster cannot be used: dask is not installed, or no scheduler answers at the address given."""
