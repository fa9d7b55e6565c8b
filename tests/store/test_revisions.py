"""Two editions of one published table: the store keeps the newer and says it replaced a revision."""

import json

import pytest

import crimestats as cs
from crimestats.cli import main
from tests.conftest import shared_path

ONS = ("real", "ons")


@pytest.mark.shared
def test_a_newer_ons_edition_replaces_the_revised_years_and_an_older_one_is_refused(tmp_path, capsys):
    june = shared_path(*ONS, "policeforceareadatatablesyearendingjune2018corrected.xlsx")
    december = shared_path(*ONS, "policeforceareatablesyearendingdecember2018.xlsx")
    store = tmp_path / "store"
    # Both editions' P1 is read by default; each holds its own 12-month window, so both are kept.
    assert main(["refresh", str(june), "--store", str(store), "--json"]) == 0
    capsys.readouterr()
    assert main(["refresh", str(december), "--store", str(store), "--json"]) == 0
    newer = json.loads(capsys.readouterr().out)
    assert newer["failed"] == [] and newer["revisions"] == []  # P1 windows differ: nothing revised
    counts = cs.Store(store).read(forces=["West Midlands"])
    totals = cs.select(counts, "total recorded crime").groupby("period_start")["count"].sum()
    assert sorted(totals.tolist()) == [237666, 252689]


def test_a_later_edition_of_the_same_table_replaces_and_is_listed_as_a_revision(tmp_path):
    from crimestats.store.claims import Claims

    manifest = {
        "partitions": {
            "counts/src=ons/pfa=kent/month=2017-04": {
                "dataset": "counts",
                "from": "old.xlsx",
                "src": "ons",
                "force": "Kent",
                "month": "2017-04",
            }
        },
        "files": {"old.xlsx": {"source_type": "ons", "table": "ons:P5:force", "edition": "2018-06"}},
    }
    part = [("counts/src=ons/pfa=kent/month=2017-04", manifest["partitions"]["counts/src=ons/pfa=kent/month=2017-04"])]
    claims = Claims(manifest)
    assert claims.refusal("new.xlsx", "ons", part, edition=("ons:P5:force", "2018-12")) is None
    assert claims.revisions == [
        {"partition": part[0][0], "replaced": "old.xlsx", "by": "new.xlsx", "edition": "2018-12"}
    ]
    older = Claims(manifest).refusal("older.xlsx", "ons", part, edition=("ons:P5:force", "2018-03"))
    assert "older than (or the same as) the edition ending 2018-06" in older
    other_table = Claims(manifest).refusal("csp.xlsx", "ons", part, edition=("ons:C2:area", "2022-12"))
    assert other_table is not None and "which the store holds from old.xlsx" in other_table
