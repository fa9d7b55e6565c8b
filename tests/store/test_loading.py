"""Units read in a batch (:func:`crimestats.store.loading.batch_units`) store what units read one by one store."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

import crimestats as cs
from crimestats import sources
from crimestats.store import compact
from crimestats.store.loading import Rows, _all_partitions, batch_units
from tests.conftest import TEST_DATA

POLICE_UK = TEST_DATA / "police-uk"


def _stored(root: Path) -> tuple[dict, dict, pd.DataFrame]:
    """The manifest without times and generated file names, each partition's place, and the store's counts."""
    manifest = json.loads((root / "manifest.json").read_text())
    manifest.pop("last_refresh")
    for entry in manifest["files"].values():
        entry.pop("ingested_at")
    places = {}
    for key, meta in manifest["partitions"].items():
        places[key] = (meta.pop("file").rsplit("/", 1)[0], meta.get("file_partitions"))
    return manifest, places, cs.Store(root).read()


def test_a_refresh_through_batches_stores_what_one_unit_at_a_time_stores(tmp_path):
    folders = sorted(p for p in POLICE_UK.iterdir() if p.is_dir())
    police_uk = sources.get("police.uk")
    assert police_uk.ingest_batches is not None
    batched = cs.Store(tmp_path / "batched").refresh(folders)
    sources.register(dataclasses.replace(police_uk, ingest_batches=None))
    try:
        each = cs.Store(tmp_path / "each").refresh(folders)
    finally:
        sources.register(police_uk)
    assert batched.ingested and batched.to_dict() | {"store": None} == each.to_dict() | {"store": None}
    (manifest, places, counts), (manifest_each, places_each, counts_each) = (
        _stored(tmp_path / "batched"),
        _stored(tmp_path / "each"),
    )
    assert manifest == manifest_each
    assert places == places_each
    assert len(set(places.values())) < len(places)  # a file per source-year, holding its partitions
    pd.testing.assert_frame_equal(counts, counts_each)
    assert counts.coverage.equals(counts_each.coverage)


def test_each_unit_of_a_batch_gets_the_partitions_of_its_own_counts():
    city = cs.read_police_uk(POLICE_UK / "city-of-london")
    frame = pd.DataFrame(city).reset_index(drop=True)
    frame.attrs = {}
    shuffled = frame.sample(frac=1, random_state=0)  # months out of order: partitions are not runs of rows
    no_force = frame.head(3).copy()
    no_force.loc[1, "force"] = pd.NA
    parts = [shuffled, frame.iloc[0:0], no_force, frame.tail(5)]
    counts = pd.concat(parts, ignore_index=True)
    counts_at = np.cumsum([0, *map(len, parts)])
    paths = [Path(f"unit-{n}.csv") for n in range(5)]
    batch = sources.UnitBatch(
        errors=[None, None, cs.SourceFormatError(paths[2], "unreadable"), None, None],
        split=lambda: iter(()),
        counts=counts,
        counts_at=counts_at,
        coverage=None,
        qualities=[[f"q{n}"] for n in range(4)],
    )
    units = batch_units(paths, batch)
    assert [unit.error for unit in units][1:4] == [
        None,
        str(cs.SourceFormatError(paths[2], "unreadable")),
        str(cs.SourceFormatError(paths[3], "some counts rows have no force or no period, so no partition to go in")),
    ]
    for n, own in ((0, parts[0]), (1, parts[1]), (4, parts[3])):
        unit, path = units[n], paths[n]
        expected = _all_partitions(path, own.reset_index(drop=True), None)
        assert [(key, meta) for key, meta, _ in unit.parts] == [(key, meta) for key, meta, _ in expected]
        for (_, _, rows), (_, _, group) in zip(unit.parts, expected, strict=True):
            assert isinstance(rows, Rows)
            pd.testing.assert_frame_equal(rows.frame(), group.reset_index(drop=True))
            assert rows.table().equals(compact.counts_table(group))
        assert unit.summary.count == int(own["count"].sum())
        assert unit.summary.forces == sorted(own["force"].unique())
    assert len(units[0].parts) == 3 and not units[1].parts  # three months; no rows, no partition


def two_spellings(folder: Path) -> Path:
    """January of City of London as a file of a force unknown to crimestats, its name spelt two ways."""
    rows = pd.read_csv(POLICE_UK / "city-of-london" / "2017-01" / "2017-01-city-of-london-street.csv", dtype=str)
    rows["Falls within"] = ["Nowhere Constabulary" if n % 2 else "NOWHERE CONSTABULARY" for n in range(len(rows))]
    (folder / "2017-01").mkdir(parents=True)
    rows.to_csv(folder / "2017-01" / "2017-01-nowhere-street.csv", index=False)
    return folder


def test_a_file_with_two_spellings_of_one_force_is_refused_in_a_batch_or_alone(tmp_path):
    """One partition key (the slug) for two names: the manifest could name only one, and rows of the other would be
    read as another partition's or lost. The file is refused, whichever way it is read, and nothing of it stored."""
    raw = two_spellings(tmp_path / "raw")
    assert len(set(cs.read_police_uk(raw)["force"])) == 2  # the reader keeps the names as written
    police_uk = sources.get("police.uk")
    for name, source in (("batched", police_uk), ("each", dataclasses.replace(police_uk, ingest_batches=None))):
        sources.register(source)
        try:
            store = cs.Store(tmp_path / name)
            result = store.refresh([raw, POLICE_UK / "city-of-london" / "2017-02"])
        finally:
            sources.register(police_uk)
        [failed] = result.failed
        assert "'NOWHERE CONSTABULARY' and 'Nowhere Constabulary' differ only in case" in failed["error"]
        assert set(store.read()["force"]) == {"London, City of"}  # the other file stands
