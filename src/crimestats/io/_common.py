"""What every reader shares: finding columns by their known names, parsing counts, finishing a frame."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from ..counts import attach, make_coverage
from ..exceptions import SourceFormatError
from ..quality import UNKNOWN_KINDS, FileQuality
from ..schema import aggregate, coerce, validate
from ..taxonomy import is_crime
from .layouts import column_key as _key

T = TypeVar("T")

#: How a count may be written: digits, optionally signed, with a decimal part (``9.0``).
_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"


def match_columns(
    present: Sequence[object],
    variable_map: Mapping[str, Sequence[str]],
    *,
    path: str | Path,
    optional: Sequence[str] = (),
) -> dict[str, str]:
    """Find each canonical variable among the source's columns by any of its known names.

    Returns ``{raw column: canonical variable}``. Raises one error listing every required
    variable that is missing, with the names it was looked for under and the columns found.
    """
    by_key = {_key(column): str(column) for column in present}
    found: dict[str, str] = {}
    missing = []
    for variable, names in variable_map.items():
        raw = next((by_key[_key(n)] for n in names if _key(n) in by_key), None)
        if raw is not None:
            found[raw] = variable
        elif variable not in optional:
            missing.append(f"{variable} (as {' or '.join(repr(n) for n in names)})")
    if missing:
        raise SourceFormatError(
            path,
            f"missing or renamed columns: {'; '.join(missing)}; columns found: {[str(c) for c in present]}",
        )
    return found


def read_text_csv(source: object, **options: object) -> pd.DataFrame:
    """Read a CSV with every field as text, exactly as written: no NA guessing, BOM tolerated.

    Parsing numbers, dates and blanks is each reader's job, done at its boundary with errors that
    name the row.
    """
    return pd.read_csv(  # type: ignore[call-overload]
        source, dtype="string", keep_default_na=False, na_values=[], encoding="utf-8-sig", **options
    )


def parse_counts(
    values: pd.Series, *, path: str | Path, column: str, first_row: int, allow_negative: bool = False
) -> pd.Series:
    """Parse space-padded, comma-grouped counts; raise naming the first bad row and value.

    ``first_row`` is the 1-based file row of ``values.iloc[0]``, for the error message.
    Published quarterly tables carry negative adjustments (crimes cancelled after the quarter
    they were recorded in): ``allow_negative`` keeps them, as the published totals include them.
    """
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    # Digits only: "1e3", "inf" or "0x10" would parse as numbers nobody published.
    numbers = pd.to_numeric(text.where(text.str.fullmatch(_DECIMAL, na=False)), errors="coerce")
    bad = numbers.isna() | (numbers != np.floor(numbers))
    if not allow_negative:
        bad |= numbers < 0
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceFormatError(
            path,
            f"count {values.iloc[position]!r} is not a whole{'' if allow_negative else ' non-negative'} number"
            + (f" ({int(bad.sum())} such rows)" if bad.sum() > 1 else "")
            + "; expected digits (thousands commas allowed)",
            row=first_row + position,
            column=column,
        )
    return numbers.astype("int64")


def finish(
    frame: pd.DataFrame,
    *,
    path: str | Path,
    source: str,
    rows_read: int,
    count_in: int,
    problems: Mapping[str, object] | None = None,
    area_by: str | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Aggregate a reader's rows to canonical counts, validate, and attach coverage and the quality record.

    ``count_in`` is the total the source held; the check that it equals the total out is what
    guarantees no row was silently dropped. ``problems`` holds the reader's findings by name:
    ``rows_no_area``, ``unknown_<kind>``, ``duplicate_crime_ids``, ``months`` and ``asb_share``
    go to their :class:`~crimestats.quality.FileQuality` fields, anything else to ``details``.
    ``coverage`` is what the file covered (:mod:`crimestats.counts`); by default each force x
    period (x area, for area-level tables) that has rows.
    """
    counts = canonical_counts(frame, source=source, path=path)
    count_out = int(counts["count"].sum())
    if count_out != count_in:  # pragma: no cover - a reader bug, not bad input
        raise SourceFormatError(path, f"internal error: {count_in} counted in but {count_out} out")
    quality = quality_record(
        path=path, source=source, rows_read=rows_read, count=count_out, problems=problems, area_by=area_by
    )
    if coverage is None:
        coverage = covered_by_rows(counts)
    return attach(counts, coverage=coverage, quality=[quality])


def canonical_counts(frame: pd.DataFrame, *, source: str, path: str | Path, aggregated: bool = False) -> pd.DataFrame:
    """A reader's rows as validated canonical counts of ``source`` (summed over identical dimensions).

    ``aggregated``: the rows are already one per combination of dimensions, in canonical order
    (a reader that summed them itself), so they are only validated.
    """
    frame = frame.copy()
    frame["source"] = source
    frame["is_crime"] = is_crime(frame["category"])
    return validate(frame if aggregated else aggregate(coerce(frame)), source=str(path))


def covered_by_rows(counts: pd.DataFrame, *, areas: bool | None = None) -> pd.DataFrame:
    """Coverage of a table as the force x period (x area) combinations it has rows for.

    Right for published tables, which tabulate every offence line of every force (or CSP) and
    period they cover, zeros included. ``areas`` (default: whether any row has an area) gives
    area-level coverage.
    """
    if areas is None:
        areas = bool(counts["area_name"].notna().any())
    keys = ["source", "force", "period_start", "period_months"] + (["area_code", "area_name"] if areas else [])
    return make_coverage(counts[keys].drop_duplicates())


def quality_record(
    *,
    path: str | Path,
    source: str,
    rows_read: int,
    count: int,
    problems: Mapping[str, object] | None = None,
    area_by: str | None = None,
    rows_counted: int | None = None,
) -> FileQuality:
    """Build a file's :class:`~crimestats.quality.FileQuality` from a reader's named findings."""
    found = dict(problems or {})
    unknown = {}
    for kind in UNKNOWN_KINDS:
        value = found.pop(f"unknown_{kind}", None)
        if value:
            unknown[kind] = value
    return FileQuality(
        file=str(path),
        source=source,
        rows_read=int(rows_read),
        rows_counted=int(rows_read if rows_counted is None else rows_counted),
        count=int(count),
        rows_no_area=dict(found.pop("rows_no_area", None) or {}),
        unknown=unknown,
        duplicate_crime_ids=int(found.pop("duplicate_crime_ids", 0) or 0),
        asb_share=found.pop("asb_share", None),  # type: ignore[arg-type]
        months=list(found.pop("months", None) or []),
        area_by=area_by,
        details=found,
    )


def progress_bar(items: Sequence, enabled: bool, description: str) -> Iterator:
    """Yield ``items``, drawing a progress bar on stderr when asked and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield from items
        return
    total = len(items)
    for done, item in enumerate(items, start=1):
        yield item
        bar = "#" * int(30 * done / max(total, 1))
        sys.stderr.write(f"\r{description}: [{bar:<30}] {done}/{total}")
        sys.stderr.flush()
    sys.stderr.write("\n")


def in_background(function: Callable[..., T], *args: object, name: str = "crimestats-background") -> Future[T]:
    """``function(*args)`` run in a thread of its own; its result (or error) in the future returned."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(function(*args))
        except BaseException as error:  # handed to whoever waits for the result
            future.set_exception(error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
