"""Reading the store while refreshes replace its partitions."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import crimestats as cs
from crimestats.store import read
from tests.conftest import TEST_DATA

CITY = TEST_DATA / "police-uk" / "city-of-london"
JANUARY = "2017-01-city-of-london-street.csv"


def editions(tmp_path):
    """Two editions of January 2017 (the second with 5 rows fewer), each in its own download folder."""
    first = tmp_path / "first" / "2017-01"
    first.mkdir(parents=True)
    shutil.copy(CITY / "2017-01" / JANUARY, first)
    second = tmp_path / "second" / "2017-01"
    second.mkdir(parents=True)
    table = pd.read_csv(CITY / "2017-01" / JANUARY, dtype=str, keep_default_na=False)
    table.iloc[5:].to_csv(second / JANUARY, index=False)
    return first.parent, second.parent


def test_a_reader_of_the_previous_manifest_finds_every_file_until_the_next_refresh(tmp_path):
    first, second = editions(tmp_path)
    store = cs.Store(tmp_path / "store")
    store.refresh([first, CITY / "2017-02"], records=True)
    before = store.manifest()
    expected = read.read_counts(store.root, before)
    store.refresh([second], records=True)  # replaces January
    assert store.manifest()["generation"] == before["generation"] + 1
    pd.testing.assert_frame_equal(read.read_counts(store.root, before), expected)
    assert len(read.read_records(store.root, before)) == expected["count"].sum()
    store.refresh([first], records=True)  # the next refresh: no reader can need the first files now
    with pytest.raises(FileNotFoundError):
        read.read_counts(store.root, before)
    assert store.read()["count"].sum() == expected["count"].sum()  # a reader starting now sees the new manifest


# A reader in its own process (as a notebook beside a scheduled refresh would be): it reads the whole
# store in a loop and logs each total, or the error, until told to stop.
READER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import crimestats as cs

    store, log, stop = cs.Store(sys.argv[1]), open(sys.argv[2], "w"), Path(sys.argv[3])
    store.read()  # the first read imports the reading modules: done before the refreshes start
    log.write("ready\\n")
    log.flush()
    while not stop.exists():
        try:
            log.write(f"{int(store.read()['count'].sum())}\\n")
        except Exception as error:
            log.write(f"error {type(error).__name__}: {error}\\n")
        log.flush()
    """
)


def test_a_reader_looping_during_replacing_refreshes_never_fails(tmp_path):
    first, second = editions(tmp_path)
    store = cs.Store(tmp_path / "store")
    store.refresh([first, CITY / "2017-02"])
    big = store.read()["count"].sum()
    log, stop = tmp_path / "reads.log", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(store.root), str(log), str(stop)])
    try:
        deadline = time.time() + 60
        while not (log.exists() and log.read_text().startswith("ready")) and time.time() < deadline:
            time.sleep(0.05)
        for turn in range(16):
            result = store.refresh([second if turn % 2 == 0 else first])
            assert result.partitions_replaced == 1
    finally:
        stop.touch()
        reader.wait(timeout=60)
    reads = log.read_text().splitlines()[1:]
    assert [line for line in reads if line.startswith("error")] == []
    assert len(reads) >= 16
    assert {int(line) for line in reads} <= {big, big - 5}  # always one whole edition or the other


def test_a_file_missing_from_outside_is_a_store_error(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY / "2017-01"])
    for file in store.root.rglob("*.parquet"):
        file.unlink()
    with pytest.raises(cs.StoreError, match=r"a data file the manifest names is missing .* changed from outside"):
        store.read()


def _years_and_a_replaced_month(tmp_path: Path) -> tuple[cs.Store, pd.Series]:
    """A store of three years of several forces with a January re-published after its force-year was written,
    and what it should hold by force and year, from the reader (not the store)."""
    store = cs.Store(tmp_path / "store")
    police_uk = TEST_DATA / "police-uk"
    others = [police_uk / "mixed-2022-06", police_uk / "reorganised-2024-01"]
    store.refresh([CITY, *others])
    again = tmp_path / "again" / "2017-01"
    again.mkdir(parents=True)
    street = CITY / "2017-01" / "2017-01-city-of-london-street.csv"
    pd.read_csv(street, dtype=str, keep_default_na=False).iloc[5:].to_csv(again / street.name, index=False)
    assert store.refresh([again.parent]).partitions_replaced == 1
    read = [cs.read_police_uk(folder) for folder in [again.parent, CITY / "2017-02", CITY / "2017-03", *others]]
    return store, _by_force_and_year(pd.concat([pd.DataFrame(frame) for frame in read], ignore_index=True))


def _by_force_and_year(frame: pd.DataFrame) -> pd.Series:
    years = pd.DatetimeIndex(frame["period_start"]).year.rename("year")
    return frame.groupby([frame["force"].astype(str), years])["count"].sum().astype("int64").sort_index()


def test_the_files_the_manifest_names_read_as_one_hive_dataset_of_live_rows(tmp_path):
    store, expected = _years_and_a_replaced_month(tmp_path)
    files = store.fragments()
    # One set of Hive keys in every counts file: read together, they are what the sources hold, each row once.
    table = ds.dataset(files, format="parquet", partitioning="hive").to_table()
    assert {"src", "year"} <= set(table.column_names)
    pd.testing.assert_series_equal(_by_force_and_year(table.to_pandas()), expected, check_names=False)
    pd.testing.assert_series_equal(_by_force_and_year(store.read()), expected, check_names=False)
    assert sorted(set(table.column("year").to_pylist())) == [2017, 2022, 2024]


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_duckdb_and_polars_read_the_named_files_as_docs_distributed_says(tmp_path, engine):
    """The recipes of docs/distributed.md on a store of several years with a replaced month (where installed)."""
    pytest.importorskip(engine)
    store, expected = _years_and_a_replaced_month(tmp_path)
    files = store.fragments()
    if engine == "duckdb":
        import duckdb

        frame = duckdb.sql(
            "SELECT force, period_start, count FROM read_parquet($files, hive_partitioning = true) WHERE year >= 2017",
            params={"files": files},
        ).df()
    else:
        import polars as pl

        frame = pl.scan_parquet(files, hive_partitioning=True).select("force", "period_start", "count").collect()
        frame = frame.to_pandas()
    pd.testing.assert_series_equal(_by_force_and_year(frame), expected, check_names=False)


def test_a_file_of_several_row_groups_is_sorted_by_force_and_a_force_read_skips_the_others(tmp_path, monkeypatch):
    from crimestats.store import compact

    january = TEST_DATA / "police-uk" / "reorganised-2024-01" / "2024-01"  # 48 rows of counts, two forces
    february = tmp_path / "raw" / "2024-02"
    february.mkdir(parents=True)
    for path in january.glob("*.csv"):
        rows = pd.read_csv(path, dtype=str, keep_default_na=False).assign(Month="2024-02")
        rows.to_csv(february / path.name.replace("2024-01", "2024-02"), index=False)
    plain = cs.Store(tmp_path / "plain")
    plain.refresh([january, february])
    monkeypatch.setattr(compact, "ROW_GROUP_ROWS", 10)
    store = cs.Store(tmp_path / "store")
    store.refresh([january])
    store.refresh([february])
    store.compact()  # the two months' files in one: each file's rows in turn, not in force order unless sorted
    [file] = store.fragments()
    forces = pq.read_table(file).column("force").to_pylist()
    assert forces == sorted(forces) and len(set(forces)) == 2
    groups = pq.ParquetFile(file).num_row_groups
    fragment = next(iter(ds.dataset(file, format="parquet").get_fragments()))
    kept = fragment.split_by_row_group(ds.field("force").isin([forces[0]]))
    assert groups > 2 and 0 < len(kept) < groups  # the statistics skip the other force's row groups
    for filters in ({}, {"forces": [forces[0]]}, {"forces": [forces[-1]], "start": "2024-02"}):
        ours, theirs = store.read(**filters), plain.read(**filters)
        columns = list(ours.columns)
        pd.testing.assert_frame_equal(
            pd.DataFrame(ours).sort_values(columns).reset_index(drop=True),
            pd.DataFrame(theirs).sort_values(columns).reset_index(drop=True),
        )
