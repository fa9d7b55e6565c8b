"""Counted rows of data.police.uk street files made canonical counts, a group of whole months at a time.

:mod:`crimestats.io.police_uk` turns each file's tally into counted rows (:data:`Row`); a
:class:`CountedRows` gathers them and makes them canonical (coerced, aggregated, validated) in
groups of at least :data:`GROUP_ROWS` rows, so memory holds one group's raw rows and the fixed
pandas cost is paid a few times per read.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from ..exceptions import SourceFormatError
from ..schema import aggregate, empty_counts, validate
from ._common import canonical_counts

#: Counted rows (already summed within each file) gathered before they are made canonical together.
GROUP_ROWS = 20_000
COUNT_COLUMNS = ["period_start", "period_months", "force", "area_code", "area_name", "category", "count"]
COUNT_COLUMNS_NO_MONTHS = [c for c in COUNT_COLUMNS if c != "period_months"]

#: One counted row of a file: period_start, force, area_code, area_name, category, count.
Row = tuple[pd.Timestamp, str, str | None, str | None, str, int]


class CountedRows:
    """Counted rows made canonical counts a group of files at a time (whole months, in a folder tree).

    A group is aggregated and validated when a new month begins and it holds at least
    :data:`GROUP_ROWS` rows, so memory holds one group's raw rows and the canonical counts so
    far, not every file's raw rows, and the fixed cost of making counts canonical is paid a few
    times per read, not once per month. Groups of whole months in month order (a folder tree or
    a zip) concatenate to what aggregating everything at once gives; otherwise the groups are
    aggregated once more together.
    """

    def __init__(self, path: str | Path, *, source: str) -> None:
        self.path, self.source = path, source
        self.rows: list[Row] = []
        self.key: object = None
        self.parts: list[pd.DataFrame] = []
        self.count_in = 0

    def add(self, key: object, rows: list[Row]) -> None:
        """Take one file's counted rows (``key``: its month, or None)."""
        if key != self.key:
            if len(self.rows) >= GROUP_ROWS:
                self._flush()
            self.key = key
        self.rows += rows
        self.count_in += sum(row[-1] for row in rows)

    def _flush(self) -> None:
        if not self.rows:
            return
        frame = pd.DataFrame(self.rows, columns=COUNT_COLUMNS_NO_MONTHS)
        self.rows = []
        frame["period_start"] = frame["period_start"].astype("datetime64[ns]")
        frame["period_months"] = 1
        self.parts.append(canonical_counts(frame, source=self.source, path=self.path))

    def result(self) -> pd.DataFrame:
        """The canonical counts of every row added; raises if a count was lost."""
        self._flush()
        parts = self.parts
        self.parts = []
        if not parts:
            return validate(empty_counts())
        ordered = all(
            earlier["period_start"].max() < later["period_start"].min() for earlier, later in itertools.pairwise(parts)
        )
        counts = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        del parts
        if not ordered:
            counts = validate(aggregate(counts), source=str(self.path))
        if int(counts["count"].sum()) != self.count_in:  # pragma: no cover - a reader bug, not bad input
            raise SourceFormatError(
                self.path, f"internal error: {self.count_in} counted in but {counts['count'].sum()} out"
            )
        return counts
