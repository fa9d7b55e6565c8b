import openpyxl
import pandas as pd
import pytest

import crimestats as cs
from tests.conftest import TEST_DATA

JUNE = TEST_DATA / "ons" / "pfa-tables-ye-june-2018-p1-p2-p5.xlsx"
DECEMBER = TEST_DATA / "ons" / "pfa-tables-ye-december-2018-p1-p2-p5.xlsx"


@pytest.fixture(scope="module")
def p5_editions():
    return cs.read_ons_pfa(JUNE, "P5"), cs.read_ons_pfa(DECEMBER, "P5")


def test_the_revisions_between_two_editions_by_force_and_line(p5_editions):
    june, december = p5_editions
    diff = cs.reconcile(june, december)
    # The eight financial years both editions publish; the rolling and calendar spans are their own.
    assert len(diff.attrs["periods"]) == 8 and diff.attrs["compared"] == 8 * 44
    by_year = diff.groupby("period_start")["difference"].sum()
    # England and Wales went from 34,569 to 34,681 (2016/17) and 40,448 to 40,967 (2017/18).
    assert by_year.to_dict() == {pd.Timestamp("2016-04-01"): 112, pd.Timestamp("2017-04-01"): 519}
    northumbria = diff[(diff["force"] == "Northumbria") & (diff["period_start"] == pd.Timestamp("2017-04-01"))]
    assert northumbria[["a", "b", "difference"]].iloc[0].tolist() == [313, 812, 499]
    assert set(diff["line"]) == {"Knife or sharp instrument offences"}
    assert (diff["difference"] != 0).all()


def test_all_rows_and_an_edition_compared_with_itself(p5_editions):
    june, _ = p5_editions
    same = cs.reconcile(june, june)
    assert same.empty and same.attrs["differences"] == 0
    assert len(cs.reconcile(june, june, all_rows=True)) == 10 * 44


def test_a_force_one_edition_did_not_publish_is_named(tmp_path, p5_editions):
    june, _ = p5_editions
    workbook = openpyxl.load_workbook(DECEMBER)
    workbook["Table P5"]["Q18"] = ".."  # Greater Manchester 2017/18 in the later edition
    path = tmp_path / "december.xlsx"
    workbook.save(path)
    diff = cs.reconcile(june, cs.read_ons_pfa(path, "P5"))
    row = diff[(diff["force"] == "Greater Manchester") & (diff["period_start"] == pd.Timestamp("2017-04-01"))]
    assert row["note"].iloc[0] == "not published in the later edition"


def test_editions_with_no_period_in_common_raise():
    with pytest.raises(cs.CoverageError, match="share no period"):
        cs.reconcile(cs.read_ons_pfa(JUNE, "P1"), cs.read_ons_pfa(DECEMBER, "P1"))
