"""Reading the store while refreshes replace its partitions."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time

import pandas as pd
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
