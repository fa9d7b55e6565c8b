"""The LSOA look-up table of a boundary vintage: every LSOA code (2011 or 2021) with its CSP and LSOA set.

What a street-file read places its rows with (:func:`crimestats.boundaries.lsoa_table` is the
public way to it). Built from the shipped lookups with Arrow compute on whole columns (no Python
loop per LSOA) and kept in the user's cache (:mod:`crimestats.cache`), so a new process loads it
in milliseconds rather than building it while the first files wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from types import MappingProxyType

import numpy as np

from .cache import derived, text_array, text_values
from .exceptions import CrimestatsError


@dataclass(frozen=True)
class LsoaTable:
    """Every LSOA code of either vintage numbered, with its CSP on one boundary vintage and its LSOA set.

    For readers that map millions of rows: number a file's distinct codes once (``codes[i]`` is
    the code numbered i; ``index`` maps a code to its number), then use numpy on ``area`` (index
    into ``areas``, the (CSP code, CSP name) pairs) and ``sets`` (:func:`crimestats.boundaries.lsoa_set_of`).
    ``lines`` holds the codes as UTF-8 lines, each ended by a line feed: the compiled scanner's
    interner is made from them (``Interner.from_lines``) without a str per code.
    """

    lines: bytes
    areas: tuple[tuple[str, str], ...]
    area: np.ndarray
    sets: np.ndarray

    @cached_property
    def codes(self) -> tuple[str, ...]:
        """Each code, in the order numbered (made on first use)."""
        return tuple(text_values(self.lines))

    @cached_property
    def index(self) -> Mapping[str, int]:
        """Code -> its number (a read-only dict, made on first use)."""
        return MappingProxyType(dict(zip(self.codes, range(len(self.codes)), strict=True)))


def shipped_columns(name: str, columns: list[str]):  # -> pyarrow.Table
    """Some columns of a shipped table, read with pyarrow alone (no pandas frame)."""
    import pyarrow.parquet as pq

    with resources.files("crimestats.data").joinpath(name).open("rb") as handle:
        return pq.ParquetFile(handle).read(columns=columns)


def load_table(vintage: str) -> LsoaTable:
    """The :class:`LsoaTable` of a boundary vintage (checked already), from the cache or built and kept there."""
    arrays = derived(f"lsoa-table-{vintage}", INPUTS, __file__, lambda: table_arrays(vintage), whole_table)
    return LsoaTable(
        lines=arrays["codes"].tobytes(),
        areas=tuple(zip(text_values(arrays["area_codes"]), text_values(arrays["area_names"]), strict=True)),
        area=arrays["area"].astype(np.int64, copy=False),
        sets=arrays["sets"].astype(np.int8, copy=False),
    )


#: The shipped files the table is derived from.
INPUTS = ("csp_vintages.parquet", "lsoa21_lookup.parquet", "lsoa_changes.parquet")


def whole_table(arrays: dict[str, np.ndarray]) -> bool:
    """Whether :func:`table_arrays`' arrays (as cached) agree: a code per area id and set, each area id an area's."""
    try:
        codes, area_codes, area_names, area = (arrays[k] for k in ("codes", "area_codes", "area_names", "area"))
        areas = np.count_nonzero(area_codes == ord("\n"))
        return (
            np.count_nonzero(codes == ord("\n")) == len(area) == len(arrays["sets"])
            and areas == np.count_nonzero(area_names == ord("\n"))
            and bool(area.size == 0 or (area.min() >= 0 and area.max() < areas))
        )
    except (KeyError, ValueError, TypeError):  # an array missing, or not of the kind written
        return False


def table_arrays(vintage: str) -> dict[str, np.ndarray]:
    """The columns of a vintage's :class:`LsoaTable`, by Arrow compute on whole columns (no Python loop per LSOA)."""
    import pyarrow.compute as pc

    csps = shipped_columns("csp_vintages.parquet", ["vintage", "csp_code", "csp_name"])
    csps = csps.filter(pc.equal(csps.column("vintage"), vintage))
    names = dict(zip(*(csps.column(c).to_pylist() for c in ("csp_code", "csp_name")), strict=True))
    codes21, csp21 = shipped_columns("lsoa21_lookup.parquet", ["lsoa21_code", f"csp_{vintage}"]).columns
    codes11, best21, best_fit = shipped_columns(
        "lsoa_changes.parquet", ["lsoa11_code", "lsoa21_code", "best_fit"]
    ).columns
    # Areas numbered in (code, name) order (a vintage names each CSP code once); each 2021 LSOA's through its CSP code.
    area_codes = pc.unique(csp21).sort()
    area21 = pc.index_in(csp21, value_set=area_codes).to_numpy()
    # 2011 codes not in the 2021 set, carried by their best fit (the first such row of each) when
    # it is a 2021 LSOA of the table.
    target = pc.index_in(best21, value_set=codes21)
    carried = pc.and_(pc.and_(best_fit, pc.invert(pc.is_in(codes11, value_set=codes21))), pc.is_valid(target))
    carried_codes = codes11.filter(carried)
    _, first = np.unique(carried_codes.to_numpy(zero_copy_only=False), return_index=True)
    first.sort()
    carried_codes = carried_codes.take(first)
    carried_area = area21[target.filter(carried).take(first).to_numpy()]
    # A 2021 code is in the 2011 set too when unchanged; a carried code is a 2011 code only.
    in11 = pc.is_in(codes21, value_set=codes11).to_numpy(zero_copy_only=False)
    codes = codes21.to_pylist() + carried_codes.to_pylist()
    if len(set(codes)) != len(codes):  # pragma: no cover - the shipped lookups have each code once
        raise CrimestatsError("internal error: an LSOA code is twice in the shipped lookups")
    return {
        "codes": text_array(codes),
        "area_codes": text_array(area_codes.to_pylist()),
        "area_names": text_array([names[code] for code in area_codes.to_pylist()]),
        "area": np.concatenate([area21, carried_area]).astype(np.int64),
        "sets": np.concatenate([np.where(in11, 0, 2), np.ones(len(carried_codes))]).astype(np.int8),
    }
