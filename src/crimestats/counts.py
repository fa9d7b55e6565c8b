"""The counts frame and what travels with it: what the sources covered, and each file's quality record.

Readers return a :class:`CountsFrame`: a pandas DataFrame of canonical counts (see
``docs/glossary.md``) with two attributes beside the data, never inside ``DataFrame.attrs``
(which pandas deep-copies on almost every operation):

- ``coverage``: one row per source x force (x area, where the source is at area level) x period
  that the source looked at, with a status (``covered``, ``not published``, ``known gap``);
- ``quality``: one :class:`~crimestats.quality.FileQuality` per file read.

Both survive filtering, sorting, ``cs.select`` and copies (pandas passes ``_metadata`` on by
reference); ``pd.concat`` and ``merge`` drop them, so combine sources with :func:`combine`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .exceptions import CoverageError

#: Coverage table columns. ``area_code``/``area_name`` are missing where the source covers every
#: area of the force (a police.uk street file, a force-level table).
COVERAGE_COLUMNS = ("source", "force", "area_code", "area_name", "period_start", "period_months", "status", "note")
COVERED = "covered"
NOT_PUBLISHED = "not published"
KNOWN_GAP = "known gap"
STATUSES = (COVERED, NOT_PUBLISHED, KNOWN_GAP)


class CountsFrame(pd.DataFrame):
    """Canonical counts with their ``coverage`` table and per-file ``quality`` records beside them."""

    _metadata = ["coverage", "quality"]  # noqa: RUF012 - pandas' own protocol for subclass attributes
    coverage: pd.DataFrame | None = None
    quality: Sequence[Any] = ()

    @property
    def _constructor(self) -> type[CountsFrame]:
        return CountsFrame


def empty_coverage() -> pd.DataFrame:
    """A coverage table with no rows."""
    return pd.DataFrame(
        {
            "source": pd.Series(dtype="string"),
            "force": pd.Series(dtype="string"),
            "area_code": pd.Series(dtype="string"),
            "area_name": pd.Series(dtype="string"),
            "period_start": pd.Series(dtype="datetime64[ns]"),
            "period_months": pd.Series(dtype="int64"),
            "status": pd.Series(dtype="string"),
            "note": pd.Series(dtype="string"),
        }
    )


def make_coverage(rows: pd.DataFrame | Sequence[dict[str, Any]], *, keep: Sequence[str] = ()) -> pd.DataFrame:
    """A coverage table from rows holding at least source, force, period_start and period_months.

    ``keep`` names extra columns of ``rows`` to keep (after the coverage columns; duplicates are
    dropped with them as part of the row).
    """
    if isinstance(rows, pd.DataFrame):
        if rows.empty:
            return empty_coverage()
        columns = {name: rows[name] for name in (*COVERAGE_COLUMNS, *keep) if name in rows}
    else:
        rows = list(rows)
        names = {name for row in rows for name in row}
        if not names:  # no rows, or rows that say nothing
            return empty_coverage()
        columns = {name: [row.get(name) for row in rows] for name in (*COVERAGE_COLUMNS, *keep) if name in names}
    # Each column made in its dtype at once: no frame of objects cast column by column.
    frame = {}
    for name in COVERAGE_COLUMNS:
        values = columns.get(name)
        if values is None:
            values = [COVERED if name == "status" else None] * len(rows)
        if name == "period_start":
            frame[name] = pd.to_datetime(values).astype("datetime64[ns]")
        elif name == "period_months":
            frame[name] = pd.array(values).astype("int64")
        else:
            frame[name] = pd.array(values, dtype="string")
    frame.update({name: columns[name] for name in keep})
    table = pd.DataFrame({name: getattr(values, "array", values) for name, values in frame.items()})
    return table.drop_duplicates().reset_index(drop=True)


def attach(frame: pd.DataFrame, *, coverage: pd.DataFrame | None, quality: Sequence[Any]) -> CountsFrame:
    """``frame`` as a :class:`CountsFrame` carrying ``coverage`` and ``quality``."""
    counts = frame if isinstance(frame, CountsFrame) else CountsFrame(frame)
    counts.coverage = coverage
    counts.quality = list(quality)
    return counts


def coverage_of(counts: pd.DataFrame) -> pd.DataFrame | None:
    """The coverage table travelling with ``counts`` (None for a frame built by hand)."""
    return getattr(counts, "coverage", None)


def quality_of(counts: pd.DataFrame) -> list[Any]:
    """The per-file quality records travelling with ``counts`` (empty for a frame built by hand)."""
    return list(getattr(counts, "quality", ()) or ())


def combine(frames: Sequence[pd.DataFrame]) -> CountsFrame:
    """Concatenate canonical counts of several sources, keeping every file's coverage and quality.

    Use this rather than bare ``pd.concat``, which drops both. Where any part carries no coverage
    (a frame built by hand), the result carries none, and coverage is inferred from the rows.
    The same file in two parts is refused (it would be counted twice); two *sources* for the same
    force and period are refused by the metrics (:func:`crimestats.metrics.check_one_source`).

    Examples
    --------
    >>> import crimestats as cs
    >>> one = cs.read_police_uk(cs.datasets.path("police-uk-city-of-london-2017-01"))
    >>> both = cs.combine([one, cs.read_home_office(cs.datasets.path("scenario-csp"))])
    >>> int(both["count"].sum()) > 483, len(both.quality)
    (True, 2)
    >>> cs.combine([one, one])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crimestats.exceptions.CoverageError: ...: combining would count it twice
    """
    from .schema import empty_counts

    frames = list(frames)
    if not frames:
        return attach(empty_counts(), coverage=empty_coverage(), quality=[])
    seen: dict[tuple[str, str], int] = {}
    for number, frame in enumerate(frames):
        for quality in quality_of(frame):
            file, table = str(quality.file), quality.tables  # P1 and P5 of one workbook are two tables
            if file and seen.setdefault((file, table), number) != number:
                raise CoverageError(
                    f"{file} is in parts {seen[(file, table)] + 1} and {number + 1}: combining would count it twice"
                )
    # Without their attrs: pandas compares the inputs' attrs on concat, and a reader's attrs may
    # hold a frame (an ONS table's reconciliation), whose truth value pandas cannot take.
    bare = [pd.DataFrame(frame, copy=False) for frame in frames]
    for frame in bare:
        frame.attrs = {}
    data = pd.concat(bare, ignore_index=True) if len(bare) > 1 else bare[0].copy()
    parts = [coverage_of(frame) for frame in frames]
    coverage = None if any(part is None for part in parts) else make_coverage(pd.concat(parts, ignore_index=True))
    data.attrs = {}
    return attach(data, coverage=coverage, quality=[q for frame in frames for q in quality_of(frame)])
