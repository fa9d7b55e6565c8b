"""Encoding a refresh's files (``crimestats.store.writing``): the rows each file gets, and its compression."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import crimestats as cs
from crimestats import sources
from crimestats.store import compact
from crimestats.store.compact import counts_table
from crimestats.store.loading import Rows, batch_units, rows_table
from crimestats.store.writing import arrow_tables
from tests.conftest import TEST_DATA

POLICE_UK = TEST_DATA / "police-uk"


def _batch_parts(parts: list[pd.DataFrame], *, unplaced: bool = False) -> list[Rows]:
    """The Rows of every partition of ``parts`` (one unit each) read as one batch; with ``unplaced`` a
    unit with a row of no force is added, so the batch does not convert as a whole."""
    if unplaced:
        bad = parts[0].head(2).copy()
        bad.loc[bad.index[0], "force"] = pd.NA
        parts = [*parts, bad]
    counts = pd.concat(parts, ignore_index=True)
    paths = [Path(f"unit-{n}.csv") for n in range(len(parts))]
    batch = sources.UnitBatch(
        errors=[None] * len(parts),
        split=lambda: iter(()),
        counts=counts,
        counts_at=np.cumsum([0, *map(len, parts)]),
        coverage=None,
        qualities=[[f"q{n}"] for n in range(len(parts))],
    )
    units = batch_units(paths, batch)
    return [rows for unit in units if unit.error is None for _, _, rows in unit.parts]


@pytest.fixture(scope="module")
def city() -> pd.DataFrame:
    frame = pd.DataFrame(cs.read_police_uk(POLICE_UK / "city-of-london")).reset_index(drop=True)
    frame.attrs = {}
    return frame


def test_partitions_of_batches_and_frames_convert_to_their_rows_in_order(city):
    # Rows taken by position (a unit whose months are not runs of rows), a batch that converts as a
    # whole and one that does not, frames between: each run converts together, and together they
    # hold exactly the rows of every partition, in the order given.
    shuffled = city.sample(frac=1, random_state=1)
    whole = _batch_parts([shuffled, city.tail(7)])
    apart = _batch_parts([city.head(11), shuffled.head(9)], unplaced=True)
    assert any(not isinstance(rows.index, slice) for rows in whole)
    assert whole[0].batch.table() is not None and apart[0].batch.table() is None
    frame = city.iloc[3:8].reset_index(drop=True)
    groups = [*whole[:2], frame, frame, *apart, whole[2], *whole[3:]]
    tables = arrow_tables(groups)
    assert len(tables) == 4  # runs: whole[:2]; the two frames; apart's; whole[2:]
    expected = pd.concat([g.frame() if isinstance(g, Rows) else g for g in groups], ignore_index=True)
    assert pa.concat_tables(tables).equals(counts_table(expected))


def test_a_run_of_rows_is_one_table_of_their_rows(city):
    parts = _batch_parts([city.sample(frac=1, random_state=2), city])
    for run in (parts[:1], parts, parts[::-1]):
        expected = pd.concat([rows.frame() for rows in run], ignore_index=True)
        assert rows_table(run).equals(counts_table(expected))


def test_counts_files_are_snappy_and_records_files_zstd(tmp_path):
    root = tmp_path / "store"
    assert cs.Store(root).refresh([POLICE_UK / "city-of-london"], records=True).ok
    codecs = {}
    for path in root.rglob("*.parquet"):
        dataset = path.relative_to(root).parts[0]
        column = pq.ParquetFile(path).metadata.row_group(0).column(0)
        codecs.setdefault(dataset, set()).add(column.compression)
    assert codecs == {"counts": {compact.COUNTS_COMPRESSION.upper()}, "records": {"ZSTD"}}
