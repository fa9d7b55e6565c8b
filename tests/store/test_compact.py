"""Compaction: a store of many small partitions kept in few files, with nothing lost or counted twice."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.store import compact
from crimestats.store.atomic import FAILPOINT_ENV
from crimestats.store.manifest import write_manifest
from crimestats.store.read import slug
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


def test_compact_puts_a_source_year_in_one_file_and_keeps_every_row(tmp_path):
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
    assert [meta["file_partitions"] for meta in manifest["partitions"].values()] == [3, 3, 3]
    # The old files stay for readers of the previous manifest until the next refresh sweeps them.
    assert len(manifest["retired"]) == 3 and len(data_files(store)) == 4
    store.refresh([CITY / "2017-01"])
    assert len(data_files(store)) == 1
    pd.testing.assert_frame_equal(contents(store), before)
    assert store.compact().groups == 0  # nothing left to do


def test_a_replaced_month_rewrites_its_source_years_file_so_every_named_row_is_live(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY])
    old_total = contents(store)["count"].sum()
    shared = next(iter(store.manifest()["partitions"].values()))["file"]
    result = store.refresh([smaller_january(tmp_path)])
    assert result.partitions_replaced == 1
    # February and March came along into the new file: the old one is named no more, and no month is dead.
    manifest = store.manifest()
    assert shared in manifest["retired"] and len({meta["file"] for meta in manifest["partitions"].values()}) == 1
    assert [meta["file_partitions"] for meta in manifest["partitions"].values()] == [3, 3, 3]
    assert compact.excess(manifest) == (0, [])
    assert contents(store)["count"].sum() == old_total - 5
    assert store.read(start="2017-01", end="2017-01")["count"].sum() == 483 - 5
    # So an engine reading the files the manifest names, whole, reads each row once.
    named = pd.concat([pd.read_parquet(path) for path in store.fragments()], ignore_index=True)
    assert named["count"].sum() == old_total - 5


def legacy_replaced_january(store: cs.Store, tmp_path) -> str:
    """What an earlier crimestats left after a January, stored in a shared force-year file, was re-published:
    the new January in a ``month=`` file of its own, the old one dead in the shared file. Returns the shared file."""
    key = "counts/src=police.uk/pfa=london-city-of/month=2017-01"
    january = cs.read_police_uk(smaller_january(tmp_path))
    legacy = f"{key}/part-000002-0123abcd.parquet"
    (store.root / key).mkdir(parents=True)
    (store.root / legacy).write_bytes(compact.encode_shared([compact.counts_table(pd.DataFrame(january))]))
    manifest = store.manifest()
    shared = manifest["partitions"][key]["file"]
    assert manifest["partitions"][key]["file_partitions"] == 3
    manifest["partitions"][key] = {k: v for k, v in manifest["partitions"][key].items() if k != "file_partitions"}
    manifest["partitions"][key]["file"] = legacy
    write_manifest(store.root, manifest)
    return shared


def test_a_month_the_manifest_places_elsewhere_is_masked_and_compacted_away(tmp_path):
    """A store written before every counts file lived in its force-year folder: a month re-published after a
    force-year was shared has its own ``month=`` file, and the shared file still holds the old month."""
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY])
    old_total = contents(store)["count"].sum()
    shared = legacy_replaced_january(store, tmp_path)

    # The shared file still holds the old January, but the manifest names the new one: its rows are read once.
    assert contents(store)["count"].sum() == old_total - 5
    assert store.read(start="2017-01", end="2017-01")["count"].sum() == 483 - 5
    assert store.fragments(start="2017-02") == [str(store.root / shared)]
    assert compact.excess(store.manifest()) == (2, ["counts/src=police.uk/year=2017"])
    store.compact()
    assert contents(store)["count"].sum() == old_total - 5
    assert compact.excess(store.manifest())[0] == 0
    assert all("/year=2017/" in meta["file"] for meta in store.manifest()["partitions"].values())


def test_a_month_dead_in_one_file_and_live_in_another_read_in_part_is_read_once(tmp_path):
    """A store written before replaced months were carried: a big refresh put a re-published January and an April
    in a new file, and the old file still holds its January, dead. A read of some months of both files must take
    January only from the new file, though both files are read in part."""
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY])
    manifest = store.manifest()
    parts = manifest["partitions"]
    january, march = (f"counts/src=police.uk/pfa=london-city-of/month=2017-{m}" for m in ("01", "03"))
    april = march.replace("2017-03", "2017-04")
    smaller = pd.DataFrame(cs.read_police_uk(smaller_january(tmp_path)))
    april_rows = pd.DataFrame(cs.read_police_uk(CITY / "2017-03")).assign(period_start=pd.Timestamp("2017-04-01"))
    newer = "counts/src=police.uk/year=2017/part-000002-0123abcd.parquet"
    (store.root / newer).write_bytes(compact.encode_shared([compact.counts_table(f) for f in (smaller, april_rows)]))
    parts[january] = {**parts[january], "file": newer, "file_partitions": 2}
    parts[april] = {**parts[march], "month": "2017-04", "file": newer, "file_partitions": 2}
    write_manifest(store.root, manifest)
    total = {"2017-01": 483 - 5, "2017-02": len(street_rows("2017-02")), "2017-03": len(street_rows("2017-03"))}
    assert monthly(store.read(end="2017-03")) == total  # both files read in part
    assert monthly(store.read()) == {**total, "2017-04": len(street_rows("2017-03"))}


def test_a_file_outside_its_source_year_folder_is_moved_there_by_compaction(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY / "2017-01"])
    before = contents(store)
    key, meta = next(iter(store.manifest()["partitions"].items()))
    legacy = f"{key}/{meta['file'].rsplit('/', 1)[1]}"  # where stores written before put a month of its own
    (store.root / key).mkdir(parents=True)
    (store.root / meta["file"]).rename(store.root / legacy)
    manifest = store.manifest()
    manifest["partitions"][key] = {**meta, "file": legacy}
    write_manifest(store.root, manifest)
    assert compact.excess(store.manifest())[0] == 1
    assert store.compact().groups == 1
    assert "/year=2017/" in next(iter(store.manifest()["partitions"].values()))["file"]
    pd.testing.assert_frame_equal(contents(store), before)


def test_a_refresh_writes_a_file_per_source_year_and_compacts_when_files_pile_up(tmp_path, monkeypatch):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY / "2017-01", CITY / "2017-02"])
    assert len(data_files(store)) == 1  # two months, one source-year file
    monkeypatch.setattr(compact, "COMPACT_EXCESS", 2)
    first = store.refresh([MIXED])  # three forces of 2022: one file, no surplus
    assert first.compacted == 0
    result = store.refresh([CITY / "2017-03"])
    assert result.compacted == 0  # one surplus file for City of London 2017
    again = store.refresh([smaller_january(tmp_path)])  # rewrites January and February's file: still one surplus
    assert again.compacted == 0 and compact.excess(store.manifest())[0] == 1
    monkeypatch.setattr(compact, "COMPACT_EXCESS", 1)
    last = store.refresh([smaller_january(tmp_path / "y", drop=6)])
    assert last.compacted == 1
    assert compact.excess(store.manifest())[0] == 0
    expected = cs.Store(tmp_path / "plain")
    expected.refresh([smaller_january(tmp_path / "x", drop=6), CITY / "2017-02", CITY / "2017-03", MIXED])
    pd.testing.assert_frame_equal(contents(store), contents(expected))


def by_force(counts: pd.DataFrame) -> dict[str, int]:
    """Counts summed by force."""
    return {force: int(total) for force, total in counts.groupby(counts["force"].astype(str))["count"].sum().items()}


def test_a_force_replaced_in_a_file_of_several_forces_brings_the_others_along(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([MIXED])
    [old] = store.fragments()  # every force of the month in one source-year file
    before = by_force(store.read())
    assert len(before) > 1
    kent = "2022-06-kent-street.csv"
    folder = tmp_path / "again" / "2022-06"
    folder.mkdir(parents=True)
    pd.read_csv(MIXED / "2022-06" / kent, dtype=str, keep_default_na=False).iloc[9:].to_csv(folder / kent, index=False)
    republished = by_force(cs.read_police_uk(folder.parent))
    assert len(republished) == 1 and next(iter(republished.values())) < before[next(iter(republished))]
    result = store.refresh([folder.parent])
    assert result.partitions_replaced == 1
    expected = {**before, **republished}
    assert by_force(store.read()) == expected
    # The other forces came along into the new file: the old one is named no more, and no partition is dead.
    [new] = store.fragments()
    assert new != old and str(Path(old).relative_to(store.root)) in store.manifest()["retired"]
    assert by_force(pd.read_parquet(new)) == expected  # an engine reading the named file reads each row once
    assert compact.excess(store.manifest()) == (0, [])
    force = next(iter(republished))
    assert by_force(store.read(forces=[force])) == republished  # a force's rows out of the shared file
    others = sorted(set(before) - {force})
    assert by_force(store.read(forces=others)) == {name: before[name] for name in others}


def earlier_layout(store: cs.Store) -> None:
    """Rewrite ``store`` as crimestats wrote it before source-year files: a file per force-year, in
    ``counts/src=<source>/pfa=<force>/year=<YYYY>/``, its partitions counting ``file_months``."""
    manifest = store.manifest()
    groups: dict[tuple[str, str], list[str]] = {}
    for key, meta in manifest["partitions"].items():
        groups.setdefault((meta["file"], meta["force"]), []).append(key)
    for n, ((file, force), keys) in enumerate(sorted(groups.items())):
        table = pq.read_table(store.root / file).filter(pc.field("force") == force)
        src, year = file.split("/")[1], file.split("/")[2]
        target = f"counts/{src}/pfa={slug(force)}/{year}/part-000001-legacy{n:02d}.parquet"
        (store.root / target).parent.mkdir(parents=True, exist_ok=True)
        (store.root / target).write_bytes(compact.encode_shared([table]))
        for key in keys:
            entry = {k: v for k, v in manifest["partitions"][key].items() if k != "file_partitions"}
            manifest["partitions"][key] = {**entry, "file": target, "file_months": len(keys)}
    for file, _ in groups:
        (store.root / file).unlink(missing_ok=True)
    write_manifest(store.root, manifest)


def test_a_store_of_force_year_files_moves_to_source_year_files_at_its_next_refresh(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY / "2017-01", CITY / "2017-02", MIXED])
    before = contents(store)
    earlier_layout(store)
    assert len(store.fragments()) == 4 and all("/pfa=" in path for path in store.fragments())
    assert compact.misplaced(store.manifest()) and compact.excess(store.manifest())[0] == 4
    pd.testing.assert_frame_equal(contents(store), before)  # read as it was
    # A new file beside force-year folders would make a dataset of two sets of Hive keys, which DuckDB and Polars
    # refuse: the refresh moves every file of the earlier layout into its source-year's.
    result = store.refresh([CITY / "2017-03"])
    assert result.compacted == 2
    assert not compact.misplaced(store.manifest()) and compact.excess(store.manifest()) == (0, [])
    assert all("/pfa=" not in path for path in store.fragments())
    expected = cs.Store(tmp_path / "plain")
    expected.refresh([CITY, MIXED])
    pd.testing.assert_frame_equal(contents(store), contents(expected))
    table = ds.dataset(store.fragments(), format="parquet", partitioning="hive").to_table()
    assert "pfa" not in table.column_names
    assert table.column("count").to_numpy().sum() == contents(expected)["count"].sum()
    store.refresh([CITY / "2017-01"])
    assert not list((store.root / "counts" / "src=police.uk").glob("pfa=*"))  # swept, folders and all


def test_a_force_spelt_two_ways_in_a_file_of_an_earlier_layout_is_read_whole_and_never_compacted(tmp_path, caplog):
    """Earlier versions stored a file with two spellings of a force's name (one partition key) in the force's own
    file. Its rows are read by month, as then; compaction into files of several forces, which tell forces apart by
    name, would lose one spelling's rows, so it refuses and leaves the store as it is."""
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY / "2017-01", CITY / "2017-02"])
    earlier_layout(store)
    [file] = store.fragments()
    table = pq.read_table(file)
    names = ["LONDON, CITY OF" if n % 3 == 0 else "London, City of" for n in range(len(table))]
    table = table.set_column(table.schema.get_field_index("force"), "force", pa.array(names))
    Path(file).write_bytes(compact.encode_shared([table]))
    total = int(pc.sum(table.column("count")).as_py())
    assert contents(store)["count"].sum() == total
    assert store.read(start="2017-02")["count"].sum() == monthly(pd.read_parquet(file))["2017-02"]
    manifest = (store.root / "manifest.json").read_bytes()
    with pytest.raises(cs.StoreError, match="two spellings"):
        store.compact()
    assert (store.root / "manifest.json").read_bytes() == manifest
    result = store.refresh([CITY / "2017-03"])  # its own compaction is refused; the refresh stands
    assert result.ok and result.compacted == 0 and "two spellings" in caplog.text
    assert contents(store)["count"].sum() == total + len(street_rows("2017-03"))


def test_a_file_whose_entries_record_too_few_partitions_is_still_moved_by_compaction(tmp_path):
    """Manifests of 2026-11-26 recorded row groups, not how many months a file held: such a file reads as written
    with one partition. It holds no dead partition; in an earlier layout's folder it is surplus, and moved."""
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY])
    before = contents(store)
    earlier_layout(store)
    manifest = store.manifest()
    for key, meta in manifest["partitions"].items():
        manifest["partitions"][key] = {k: v for k, v in meta.items() if k != "file_months"}
    write_manifest(store.root, manifest)
    assert compact.misplaced(store.manifest())
    assert compact.excess(store.manifest()) == (1, ["counts/src=police.uk/year=2017"])
    assert store.compact().groups == 1 and not compact.misplaced(store.manifest())
    pd.testing.assert_frame_equal(contents(store), before)


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
    assert "compacted 1 source-years; 2 data files -> 1" in capsys.readouterr().out
    assert main(["compact", "--store", str(tmp_path / "none")]) == EXIT_BAD_INPUT
    assert "no store here" in capsys.readouterr().err


def test_a_damaged_file_whose_months_a_refresh_must_carry_is_a_store_error(tmp_path, capsys):
    from crimestats.cli import EXIT_BAD_INPUT, main

    store = cs.Store(tmp_path / "store")
    store.refresh([CITY])
    (store.root / next(iter(store.manifest()["partitions"].values()))["file"]).write_bytes(b"not parquet")
    manifest = (store.root / "manifest.json").read_bytes()
    with pytest.raises(
        cs.StoreError, match=r"cannot read the store's file counts/.*/year=2017/.*the store is unchanged"
    ):
        store.refresh([smaller_january(tmp_path)])
    assert (store.root / "manifest.json").read_bytes() == manifest
    assert main(["refresh", str(smaller_january(tmp_path / "again")), "--store", str(store.root)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "cannot read the store's file" in err and "Traceback" not in err


MONTHS = ["2017-01", "2017-02", "2017-03"]


def monthly(counts: pd.DataFrame) -> dict[str, int]:
    """Counts summed by month ("2017-01")."""
    sums = counts.groupby(counts["period_start"].dt.strftime("%Y-%m"))["count"].sum()
    return {month: int(total) for month, total in sums.items()}


def street_rows(month: str) -> pd.DataFrame:
    return pd.read_csv(CITY / month / f"{month}-city-of-london-street.csv", dtype=str, keep_default_na=False)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.sampled_from([(["2017-01", "2017-02", "2017-03"],), (["2017-01"], ["2017-02"], ["2017-03"])]),
    steps=st.lists(
        st.lists(
            st.tuples(st.sampled_from(MONTHS), st.integers(1, 40)), min_size=1, max_size=3, unique_by=lambda x: x[0]
        ),
        min_size=1,
        max_size=2,
    ),
)
def test_months_republished_in_any_order_leave_each_row_once_in_the_named_files(tmp_path_factory, seed, steps):
    """Whatever files hold a force-year's months (one, or one a month), months re-published a few at a time leave
    each month's rows, as its last download has them, once in the store and once in the files the manifest names."""
    work = tmp_path_factory.mktemp("republished")
    store = cs.Store(work / "store")
    for months in seed:  # one refresh of all three months, or a refresh a month: a file each
        assert store.refresh([CITY / month for month in months]).ok
    expected = {month: len(street_rows(month)) for month in MONTHS}
    for n, step in enumerate(steps):
        folders = []
        for month, drop in step:
            name = f"{month}-city-of-london-street.csv"
            folder = work / f"download-{n}" / month
            folder.mkdir(parents=True)
            street_rows(month).iloc[drop:].to_csv(folder / name, index=False)
            folders.append(folder)
            expected[month] = len(street_rows(month)) - drop
        assert store.refresh(folders).ok
    assert monthly(contents(store)) == expected
    named = pd.concat([pd.read_parquet(path) for path in store.fragments()], ignore_index=True)
    assert monthly(named) == expected
    # No file holds a dead month: the surplus is only the files beyond one.
    assert compact.excess(store.manifest())[0] == len(store.fragments()) - 1


def test_months_replaced_from_two_files_at_once_bring_both_files_other_months(tmp_path):
    april = tmp_path / "raw" / "2017-04"  # March's rows as an April, for a force-year of four months
    april.mkdir(parents=True)
    street_rows("2017-03").assign(Month="2017-04").to_csv(april / "2017-04-city-of-london-street.csv", index=False)
    store = cs.Store(tmp_path / "store")
    store.refresh([CITY / "2017-01", CITY / "2017-02"])  # one file: January and February
    store.refresh([CITY / "2017-03", april])  # another: March and April
    assert len(store.fragments()) == 2
    january = smaller_january(tmp_path, drop=5)
    march = tmp_path / "again" / "2017-03"
    march.mkdir(parents=True)
    street_rows("2017-03").iloc[7:].to_csv(march / "2017-03-city-of-london-street.csv", index=False)
    result = store.refresh([january / "2017-01", march])
    assert result.partitions_replaced == 2
    [file] = store.fragments()  # February came along from the first file, April from the second
    assert {meta["file_partitions"] for meta in store.manifest()["partitions"].values()} == {4}
    assert monthly(pd.read_parquet(file)) == {
        "2017-01": len(street_rows("2017-01")) - 5,
        "2017-02": len(street_rows("2017-02")),
        "2017-03": len(street_rows("2017-03")) - 7,
        "2017-04": len(street_rows("2017-03")),
    }
    assert monthly(contents(store)) == monthly(pd.read_parquet(file))
    assert compact.excess(store.manifest()) == (0, [])
