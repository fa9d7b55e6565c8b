"""The canonical counts frame: its columns, dtypes and the one ``validate()`` every reader uses.

One row per period x area x offence (x flags) with a count. See ``docs/glossary.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .exceptions import SchemaError


@dataclass(frozen=True)
class Column:
    """One canonical column: its pandas dtype and whether it may hold missing values."""

    name: str
    dtype: str
    nullable: bool
    meaning: str


COLUMNS: tuple[Column, ...] = (
    Column("period_start", "datetime64[ns]", False, "first day of the period"),
    Column("period_months", "int64", False, "1 monthly, 3 quarterly, 12 annual"),
    Column("force", "string", False, "police force area, canonical name"),
    Column("area_code", "string", True, "ONS code of the CSP (or local authority)"),
    Column("area_name", "string", True, "canonical area (CSP) name"),
    Column("category", "string", False, "harmonised category, comparable across sources"),
    Column("offence_group", "string", True, "Home Office offence group where the source allows"),
    Column("offence_subgroup", "string", True, "Home Office offence subgroup where the source allows"),
    Column("offence_code", "string", True, "Home Office offence code where known"),
    Column("is_crime", "bool", False, "false for anti-social behaviour"),
    Column("knife", "boolean", True, "knife or sharp instrument involved, where the source says"),
    Column("business", "boolean", True, "business crime, where the source says"),
    Column("domestic", "boolean", True, "domestic abuse related, where the source says"),
    Column("count", "int64", False, "number of records"),
    Column("source", "string", False, "the registered source kind (see crimestats.sources)"),
)

COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in COLUMNS)
DTYPES: dict[str, str] = {column.name: column.dtype for column in COLUMNS}
_PANDAS_DTYPES = {name: pd.api.types.pandas_dtype(dtype) for name, dtype in DTYPES.items()}
_COLUMNS = {column.name: column for column in COLUMNS}
#: Every column but ``count``: the keys a counts frame is aggregated over.
DIMENSIONS: tuple[str, ...] = tuple(name for name in COLUMN_NAMES if name != "count")
FLAGS: tuple[str, ...] = ("knife", "business", "domestic")
PERIOD_MONTHS: frozenset[int] = frozenset({1, 3, 12})


def empty_counts() -> pd.DataFrame:
    """Return a canonical counts frame with no rows.

    Examples
    --------
    >>> import crimestats as cs
    >>> list(cs.empty_counts().columns)[:3]
    ['period_start', 'period_months', 'force']
    """
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in DTYPES.items()})


def coerce(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast the canonical columns of ``frame`` to their canonical dtypes, in canonical order.

    Missing nullable columns (flags, offence detail, area) are added as all-missing; missing
    required columns are left for :func:`validate` to report. A column already of its dtype is
    taken as it is (no cast, no copy).
    """
    out = _coerced(frame)
    extra = [name for name in frame.columns if name not in DTYPES]
    result = pd.DataFrame(out, index=frame.index)
    for name in extra:
        result[name] = frame[name]
    result.attrs = dict(frame.attrs)
    return result


def _coerced(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The canonical columns of ``frame`` cast to their dtypes where they can be (see :func:`coerce`)."""
    out = {}
    for column in COLUMNS:
        if column.name not in frame.columns:
            if column.nullable:
                out[column.name] = pd.Series(pd.NA, index=frame.index, dtype=column.dtype)
            continue
        values = frame[column.name]
        if values.dtype == _PANDAS_DTYPES[column.name]:
            out[column.name] = values
            continue
        try:
            if column.dtype == "bool" and values.isna().any():
                out[column.name] = values  # leave the nulls for validate() to report
            else:
                out[column.name] = values.astype(column.dtype)
        except (TypeError, ValueError):
            out[column.name] = values
    return out


def validate(frame: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Check ``frame`` against the canonical counts schema and return it coerced.

    Every problem is collected before raising, so one error lists all of them.

    Parameters
    ----------
    frame
        A counts frame, typically straight out of a reader.
    source
        Where the frame came from (a file path), used in the error message.

    Returns
    -------
    pandas.DataFrame
        The frame with canonical dtypes and column order.

    Raises
    ------
    SchemaError
        With ``failure_cases`` holding one row per problem.

    Examples
    --------
    >>> import crimestats as cs
    >>> cs.validate(cs.empty_counts()).shape
    (0, 15)
    """
    from .sources import all_sources  # the registry imports the readers, which import schema
    from .taxonomy import CATEGORIES  # taxonomy imports schema's names; import here to stay acyclic

    registered = all_sources()
    source_names = {source.name for source in registered}
    # Record-level sources count records, so their counts can never be negative. Published
    # quarterly tables can: they carry adjustments for crimes cancelled after their quarter.
    record_sources = {source.name for source in registered if source.has_records}

    failures: list[dict[str, object]] = []

    def fail(column: str, check: str, rows: pd.Index | None = None, values: pd.Series | None = None) -> None:
        if rows is None:
            failures.append({"column": column, "check": check, "row": None, "value": None})
            return
        for label in list(rows)[:20]:  # enough to see the pattern without flooding the message
            value = None if values is None else values.loc[label]
            failures.append({"column": column, "check": check, "row": label, "value": value})
        if len(rows) > 20:
            more = f"{check} ({len(rows) - 20} more rows)"
            failures.append({"column": column, "check": more, "row": None, "value": None})

    for column in COLUMNS:  # nullable columns a source does not have are added as all-missing
        if column.name not in frame.columns and not column.nullable:
            fail(column.name, "missing column")
    coerced = _coerced(frame)
    typed = {}  # the columns of their canonical dtype, as numpy or extension arrays
    for name, values in coerced.items():
        column = _COLUMNS[name]
        if values.dtype != _PANDAS_DTYPES[name]:
            fail(name, f"dtype {values.dtype} is not {column.dtype}")
        else:
            typed[name] = values.array
        if not column.nullable:
            missing = np.asarray(pd.isna(values.array), dtype=bool)
            if missing.any():
                fail(name, "missing value", values.index[missing], values)

    def check(name: str, bad: np.ndarray, message: str) -> None:
        if bad.any():
            fail(name, message, coerced[name].index[bad], coerced[name])

    if "count" in typed:
        counts = typed["count"].to_numpy()
        from_records = coerced["source"].isin(record_sources).to_numpy(dtype=bool) if "source" in coerced else True
        check("count", (counts < 0) & from_records, "negative count from a record-level source")
    if "period_months" in typed:
        check("period_months", ~np.isin(typed["period_months"].to_numpy(), list(PERIOD_MONTHS)), "not 1, 3 or 12")
    if "period_start" in coerced and pd.api.types.is_datetime64_any_dtype(coerced["period_start"].dtype):
        # Any datetime64 (a time zone's too, whose dtype is reported above): wall-clock days, as written.
        starts = coerced["period_start"]
        if starts.dt.tz is not None:
            starts = starts.dt.tz_localize(None)
        starts = starts.to_numpy(dtype="datetime64[ns]")
        months = starts.astype("datetime64[M]").astype(starts.dtype)
        check("period_start", ~np.isnat(starts) & (months != starts), "not the first day of a month")
    if "category" in coerced:
        values = coerced["category"]
        check("category", (values.notna() & ~values.isin(CATEGORIES)).to_numpy(dtype=bool), "not a harmonised category")
    if "source" in coerced:
        values = coerced["source"]
        message = f"not a registered source ({sorted(source_names)})"
        check("source", (values.notna() & ~values.isin(source_names)).to_numpy(dtype=bool), message)

    if failures:
        cases = pd.DataFrame(failures, columns=["column", "check", "row", "value"])
        summary = "; ".join(
            f"{column}: {check} ({n} row{'s' if n != 1 else ''})" if n else f"{column}: {check}"
            for (column, check), n in cases.groupby(["column", "check"], sort=False)["row"].count().items()
        )
        where = f"{source}: " if source else ""
        raise SchemaError(f"{where}counts do not match the canonical schema: {summary}", cases)
    result = pd.DataFrame(coerced, index=frame.index)
    result.attrs = dict(frame.attrs)
    return result


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum ``count`` over identical canonical dimensions (missing values form their own groups).

    Counts are summed, never averaged; rates must be recomputed from summed counts.
    """
    summed = frame.groupby(list(DIMENSIONS), dropna=False, sort=True, observed=True)["count"].sum().reset_index()
    summed["count"] = summed["count"].astype(np.int64)
    summed.attrs = dict(frame.attrs)
    return summed
