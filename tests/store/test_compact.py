"""Compaction: a store of many small partitions kept in few files, with nothing lost or counted twice."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import crimestats as cs
from crimestats.store import compact
from crimestats.store.atomic import FAILPOINT_ENV
from tests.conftest import TEST_DATA

CITY = TEST_DATA / "police-uk" / "city-of-london"
MIXED = TEST_DATA / "police-uk" / "mixed-2022-06"
JANUARY = "2017-01-city-of-london-street.csv"


def contents(store: cs.Store) -> pd.DataFrame:
    counts = store.read()
    return counts.sort_values(list(counts.columns)).reset_index(drop=True)


def data_files(store: cs.Store) -> set[str]:
    return {str(p.relative_to(store.root)) for p in store.root.rglob("*.parquet")}


def smaller_january(tmp_path, drop: int = 5):
    folder = tmp_path / "again" / "2017-01"
    folder.mkdir(parents=True)
    table = pd.read_csv(CITY / "2017-01" / JANUARY, dtype=str, keep_default_na=False)
    table.iloc[drop:].to_csv(folder / JANUARY, index=False)
    return folder.parent


def test_compact_puts_a_force_year_in_one_file_and_keeps_every_row(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY / "2017-01"])
    store.refresh([CITY / "2017-02"])
    store.refresh([CITY / "2017-03"])
    before = contents(store)
    assert len(data_files(store)) == 3
    result = store.compact()
    assert (result.groups, result.files_before, result.files_after) == (1, 3, 1)
    pd.testing.assert_frame_equal(contents(store), before)
    manifest = store.manifest()
    assert {meta["file"] for meta in manifest["partitions"].values()} == {
        next(iter(manifest["partitions"].values()))["file"]
    }
    assert "year=2017" in next(iter(manifest["partitions"].values()))["file"]
    assert [meta["file_months"] for meta in manifest["partitions"].values()] == [3, 3, 3]
    # The old files stay for readers of the previous manifest until the next refresh sweeps them.
    assert len(manifest["retired"]) == 3 and len(data_files(store)) == 4
    store.refresh([CITY / "2017-01"])
    assert len(data_files(store)) == 1
    pd.testing.assert_frame_equal(contents(store), before)
    assert store.compact().groups == 0  # nothing left to do


def test_a_replaced_month_of_a_shared_file_is_masked_until_the_next_compaction(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY])
    store.compact()
    old_total = contents(store)["count"].sum()
    shared = next(iter(store.manifest()["partitions"].values()))["file"]
    result = store.refresh([smaller_january(tmp_path)])
    assert result.partitions_replaced == 1
    # The shared file still holds the old January, but the manifest names the new one: its rows are read once.
    assert shared in {meta["file"] for meta in store.manifest()["partitions"].values()}
    assert contents(store)["count"].sum() == old_total - 5
    assert store.read(start="2017-01", end="2017-01")["count"].sum() == 483 - 5
    assert len(store.fragments(start="2017-02")) == 1
    assert compact.excess(store.manifest())[0] == 2  # one file too many, one dead month
    store.compact()
    assert contents(store)["count"].sum() == old_total - 5
    assert compact.excess(store.manifest())[0] == 0


def test_a_big_refresh_writes_shared_files_and_a_refresh_compacts_when_files_pile_up(tmp_path, monkeypatch):
    monkeypatch.setattr(compact, "SHARED_WRITE_MIN", 2)
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY / "2017-01", CITY / "2017-02"])
    assert len(data_files(store)) == 1  # two months, one shared file
    monkeypatch.setattr(compact, "SHARED_WRITE_MIN", 100)
    monkeypatch.setattr(compact, "COMPACT_EXCESS", 2)
    first = store.refresh([MIXED])  # other forces: a file each, no surplus
    assert first.compacted == 0
    result = store.refresh([CITY / "2017-03"])
    assert result.compacted == 0  # one surplus file for City of London 2017
    again = store.refresh([smaller_january(tmp_path)])  # a surplus file and a dead month: compact
    assert again.compacted == 1
    assert compact.excess(store.manifest())[0] == 0
    expected = cs.Store(tmp_path / "plain")
    expected.refresh([smaller_january(tmp_path / "x"), CITY / "2017-02", CITY / "2017-03", MIXED])
    pd.testing.assert_frame_equal(contents(store), contents(expected))


@pytest.mark.parametrize("stage", ["compact-write", "compact-before-swap", "manifest-swap", "compact-after-swap"])
def test_sigkill_during_compaction_leaves_the_store_whole(tmp_path, stage):
    store = cs.Store(tmp_path / "store")
    for month in ("2017-01", "2017-02", "2017-03"):
        store.refresh([CITY / month])
    before, files = contents(store), data_files(store)
    code = "import sys, crimestats as cs; cs.Store(sys.argv[1]).compact()"
    env = {**os.environ, FAILPOINT_ENV: stage}
    killed = subprocess.run([sys.executable, "-c", code, str(store.root)], env=env, capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()
    pd.testing.assert_frame_equal(contents(store), before)
    compacted = stage == "compact-after-swap"
    assert (compact.excess(store.manifest())[0] == 0) is compacted
    # The next refresh takes the dead process's lock and sweeps whatever the crash left.
    store.refresh([CITY / "2017-01"])
    pd.testing.assert_frame_equal(contents(store), before)
    manifest = store.manifest()
    assert data_files(store) == {meta["file"] for meta in manifest["partitions"].values()}
    assert len(data_files(store)) == (1 if compacted else len(files))
    assert not list(store.root.glob(".*.tmp"))


def test_compact_of_no_store_is_a_store_error(tmp_path):
    with pytest.raises(cs.StoreError, match="no store here"):
        cs.Store(tmp_path / "nothing").compact()
    assert not (tmp_path / "nothing").exists()


def test_read_filters_by_source_and_category_open_only_what_they_need(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY, cs.datasets.path("scenario-csp")])
    police = store.read(sources=["police.uk"])
    assert set(police["source"]) == {"police.uk"}
    assert all("src=police.uk" in path for path in store.fragments(sources=["police.uk"]))
    burglary = store.read(sources=["police.uk"], categories=["Burglary"])
    assert set(burglary["category"]) == {"Burglary"}
    assert burglary["count"].sum() == police.loc[police["category"] == "Burglary", "count"].sum()
    # Quality records are those of the files the read drew on.
    assert {q.source for q in police.quality} == {"police.uk"} and len(police.quality) == 3


def test_a_file_with_its_stored_size_and_mtime_is_not_hashed(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    shutil.copytree(CITY, raw)
    store = cs.Store(tmp_path / "store")
    store.refresh([raw])
    from crimestats.store import refresh

    hashed = []
    original = refresh.content_digest
    monkeypatch.setattr(refresh, "content_digest", lambda path, *a: hashed.append(path) or original(path, *a))
    probed = []
    monkeypatch.setattr(cs.sources, "_digest", lambda path: probed.append(path))
    monkeypatch.setattr(cs.sources, "_recognised", lambda path, *_, **__: probed.append(path))
    again = store.refresh([raw])
    assert hashed == [] and probed == [] and len(again.skipped) == 3  # neither hashed nor probed
    monkeypatch.undo()
    monkeypatch.setattr(refresh, "content_digest", lambda path, *a: hashed.append(path) or original(path, *a))
    assert {item["reason"] for item in again.skipped} == {
        f"unchanged (as ingested from {item['file']})" for item in again.skipped
    }
    # Touched but not changed: hashed once, found unchanged, and its new time recorded.
    january = raw / "2017-01" / JANUARY
    os.utime(january, ns=(january.stat().st_atime_ns, january.stat().st_mtime_ns + 10**9))
    assert store.refresh([raw]).ingested == [] and len(hashed) == 1
    assert store.refresh([raw]).ingested == [] and len(hashed) == 1
    # A copy at another path is hashed and found to be content the store holds.
    shutil.copytree(raw / "2017-02", tmp_path / "copy" / "2017-02")
    copy = store.refresh([tmp_path / "copy"])
    assert (
        copy.skipped[0]["reason"].startswith("unchanged (as ingested from ") and str(raw) in copy.skipped[0]["reason"]
    )


def test_the_compact_command(tmp_path, capsys):
    from crimestats.cli import EXIT_BAD_INPUT, EXIT_OK, main

    store = cs.Store(tmp_path / "store")
    store.refresh([CITY / "2017-01"])
    store.refresh([CITY / "2017-02"])
    assert main(["compact", "--store", str(store.root)]) == EXIT_OK
    assert "compacted 1 force-years; 2 data files -> 1" in capsys.readouterr().out
    assert main(["compact", "--store", str(tmp_path / "none")]) == EXIT_BAD_INPUT
    assert "no store here" in capsys.readouterr().err
