"""Every distinct value of a street-file read looked up once: forces, crime types, months, LSOA codes and names.

:class:`Places` serves every file of a read (:mod:`crimestats.io.street_chunks` tallies files
with it): a value seen in an earlier file costs a dictionary look-up, and LSOA codes interned by
the compiled scanner are mapped once per read. :data:`REASONS` names why a row has no area.
"""

from __future__ import annotations

import threading
from functools import cache, cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..areas import NATIONAL, OUTSIDE_ENGLAND_AND_WALES, forces_of_kind, known_force
from ..boundaries import check_boundaries, lad_areas, lsoa_table
from ..lsoa_tables import LsoaTable
from ..periods import parse_month
from ..taxonomy import UNCLASSIFIED, police_uk_category
from ._common import in_background
from .street_blocks import Interned, interner_of_lines, new_interner

#: Why a row has no local area; 0 is "it has one". Order is the code stored per row.
REASONS = (
    None,
    "no_lsoa",
    "no_lsoa_columns",
    "unknown_lsoa",
    "lsoa_name_fallback",
    "national_force",
    "outside_england_wales",
)
NO_LSOA, NO_LSOA_COLUMNS, UNKNOWN_LSOA, NAME_FALLBACK, NATIONAL_FORCE, OUTSIDE_EW = range(1, 7)


@cache
def _table_codes(boundaries: str) -> object:
    """The compiled interner of a boundary vintage's LSOA table codes (code id = table number)."""
    return interner_of_lines(lsoa_table(boundaries).lines)


def _tables(boundaries: str, compiled: bool) -> tuple[LsoaTable, object | None]:
    """The LSOA table of a boundary vintage and, for reads with the compiled scanner, its codes' interner."""
    return lsoa_table(boundaries), _table_codes(boundaries) if compiled else None


class Places:
    """Every distinct value of a read looked up once: forces, crime types, months, LSOA codes and names.

    One instance serves every file of a read, so a value seen in an earlier file costs a
    dictionary look-up and no file pays a fixed cost in pandas. Areas are numbered in the order
    first met (``areas[i]`` is ``(code, name)``) on the boundary vintage asked for.
    """

    def __init__(self, boundaries: str | int | None) -> None:
        self.boundaries = check_boundaries(boundaries)
        #: LSOA codes of scanned blocks, numbered once per read (None without the compiled scanner),
        #: and the area id, code id and no-area reason of each, for as many as have been mapped.
        self.lsoa_codes = new_interner()
        self._interned: tuple[np.ndarray, ...] = tuple(np.empty(0, dtype=np.int64) for _ in range(3))
        self._mapped = 0  # how many of the interned codes have been mapped (the arrays have room for more)
        # The LSOA table (0.02-0.05 s to build in a new process) is built while the first files are
        # read: scanning them needs no table, only mapping their codes does (:meth:`_load`).
        self._building = in_background(_tables, self.boundaries, self.lsoa_codes is not None, name="crimestats-lookups")
        self._loaded = False
        self._area_columns: tuple[np.ndarray, ...] = (np.empty(0, dtype=object),) * 2
        self._unknown: dict[str, int] = {}
        self._by_prefix: dict[str, int] = {}
        self._forces: dict[str, tuple[str, bool, int]] = {}
        self._types: dict[str, tuple[str, bool]] = {}
        self._months: dict[str, pd.Timestamp] = {}
        # Files are tallied by several threads: what adds areas or codes takes the lock (the
        # caches of forces, types and months only ever gain the same value for a key).
        self._lock = threading.RLock()

    def _load(self) -> None:
        """Wait for the LSOA table, and take from it what the look-ups use."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            table, self._table_codes = self._building.result()
            self._table = table
            self._areas: list[tuple[str, str]] = list(table.areas)
            self._area_id: dict[tuple[str, str], int] = {area: i for i, area in enumerate(self._areas)}
            # Code ids: those of the shipped table, then codes it does not know (no area), then -1 for none.
            self._code_area = np.append(table.area, -1)
            self._code_set = np.append(table.sets, 0).astype(np.int8)
            self._loaded = True

    @property
    def areas(self) -> list[tuple[str, str]]:
        """The (code, name) of each area id: the boundary vintage's CSPs, then areas found by council name."""
        self._load()
        return self._areas

    def area_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """The code and the name of each area id (object arrays), with a last None for id -1 (no area)."""
        self._load()
        cached = self._area_columns
        if len(cached[0]) != len(self.areas) + 1:
            with self._lock:
                areas = list(self.areas)
                cached = self._area_columns = tuple(
                    np.array([*(area[i] for area in areas), None], dtype=object) for i in (0, 1)
                )
        return cached

    def _id(self, area: tuple[str, str] | None) -> int:
        if area is None:
            return -1
        found = self._area_id.get(area)
        if found is None:
            found = self._area_id[area] = len(self._areas)
            self._areas.append(area)
        return found

    def _unknown_id(self, code: str) -> int:
        with self._lock:
            found = self._unknown.get(code)
            if found is None:
                found = len(self._code_area) - 1
                # New arrays, swapped in whole: a thread reading the old ones meanwhile is not disturbed.
                self._code_area = np.append(self._code_area, -1)
                self._code_set = np.append(self._code_set, 0).astype(np.int8)
                self._unknown[code] = found
            return found

    def of_codes(self, dictionary: pa.Array | list[str] | Interned) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Area id, code id and no-area reason of each LSOA code of a dictionary.

        The area id is -1 where the code is unknown or missing, the code id -1 where missing,
        and the reason (an index into :data:`REASONS`) 0 where the code has an area. The codes
        are trimmed of whitespace (as Arrow's ``utf8_trim_whitespace``) and looked up in the
        table. Codes of :attr:`lsoa_codes` are mapped once each per read, the first time a
        block's codes reach them, by the compiled interner of the table's codes.
        """
        if isinstance(dictionary, Interned):
            return self._of_interned(dictionary)
        self._load()
        values = dictionary if isinstance(dictionary, list) else dictionary.to_pylist()
        return self._placed(self._ids(["" if value is None else value for value in values]))  # null: no code

    def _ids(self, values: list[str]) -> np.ndarray:
        """The code id of each value, trimmed (-1 where blank; codes the table does not know numbered after its own)."""
        # An ASCII value that str.strip leaves alone has nothing for Arrow to trim either (in
        # ASCII, str.strip's whitespace includes Arrow's); the others are trimmed by Arrow.
        if not all(value.isascii() and value == value.strip() for value in values):
            values = pc.utf8_trim_whitespace(pa.array(values, pa.string())).to_pylist()
        if self._table_codes is not None:
            find = self._table_codes.get
            ids = np.array([find(value) for value in values], dtype=np.int64)
        else:
            index = self._index
            ids = np.array([index.get(value, -1) for value in values], dtype=np.int64)
        for position in np.flatnonzero(ids < 0):  # blank (no LSOA), or a code the table does not know
            ids[position] = -1 if values[position] == "" else self._unknown_id(values[position])
        return ids

    @cached_property
    def _index(self) -> dict[str, int]:
        """The table's code -> code id, as a plain dict (faster look-ups than the read-only view)."""
        return dict(self._table.index)

    def _placed(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Area id, code id and no-area reason of code ids."""
        area = self._code_area[ids]
        return area, ids, np.where(ids < 0, NO_LSOA, np.where(area < 0, UNKNOWN_LSOA, 0))

    def _of_interned(self, interned: Interned) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._mapped < interned.size:
            self._load()
            with self._lock:
                known = self._mapped
                if known < interned.size:
                    # The table's compiled interner finds the codes it holds; the rest (blank,
                    # untrimmed or unknown: a few) are looked up one by one.
                    found = self._table_codes.find(interned.values, known, interned.size)
                    ids = np.frombuffer(found, dtype=np.int32).astype(np.int64)
                    missing = np.flatnonzero(ids < 0)
                    if len(missing):
                        ids[missing] = self._ids([interned.values[known + int(i)] for i in missing])
                    arrays = self._interned
                    if len(arrays[0]) < interned.size:
                        # Grown by doubling (each file brings its own LSOAs: a copy per block was
                        # quadratic), into new arrays: a thread reading the old ones is not disturbed.
                        room = max(interned.size, 2 * len(arrays[0]), 4096)
                        arrays = tuple(np.concatenate([a[:known], np.empty(room - known, np.int64)]) for a in arrays)
                    for array, values in zip(arrays, self._placed(ids), strict=True):
                        array[known : interned.size] = values  # past what any view handed out covers
                    self._interned = arrays
                    self._mapped = interned.size
        # Codes past ``size`` (added by another thread since) are not this block's: views do.
        return tuple(array[: interned.size] for array in self._interned)

    def lsoa_sets(self, code_ids: np.ndarray) -> tuple[int, int]:
        """How many of these (distinct) code ids are in the 2011 set only, and in the 2021 set only."""
        self._load()
        sets = self._code_set[code_ids]
        return int(np.count_nonzero(sets == 1)), int(np.count_nonzero(sets == 2))

    def of_prefixes(self, prefixes: list[str]) -> np.ndarray:
        """Area id of each council name ("Birmingham" of "Birmingham 001A"), -1 where unknown."""
        self._load()
        with self._lock:
            new = sorted({p for p in prefixes if p not in self._by_prefix})
            if new:
                found = lad_areas(pd.Series(new, dtype="string"), boundaries=self.boundaries)
                for prefix, code, name in zip(new, found["area_code"], found["area_name"], strict=True):
                    self._by_prefix[prefix] = -1 if pd.isna(code) else self._id((str(code), str(name)))
            return np.array([self._by_prefix[p] for p in prefixes], dtype=np.int64)

    @cached_property
    def _national(self) -> frozenset[str]:  # looked up when the first force is met: the reading starts without it
        return forces_of_kind(NATIONAL)

    @cached_property
    def _outside(self) -> frozenset[str]:
        return forces_of_kind(OUTSIDE_ENGLAND_AND_WALES)

    def force(self, written: str) -> tuple[str, bool, int]:
        """(force, whether the name is known, no-area reason of its kind or 0) of a Falls within value."""
        found = self._forces.get(written)
        if found is None:
            stripped = written.strip()
            canonical = known_force(stripped)
            force = stripped if canonical is None else canonical
            kind = NATIONAL_FORCE if force in self._national else OUTSIDE_EW if force in self._outside else 0
            found = self._forces[written] = (force, canonical is not None, kind)
        return found

    def category(self, written: str) -> tuple[str, bool]:
        """(category, whether the crime type is known) of a Crime type value."""
        found = self._types.get(written)
        if found is None:
            category = police_uk_category(written)
            found = self._types[written] = (category or UNCLASSIFIED, category is not None)
        return found

    def month(self, written: str) -> pd.Timestamp:
        """The month a Month value names; raises :class:`~crimestats.PeriodError` when malformed."""
        found = self._months.get(written)
        if found is None:
            found = self._months[written] = parse_month(written)
        return found
