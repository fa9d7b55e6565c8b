"""Counted rows of data.police.uk street files, as columns, summed a group of whole months at a time.

A file's tally counts its rows per distinct (Month, Falls within, Crime type as written, area,
reason) (:class:`Entries`); :mod:`crimestats.io.police_uk` maps those to counted rows
(:class:`Counted`: period, force, area, category, count), and a :class:`CountedRows` gathers them,
sums them with numpy in groups of at least :data:`GROUP_ROWS` rows (memory holds one group's raw
rows) and makes the read's counts canonical once, at the end. Everything per file is numpy on
columns: no Python loop per row or entry, and no pandas object until the read's counts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..exceptions import SourceFormatError
from ..schema import empty_counts, validate
from ._common import canonical_counts

#: Counted rows (already summed within each file) gathered before they are summed together.
GROUP_ROWS = 20_000


@dataclass(frozen=True)
class Entries:
    """A file's rows counted per distinct (Month, Falls within, Crime type as written, area, reason), as columns.

    ``month``, ``force`` and ``type`` index ``months``, ``forces`` and ``types`` (the values as
    written; a value may have no entry, when a month filter left out its rows); ``area`` is an id
    in :attr:`crimestats.io.street_places.Places.areas` or -1, ``reason`` an index into
    :data:`crimestats.io.street_places.REASONS`. Each combination appears once.
    """

    months: list[str]
    forces: list[str]
    types: list[str]
    month: np.ndarray
    force: np.ndarray
    type: np.ndarray
    area: np.ndarray
    reason: np.ndarray
    count: np.ndarray

    def __len__(self) -> int:
        return len(self.count)

    @classmethod
    def empty(cls) -> Entries:
        """No entries."""
        none = np.empty(0, dtype=np.int64)
        return cls([], [], [], none, none, none, none, none, none)

    def present(self, column: str) -> list[str]:
        """The values of ``column`` ("months", "forces" or "types") that have entries, in their order."""
        values = getattr(self, column)
        codes = getattr(self, {"months": "month", "forces": "force", "types": "type"}[column])
        held = np.bincount(codes, minlength=len(values)) > 0
        return [value for value, has in zip(values, held.tolist(), strict=True) if has]

    @classmethod
    def merged(cls, parts: list[Entries]) -> Entries:
        """The entries of several blocks of one file as one (values unified, counts of a combination summed)."""
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        columns: dict[str, object] = {}
        codes: dict[str, np.ndarray] = {}
        for values_name, code_name in (("months", "month"), ("forces", "force"), ("types", "type")):
            values = list(dict.fromkeys(v for part in parts for v in getattr(part, values_name)))
            index = {value: i for i, value in enumerate(values)}
            columns[values_name] = values
            codes[code_name] = np.concatenate(
                [
                    np.array([index[v] for v in getattr(p, values_name)], dtype=np.int64)[getattr(p, code_name)]
                    for p in parts
                ]
            )
        area = np.concatenate([p.area for p in parts])
        reason = np.concatenate([p.reason for p in parts])
        stacked = np.column_stack([codes["month"], codes["force"], codes["type"], area, reason])
        combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
        count = np.bincount(inverse.ravel(), weights=np.concatenate([p.count for p in parts]), minlength=len(combos))
        return cls(
            **columns,  # type: ignore[arg-type]
            month=combos[:, 0],
            force=combos[:, 1],
            type=combos[:, 2],
            area=combos[:, 3],
            reason=combos[:, 4],
            count=count.astype(np.int64),
        )


@dataclass(frozen=True)
class Counted:
    """Counted rows (a file's, or a group's) as columns of equal length: the canonical dimensions and counts."""

    period_start: np.ndarray  # datetime64[ns]
    force: np.ndarray  # object: str
    area_code: np.ndarray  # object: str, or None without an area
    area_name: np.ndarray
    category: np.ndarray  # object: str
    count: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.count)

    def total(self) -> int:
        """The sum of the counts."""
        return int(self.count.sum())

    def where(self, mask: np.ndarray) -> Counted:
        """The rows ``mask`` selects."""
        return Counted(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    @classmethod
    def empty(cls) -> Counted:
        """No rows."""
        text = np.empty(0, dtype=object)
        return cls(np.empty(0, dtype="datetime64[ns]"), text, text, text, text, np.empty(0, dtype=np.int64))

    @classmethod
    def concat(cls, parts: list[Counted]) -> Counted:
        """The rows of several, in order."""
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def summed(self, unit: np.ndarray | None = None) -> tuple[Counted, np.ndarray | None]:
        """The counts summed over identical (``unit``,) period, force, area and category, in canonical order.

        Canonical order is what a sorted pandas groupby over the canonical dimensions gives (the
        order :func:`crimestats.schema.aggregate` leaves): each column ascending, strings by code
        point, rows without an area last. ``unit`` (an integer per row, optional) leads the key,
        so no row of one unit is summed into another's; returned with the rows, one per row.
        """
        keys = [] if unit is None else [np.asarray(unit, dtype=np.int64)]
        keys.append(self.period_start.view(np.int64))
        keys += [_ranks(column) for column in (self.force, self.area_code, self.area_name, self.category)]
        if not len(self):
            return self, unit
        order = np.lexsort(keys[::-1])
        starts = np.zeros(len(order), dtype=bool)
        starts[0] = True
        for key in keys:
            ordered = key[order]
            starts[1:] |= ordered[1:] != ordered[:-1]
        at = np.flatnonzero(starts)
        first = order[at]
        rows = Counted(
            **{f.name: getattr(self, f.name)[first] for f in fields(self) if f.name != "count"},
            count=np.add.reduceat(self.count[order], at),
        )
        return rows, None if unit is None else keys[0][first]

    def frame(self) -> pd.DataFrame:
        """The rows as a frame: its columns, with ``period_months`` (1: a month each) after ``period_start``.

        Text columns are Arrow-backed strings, the canonical ``string`` dtype from pandas 3 (where
        making the frame canonical then casts nothing; pandas 2's ``string`` is cast, as before).
        """
        columns: dict[str, object] = {"period_start": self.period_start, "period_months": np.ones(len(self), np.int64)}
        for name in ("force", "area_code", "area_name", "category"):
            columns[name] = pd.arrays.ArrowStringArray(pa.array(getattr(self, name), type=pa.string()))
        columns["count"] = self.count
        return pd.DataFrame(columns)


def _ranks(column: np.ndarray) -> np.ndarray:
    """Each value's rank among the column's distinct values (strings by code point, None last)."""
    codes, distinct = pd.factorize(column, sort=True)  # None: -1
    codes = codes.astype(np.int64)
    codes[codes < 0] = len(distinct)
    return codes


class CountedRows:
    """Counted rows summed a group of files at a time (whole months, in a folder tree), made canonical once.

    A group is summed (:meth:`Counted.summed`) when a new month begins and it holds at least
    :data:`GROUP_ROWS` rows, so memory holds one group's raw rows and the summed groups so far,
    not every file's raw rows. Groups of whole months in month order (a folder tree or a zip)
    concatenate to what summing everything at once gives; otherwise the groups are summed once
    more together. :meth:`result` validates the read's counts once (the fixed pandas cost of
    making counts canonical, paid once per read).
    """

    def __init__(self, path: str | Path, *, source: str) -> None:
        self.path, self.source = path, source
        self.rows: list[Counted] = []
        self.held = 0  # rows in self.rows
        self.key: object = None
        self.parts: list[Counted] = []
        self.count_in = 0

    def add(self, key: object, rows: Counted) -> None:
        """Take one file's counted rows (``key``: its month, or None)."""
        if key != self.key:
            if self.held >= GROUP_ROWS:
                self._flush()
            self.key = key
        self.rows.append(rows)
        self.held += len(rows)
        self.count_in += rows.total()

    def _flush(self) -> None:
        if not self.held:
            return
        summed, _ = Counted.concat(self.rows).summed()
        self.rows, self.held = [], 0
        self.parts.append(summed)

    def result(self) -> pd.DataFrame:
        """The canonical counts of every row added, validated; raises if a count was lost."""
        self._flush()
        parts = self.parts
        self.parts = []
        if not parts:
            return validate(empty_counts())
        ordered = all(
            earlier.period_start.max() < later.period_start.min() for earlier, later in itertools.pairwise(parts)
        )
        counts = Counted.concat(parts)
        del parts
        if not ordered:
            counts, _ = counts.summed()
        if counts.total() != self.count_in:  # pragma: no cover - a reader bug, not bad input
            raise SourceFormatError(self.path, f"internal error: {self.count_in} counted in but {counts.total()} out")
        return canonical_counts(counts.frame(), source=self.source, path=self.path, aggregated=True)
