"""The store protects what it has: a file may not replace partitions another file wrote."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.cli import EXIT_BAD_INPUT, main
from tests.conftest import TEST_DATA

CITY = TEST_DATA / "police-uk" / "city-of-london"


def street(month: str) -> pd.DataFrame:
    return pd.read_csv(CITY / month / f"{month}-city-of-london-street.csv", dtype=str, keep_default_na=False)


def write(table: pd.DataFrame, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)


def good_files(tmp_path):
    """City of London January and February, and a Metropolitan Police January (City rows relabelled)."""
    good = tmp_path / "good"
    for month in ("2017-01", "2017-02"):
        shutil.copytree(CITY / month, good / month)
    met = street("2017-01").assign(**{"Falls within": "Metropolitan Police Service"})
    write(met, good / "2017-01" / "2017-01-metropolitan-street.csv")
    return good


def bad_cases(tmp_path):
    """The bad cases of issue 16 a store can meet, a re-found copy, and one good new month beside them."""
    bad = tmp_path / "bad"
    # Named February, holding (most of) January's rows.
    write(street("2017-01").iloc[3:], bad / "misnamed" / "2017-02" / "2017-02-city-of-london-street.csv")
    # A City of London January whose first 50 rows say they fall within the Metropolitan Police.
    mislabelled = street("2017-01")
    mislabelled.loc[mislabelled.index[:50], "Falls within"] = "Metropolitan Police Service"
    write(mislabelled, bad / "mislabelled" / "2017-01" / "2017-01-city-of-london-street.csv")
    # A renamed column, a truncated download, a corrupt zip member, a CSV renamed .xlsx.
    renamed = street("2017-02").rename(columns={"Crime type": "Crime kind"})
    write(renamed, bad / "renamed" / "2017-02" / "2017-02-city-of-london-street.csv")
    packed = gzip.compress((CITY / "2017-02" / "2017-02-city-of-london-street.csv").read_bytes())
    (bad / "cut").mkdir()
    (bad / "cut" / "2017-02-city-of-london-street.csv.gz").write_bytes(packed[: len(packed) // 2])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2017-01/2017-01-city-of-london-street.csv", street("2017-01").to_csv(index=False))
    damaged = bytearray(buffer.getvalue())
    for offset in range(200, 260):
        damaged[offset] ^= 0xFF
    (bad / "zip").mkdir()
    (bad / "zip" / "2017-01.zip").write_bytes(bytes(damaged))
    (bad / "zip" / "table.xlsx").write_bytes((CITY / "2017-01" / "2017-01-city-of-london-street.csv").read_bytes())
    # The same January again elsewhere in the tree: the store holds it, so it is skipped, never counted twice.
    shutil.copytree(CITY / "2017-01", bad / "copy" / "2017-01")
    # Good: March, and a second, different March in the same refresh (the second is refused).
    shutil.copytree(CITY / "2017-03", bad / "2017-03")
    write(street("2017-03").iloc[10:], bad / "second" / "2017-03" / "2017-03-city-of-london-street.csv")
    return bad


HELD = "which the store holds from"
EXPECTED_FAILURES = {
    # The reader refuses it first (its name and rows disagree); the store would refuse its claim too.
    "misnamed/2017-02/2017-02-city-of-london-street.csv": "name says month 2017-02 but 480 of 480 rows say 2017-01",
    "mislabelled/2017-01/2017-01-city-of-london-street.csv": f"rows of Metropolitan Police for 2017-01, {HELD}",
    "renamed/2017-02/2017-02-city-of-london-street.csv": "Crime type",
    "cut/2017-02-city-of-london-street.csv.gz": "truncated",
    "zip/2017-01.zip": "corrupt",
    "zip/table.xlsx": "not a readable spreadsheet",
    "second/2017-03/2017-03-city-of-london-street.csv": "also holds in this refresh",
}


def test_bad_files_are_refused_and_reported_and_nothing_stored_is_lost(tmp_path, capsys):
    root = tmp_path / "store"
    assert cs.Store(root).refresh([good_files(tmp_path)]).ok
    before = cs.Store(root).read()
    stored = before.groupby(["force", "period_start"])["count"].sum()

    bad = bad_cases(tmp_path)
    assert main(["refresh", str(bad), "--store", str(root), "--json"]) == EXIT_BAD_INPUT
    result = json.loads(capsys.readouterr().out)
    failed = {str(item["file"]).split("/bad/")[1]: item["error"] for item in result["failed"]}
    assert set(failed) == set(EXPECTED_FAILURES)
    for file, reason in EXPECTED_FAILURES.items():
        assert reason in failed[file] and file.rsplit("/", 1)[1] in failed[file], failed[file]
    assert [item["file"].split("/bad/")[1] for item in result["ingested"]] == [
        "2017-03/2017-03-city-of-london-street.csv"
    ]
    assert any("unchanged" in item["reason"] for item in result["skipped"])

    after = cs.Store(root).read()
    kept = after[after["period_start"] < pd.Timestamp("2017-03-01")]
    pd.testing.assert_series_equal(kept.groupby(["force", "period_start"])["count"].sum(), stored)
    march = after.loc[after["period_start"] == pd.Timestamp("2017-03-01"), "count"].sum()
    assert march == len(street("2017-03"))


def test_strict_writes_nothing_when_any_file_is_bad(tmp_path, capsys):
    root = tmp_path / "store"
    cs.Store(root).refresh([good_files(tmp_path)])
    manifest = (root / "manifest.json").read_bytes()
    assert main(["refresh", str(bad_cases(tmp_path)), "--store", str(root), "--strict"]) == EXIT_BAD_INPUT
    assert "aborted (--strict): nothing written" in capsys.readouterr().out
    assert (root / "manifest.json").read_bytes() == manifest


def home_office(tmp_path, name: str, keep) -> str:
    table = pd.read_csv(cs.datasets.path("home-office-pfa-2017-18"), dtype=str, keep_default_na=False)
    path = tmp_path / name
    table[keep(table)].to_csv(path, index=False)
    return str(path)


def test_a_fuller_edition_of_a_table_replaces_it_and_a_fragment_is_refused(tmp_path):
    store = cs.Store(tmp_path / "store")
    half_year = home_office(tmp_path, "prc-pfa-tables-q2.csv", lambda t: t["Financial Quarter"].isin(["1", "2"]))
    assert store.refresh([half_year]).ok
    full_year = home_office(tmp_path, "prc-pfa-tables-q4.csv", lambda t: t["Financial Quarter"] != "")
    result = store.refresh([full_year])
    assert result.ok and result.partitions_replaced > 0
    assert list(store.manifest()["files"]) == [str((tmp_path / "prc-pfa-tables-q4.csv").resolve())]

    fragment = home_office(tmp_path, "west-midlands-q1.csv", lambda t: t["Force Name"] == "West Midlands")
    before = store.read()
    result = store.refresh([fragment])
    assert not result.ok and "the store holds from" in result.failed[0]["error"]
    pd.testing.assert_frame_equal(store.read(), before)


NAMES = [
    "2017-01-city-of-london-street.csv",
    "2017-02-city-of-london-street.csv",
    "2017-03-city-of-london-street.csv",
    "2017-01-metropolitan-street.csv",
    "downloaded.csv",
]
MONTHS = ["2017-01", "2017-02", "2017-03"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    base = tmp_path_factory.mktemp("stored")
    assert cs.Store(base / "store").refresh([good_files(base)]).ok
    return base / "store"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    month=st.sampled_from(MONTHS),
    dropped=st.integers(0, 20),
    relabelled=st.integers(0, 60),
    moved=st.integers(0, 60),
    moved_to=st.sampled_from(MONTHS),
    name=st.sampled_from(NAMES),
)
def test_a_file_never_changes_what_a_differently_named_file_wrote(
    stored, tmp_path_factory, month, dropped, relabelled, moved, moved_to, name
):
    work = tmp_path_factory.mktemp("case")
    root = work / "store"
    shutil.copytree(stored, root)
    before = cs.Store(root).manifest()["partitions"]
    rows_before = cs.Store(root).read()
    table = street(month).iloc[dropped:].reset_index(drop=True)
    table.loc[: relabelled - 1, "Falls within"] = "Metropolitan Police Service"
    table.loc[len(table) - moved :, "Month"] = moved_to
    write(table, work / "incoming" / name)

    result = cs.Store(root).refresh([work / "incoming" / name])
    after = cs.Store(root).manifest()["partitions"]
    rows_after = cs.Store(root).read()
    for part, meta in before.items():
        if Path(meta["from"]).name != name:
            # What it holds and where it came from stay; its rows may be rewritten into another file of its
            # source-year (a month replaced beside it), but they are the same rows.
            assert logical(after[part]) == logical(meta), (part, result.failed)
            assert_same_rows(rows_after, rows_before, meta), part
    if result.failed:  # refused whole: nothing of it is stored
        assert after == before


def logical(meta: dict) -> dict:
    """A partition's manifest entry without where its rows are (which file, how many partitions it holds)."""
    return {key: value for key, value in meta.items() if key not in ("file", "file_partitions")}


def assert_same_rows(after: pd.DataFrame, before: pd.DataFrame, meta: dict) -> None:
    def rows(frame):
        held = frame[(frame["force"] == meta["force"]) & (frame["period_start"].dt.strftime("%Y-%m") == meta["month"])]
        return held.sort_values(list(held.columns)).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(after), rows(before))
