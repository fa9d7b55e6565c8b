import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import crimestats as cs
from crimestats.cli import EXIT_BAD_INPUT, EXIT_LOCKED, EXIT_OK, main
from crimestats.store.atomic import FAILPOINT_ENV
from crimestats.store.lock import LOCK, refresh_lock
from tests.conftest import TEST_DATA, shared_path

CITY = TEST_DATA / "police-uk" / "city-of-london"
MIXED = TEST_DATA / "police-uk" / "mixed-2022-06"


def snapshot_of(store: cs.Store) -> pd.DataFrame:
    """The store's contents in a canonical order, for equality checks."""
    counts = store.read()
    return counts.sort_values(list(counts.columns)).reset_index(drop=True)


def data_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.parquet")}


def redownload(tmp_path: Path, drop: int = 5) -> Path:
    """January 2017 as data.police.uk re-publishes it: rows reordered, outcomes updated, a few removed."""
    source = CITY / "2017-01" / "2017-01-city-of-london-street.csv"
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    table = table.iloc[drop:].sample(frac=1, random_state=7)
    crimes = table["Crime ID"] != ""
    table.loc[crimes, "Last outcome category"] = "Offender given a caution"
    folder = tmp_path / "redownload" / "2017-01"
    folder.mkdir(parents=True)
    table.to_csv(folder / source.name, index=False)
    return folder.parent


def test_refresh_twice_is_idempotent_and_totals_equal_rows(tmp_path):
    store = cs.Store(tmp_path / "store")
    first = store.refresh([CITY, MIXED])
    assert len(first.ingested) == 6 and first.ok
    before, files = snapshot_of(store), data_files(store.root)
    second = store.refresh([CITY, MIXED])
    assert second.ingested == [] and len(second.skipped) == 6
    pd.testing.assert_frame_equal(snapshot_of(store), before)
    assert data_files(store.root) == files
    rows = sum(len(pd.read_csv(p, dtype=str)) for p in [*CITY.rglob("*.csv"), *MIXED.rglob("*.csv")])
    assert before["count"].sum() == rows


def test_a_redownloaded_month_replaces_its_partition_never_adds(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY], records=True)
    january = pd.Timestamp("2017-01-01")
    old_total = store.read(start="2017-01", end="2017-01")["count"].sum()
    result = store.refresh([redownload(tmp_path)], records=True)
    assert result.partitions_replaced == 2  # the counts and the records partition of January
    counts = store.read()
    assert counts.loc[counts["period_start"] == january, "count"].sum() == old_total - 5
    assert counts.loc[counts["period_start"] != january, "count"].sum() > 0  # other months untouched
    records = store.read_records(start="2017-01", end="2017-01")
    assert len(records) == old_total - 5
    assert set(records.loc[records["crime_id"].notna(), "outcome"]) == {"Offender given a caution"}
    assert len(store.manifest()["files"]) == 3  # the old January download is no longer in the store
    # The replaced files (counts and records) are kept for readers of the previous manifest until the next refresh.
    assert len(store.manifest()["retired"]) == 2
    # The source-year's file was rewritten with the new January and the months beside it.
    assert len(list((store.root / "counts").rglob("year=2017/*.parquet"))) == 2
    assert store.refresh([CITY / "2017-02"]).ingested == []
    assert store.manifest()["retired"] == {}
    assert len(list((store.root / "counts").rglob("year=2017/*.parquet"))) == 1


STAGES = ["before-write", "mid-write", "after-write", "manifest-swap", "after-swap"]


@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_at_any_stage_leaves_the_old_or_the_new_store(tmp_path, stage):
    root = tmp_path / "store"
    months = tmp_path / "first"
    shutil.copytree(CITY / "2017-01", months / "2017-01")
    shutil.copytree(CITY / "2017-02", months / "2017-02")
    cs.Store(root).refresh([months])
    before = snapshot_of(cs.Store(root))
    sources = [str(CITY / "2017-03"), str(redownload(tmp_path))]

    expected_root = tmp_path / "expected"
    shutil.copytree(root, expected_root)
    cs.Store(expected_root).refresh(sources)
    after = snapshot_of(cs.Store(expected_root))

    code = "import sys, crimestats as cs; cs.Store(sys.argv[1]).refresh(sys.argv[2:])"
    env = {**os.environ, FAILPOINT_ENV: stage}
    killed = subprocess.run([sys.executable, "-c", code, str(root), *sources], env=env, capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()

    state = snapshot_of(cs.Store(root))
    if stage in ("manifest-swap", "before-write", "mid-write", "after-write"):
        pd.testing.assert_frame_equal(state, before)
    else:
        pd.testing.assert_frame_equal(state, after)
    # The dead process's lock is stale; the next refresh takes it, finishes, and sweeps the debris.
    cs.Store(root).refresh(sources)
    pd.testing.assert_frame_equal(snapshot_of(cs.Store(root)), after)
    manifest = cs.Store(root).manifest()
    named = {meta["file"] for meta in manifest["partitions"].values()} | set(manifest["retired"])
    assert data_files(root) == named
    # January's replaced file is kept until the next refresh (after "after-swap", the completing refresh was it).
    assert len(manifest["retired"]) == (0 if stage == "after-swap" else 1)
    assert not (root / LOCK).exists()


def test_a_concurrent_refresh_is_refused_with_exit_code_3(tmp_path, capsys):
    root = tmp_path / "store"
    with refresh_lock(root):  # another refresh, as far as the flock can tell
        with pytest.raises(cs.StoreLockedError, match=f"another refresh holds the lock \\(process {os.getpid()} on"):
            cs.Store(root).refresh([CITY])
        assert main(["refresh", str(CITY), "--store", str(root)]) == EXIT_LOCKED
        assert "another refresh holds the lock" in capsys.readouterr().err
    assert cs.Store(root).refresh([CITY]).ok


def test_a_stale_lock_from_a_dead_process_is_taken(tmp_path):
    root = tmp_path / "store"
    root.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (root / LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": os.uname().nodename, "since": "then"}))
    assert cs.Store(root).refresh([CITY]).ok


def test_bad_sources_do_not_poison_the_store(tmp_path, capsys):
    root = tmp_path / "store"
    cs.Store(root).refresh([CITY / "2017-01"])
    before = snapshot_of(cs.Store(root))
    incoming = tmp_path / "incoming"
    shutil.copytree(CITY / "2017-02", incoming / "2017-02")
    bad = incoming / "2017-03" / "2017-03-city-of-london-street.csv"
    bad.parent.mkdir()
    bad.write_text((CITY / "2017-03" / bad.name).read_text().replace("Crime type", "Crime kind", 1))

    assert main(["refresh", str(incoming), "--store", str(root), "--strict"]) == EXIT_BAD_INPUT
    assert "aborted (--strict): nothing written" in capsys.readouterr().out
    pd.testing.assert_frame_equal(snapshot_of(cs.Store(root)), before)

    assert main(["refresh", str(incoming), "--store", str(root), "--json"]) == EXIT_BAD_INPUT
    result = json.loads(capsys.readouterr().out)
    assert len(result["ingested"]) == 1 and len(result["failed"]) == 1
    assert "wrong header" in result["failed"][0]["error"]
    months = set(cs.Store(root).read()["period_start"].dt.strftime("%Y-%m"))
    assert months == {"2017-01", "2017-02"}


def test_read_opens_only_the_matching_partitions(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY, MIXED])
    wanted = store.fragments(forces=["City of London Police"], start="2017-02")
    # The source-year's file (the forces of MIXED are in 2022's): its rows are filtered by month.
    assert [Path(p).parent.relative_to(store.root).as_posix() for p in wanted] == ["counts/src=police.uk/year=2017"]
    # Make every other data file unreadable: a read that opened one would fail.
    for file in (store.root / "counts").rglob("*.parquet"):
        if str(file) not in wanted:
            file.write_bytes(b"not parquet")
    counts = store.read(forces=["London, City of"], start="2017-02")
    expected = sum(len(pd.read_csv(p, dtype=str)) for p in [*CITY.glob("2017-0[23]/*.csv")])
    assert counts["count"].sum() == expected
    with pytest.raises(cs.StoreError, match=r"a data file cannot be read: .*not a parquet file"):
        store.read()


def test_status_dry_run_and_cli(tmp_path, capsys):
    root = tmp_path / "store"
    assert main(["refresh", str(CITY), "--store", str(root), "--dry-run"]) == EXIT_OK
    assert "would ingest 3 files" in capsys.readouterr().out
    assert not (root / "manifest.json").exists()
    cs.Store(root).refresh([CITY / "2017-01", CITY / "2017-03"])
    status = cs.Store(root).status().set_index("force")
    assert status.loc["London, City of", "missing_months"] == ["2017-02"]
    assert main(["status", "--store", str(root)]) == EXIT_OK
    assert "missing 2017-02" in capsys.readouterr().out


def test_refresh_of_every_source_type(tmp_path):
    store = cs.Store(tmp_path / "store")
    result = store.refresh([cs.datasets.path("scenario-csp"), cs.datasets.path("ons-pfa-2018")])
    assert result.ok
    counts = store.read(forces=["West Midlands"])
    by_source = counts.groupby("source")["count"].sum()
    assert by_source["ons"] == 233393


@pytest.mark.shared
def test_all_forces_month_refreshes_idempotently(tmp_path):
    folder = shared_path("real", "police-uk", "all-forces-2022-06")
    store = cs.Store(tmp_path / "store")
    store.refresh([folder])
    before = snapshot_of(store)
    again = store.refresh([folder])
    assert again.ingested == [] and len(again.skipped) == 39
    pd.testing.assert_frame_equal(snapshot_of(store), before)
    assert before["count"].sum() == 364201


@pytest.mark.shared
def test_city_of_london_from_2018_reads_only_2018_partitions(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh(
        [
            shared_path("real", "police-uk", "city-of-london-2017-2018"),
            shared_path("real", "police-uk", "all-forces-2022-06"),
        ]
    )
    files = store.fragments(forces=["London, City of"], start="2018-01")
    assert len(files) == 1 and "src=police.uk/year=2018/" in files[0]  # the 2017 file is not opened
    assert store.read(forces=["London, City of"], start="2018-01")["period_start"].min() == pd.Timestamp("2018-01-01")
