"""ONS police force area tables of editions other than year ending March: June and December 2018.

The logic runs on cut-down copies in tests/data/ons (sheets P1, P2, P5 of the real files, values
only); the same figures are checked on the real files in ../shared when present.
"""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import crimestats as cs
from crimestats.counts import NOT_PUBLISHED
from crimestats.taxonomy import p1_lines
from tests.conftest import TEST_DATA, shared_path

JUNE = TEST_DATA / "ons" / "pfa-tables-ye-june-2018-p1-p2-p5.xlsx"
DECEMBER = TEST_DATA / "ons" / "pfa-tables-ye-december-2018-p1-p2-p5.xlsx"
EDITIONS = {
    "june": (JUNE, "policeforceareadatatablesyearendingjune2018corrected.xlsx", "2017-07-01", 237666, 446822),
    "december": (DECEMBER, "policeforceareatablesyearendingdecember2018.xlsx", "2018-01-01", 252689, 463312),
}
LINE_LABELS = {line.label for line in p1_lines()}


def _edited(tmp_path: Path, source: Path, edit) -> Path:
    workbook = openpyxl.load_workbook(source)
    edit(workbook)
    path = tmp_path / source.name
    workbook.save(path)
    return path


def _check_p1(p1, start, west_midlands, region):
    assert set(p1["period_start"]) == {pd.Timestamp(start)} and set(p1["period_months"]) == {12}
    assert p1.loc[p1["force"] == "West Midlands", "count"].sum() == west_midlands
    assert p1["force"].nunique() == 44 and "British Transport Police" in set(p1["force"])
    recon = p1.attrs["reconciliation"]
    assert set(recon["level"]) == {"total", "country", "region"}
    assert (recon["difference"] == 0).all()  # every force and every published aggregate, every column
    assert len(recon) == 12 * 23  # England and Wales, 2 countries, 9 regions x every line
    wm_region = recon[(recon["code"] == "E12000005") & (recon["measure"] == "total")].iloc[0]
    assert wm_region["published"] == wm_region["recomputed"] == region
    assert wm_region["n_forces"] == 4
    assert p1.quality[0]["hierarchy_mismatches"] == 0
    assert (p1.coverage["status"] == "covered").all() and len(p1.coverage) == 44


@pytest.mark.parametrize("edition", list(EDITIONS))
def test_p1_of_june_and_december_editions(edition):
    copy, _, start, west_midlands, region = EDITIONS[edition]
    _check_p1(cs.read_ons_pfa(copy, "P1"), start, west_midlands, region)


@pytest.mark.shared
@pytest.mark.parametrize("edition", list(EDITIONS))
def test_p1_of_the_real_june_and_december_editions(edition):
    _, real, start, west_midlands, region = EDITIONS[edition]
    _check_p1(cs.read_ons_pfa(shared_path("real", "ons", real), "P1"), start, west_midlands, region)


def test_p1_is_a_rolling_year_metrics_can_select():
    p1 = cs.read_ons_pfa(JUNE, "P1")
    populations = dict.fromkeys(p1["force"].unique(), 1_000_000)
    rates = cs.rates(p1, year="12m:2018-06", by="force", populations=populations)
    west_midlands = rates.set_index("force").loc["West Midlands"]
    assert west_midlands["count"] == 237666


@pytest.mark.parametrize("path", [JUNE, DECEMBER])
def test_p2_keeps_british_transport_police_and_every_column(path):
    p2 = cs.read_ons_pfa_change(path)
    # December labels it "British Transport Police(2006)"; June has no marker.
    assert "British Transport Police" in set(p2["force"])
    assert set(p2["measure"]) == LINE_LABELS  # every published column, "Residental" typo included
    assert p2["force"].nunique() == 44
    btp = p2[(p2["force"] == "British Transport Police") & (p2["measure"] == "total recorded crime (excluding fraud)")]
    assert btp["pct_change"].notna().all()


@pytest.mark.shared
def test_p2_of_the_real_december_edition_keeps_btp():
    p2 = cs.read_ons_pfa_change(shared_path("real", "ons", EDITIONS["december"][1]))
    assert "British Transport Police" in set(p2["force"]) and set(p2["measure"]) == LINE_LABELS


def test_p5_returns_financial_and_calendar_year_spans_alike():
    p5 = cs.read_ons_pfa(DECEMBER, "P5")
    financial = [f"{y}/{(y + 1) % 100:02d}" for y in range(2010, 2018)]
    assert p5.attrs["periods"] == [*financial, "2017", "2018"]
    west_midlands = p5[p5["force"] == "West Midlands"].set_index("period_start")["count"]
    assert west_midlands[pd.Timestamp("2018-01-01")] == 3210
    assert west_midlands[pd.Timestamp("2017-04-01")] == 2850
    btp = p5[p5["force"] == "British Transport Police"]
    assert btp["period_start"].nunique() == 10
    assert p5["force"].nunique() == 44
    # The "excluding Greater Manchester Police" rows are aggregates: reconciled, never returned.
    recon = p5.attrs["reconciliation"]
    excluding = recon[recon["name"].str.contains("excluding Greater Manchester")]
    assert len(excluding) == 2 * 10 and (excluding["difference"] == 0).all()
    assert (recon["difference"] == 0).all()
    assert len(p5.attrs["not_returned"]) == 10  # the "% involving a knife" shares, listed


def test_p5_of_a_rolling_year_edition_and_its_change_columns():
    p5 = cs.read_ons_pfa(JUNE, "P5")
    assert p5.attrs["periods"][-2:] == ["Jul 2016 to Jun 2017", "Jul 2017 to Jun 2018"]
    assert set(p5["period_start"]) >= {pd.Timestamp("2016-07-01"), pd.Timestamp("2017-07-01")}
    change = cs.read_ons_pfa_change(JUNE, "P5")
    assert change["measure"].nunique() == 2
    assert change.loc[change["force"] == "British Transport Police", "pct_change"].notna().all()


@pytest.mark.shared
def test_p5_of_the_real_june_edition():
    p5 = cs.read_ons_pfa(shared_path("real", "ons", EDITIONS["june"][1]), "P5")
    assert len(p5.attrs["periods"]) == 10 and (p5.attrs["reconciliation"]["difference"] == 0).all()


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("B17", "Lancashire 8"),  # footnote after a space
        ("B17", "Lancashire [note 8]"),
        ("B17", "Lancashire(8)"),
        ("I5", "Stalking and harassment 5"),
        ("AA5", "Miscellaneous crimes against society"),
        ("AA5", "Miscellaneous crimes against society [note 3]"),
    ],
)
def test_label_variants_of_other_editions_read_the_same(tmp_path, cell, value):
    def edit(workbook):
        workbook["Table P1"][cell] = value

    p1 = cs.read_ons_pfa(_edited(tmp_path, DECEMBER, edit), "P1")
    assert p1["count"].sum() == 5153064
    assert p1.loc[p1["force"] == "Lancashire", "count"].sum() == 162819


def test_a_blank_row_inside_the_table_does_not_end_it(tmp_path):
    p1 = cs.read_ons_pfa(_edited(tmp_path, DECEMBER, lambda wb: wb["Table P1"].insert_rows(30)), "P1")
    assert p1["force"].nunique() == 44 and p1["count"].sum() == 5153064


@pytest.mark.parametrize("marker", ["..", "[x]"])
def test_a_force_that_did_not_supply_data_is_not_published_never_zero(tmp_path, marker):
    def edit(workbook):
        for column in range(3, 28):
            if workbook["Table P1"].cell(row=16, column=column).value is not None:
                workbook["Table P1"].cell(row=16, column=column).value = marker  # Greater Manchester

    p1 = cs.read_ons_pfa(_edited(tmp_path, DECEMBER, edit), "P1")
    assert "Greater Manchester" not in set(p1["force"])
    coverage = p1.coverage.set_index("force")
    assert coverage.loc["Greater Manchester", "status"] == NOT_PUBLISHED
    assert "Total recorded crime (excluding fraud)" in coverage.loc["Greater Manchester", "note"]
    assert (coverage.drop("Greater Manchester")["status"] == "covered").all()
    recon = p1.attrs["reconciliation"]
    north_west = recon[(recon["code"] == "E12000002") & (recon["measure"] == "total")].iloc[0]
    assert north_west["note"] == "not published for Greater Manchester"
    assert p1.quality[0]["not_published"] == ["Greater Manchester 2018-01-01"]


def test_metrics_leave_out_a_force_not_published_or_refuse_it_as_the_focus(tmp_path):
    def edit(workbook):
        sheet = workbook["Table P5"]
        sheet["S18"] = ".."  # Greater Manchester, Jan-Dec 2017
        sheet["U18"] = "[x]"  # and Jan-Dec 2018

    p5 = cs.read_ons_pfa(_edited(tmp_path, DECEMBER, edit), "P5")
    p5 = p5[p5["period_start"].dt.month == 1]  # the calendar years (financial years overlap them)
    forces = ["Greater Manchester", "Merseyside", "West Midlands"]
    table = cs.compare_years(p5, base="2017", current="2018", by="force", within=forces, selection="knife")
    assert set(table["force"]) == {"Merseyside", "West Midlands"}
    assert "Greater Manchester" in table.attrs["excluded"]
    with pytest.raises(cs.CoverageError, match="Greater Manchester"):
        cs.compare_years(
            p5, base="2017", current="2018", by="force", within=forces, selection="knife", area="Greater Manchester"
        )


def test_a_heading_the_reader_does_not_know_is_an_error_naming_it(tmp_path):
    def edit(workbook):
        workbook["Table P1"]["AA5"] = "Fraud and computer misuse"

    with pytest.raises(cs.SourceFormatError, match=r"row 5.*'Fraud and computer misuse' \(column 27\)"):
        cs.read_ons_pfa(_edited(tmp_path, DECEMBER, edit), "P1")


def test_a_row_that_is_neither_force_nor_aggregate_is_an_error_naming_it(tmp_path):
    def edit(workbook):
        sheet = workbook["Table P1"]
        sheet["A34"] = None
        sheet["B34"] = "West Midlands (central)"

    with pytest.raises(cs.SourceFormatError, match=r"row 34.*'West Midlands \(central\)'"):
        cs.read_ons_pfa(_edited(tmp_path, DECEMBER, edit), "P1")


def test_a_named_row_with_no_figures_inside_the_table_is_an_error(tmp_path):
    def edit(workbook):
        for column in range(3, 28):
            workbook["Table P1"].cell(row=34, column=column).value = None

    with pytest.raises(cs.SourceFormatError, match=r"row 34.*'West Midlands' has a name but no figures"):
        cs.read_ons_pfa(_edited(tmp_path, DECEMBER, edit), "P1")


def test_a_title_without_its_year_is_an_error(tmp_path):
    def edit(workbook):
        workbook["Table P1"]["A1"] = "Table P1: Police recorded crime by offence group"

    with pytest.raises(cs.SourceFormatError, match="cannot find 'year ending"):
        cs.read_ons_pfa(_edited(tmp_path, DECEMBER, edit), "P1")


def test_a_year_not_published_is_not_covered_by_an_overlapping_published_series(tmp_path):
    # Jan-Dec 2017 not published, but the published 2016/17 and 2017/18 spans cover its months:
    # Greater Manchester must still be left out, not compared with a base of 0.
    def edit(workbook):
        workbook["Table P5"]["S18"] = ".."

    p5 = cs.read_ons_pfa(_edited(tmp_path, DECEMBER, edit), "P5")
    p5 = p5[p5["period_start"].dt.month == 1]
    forces = ["Greater Manchester", "Merseyside", "West Midlands"]
    table = cs.compare_years(p5, base="2017", current="2018", by="force", within=forces, selection="knife")
    assert "Greater Manchester" not in set(table["force"])
    assert table.attrs["excluded"]["Greater Manchester"].startswith("not published for 2017-01")


def test_an_edition_before_the_death_by_driving_line_counts_it_in_violence_with_injury(tmp_path):
    # Editions before year ending June 2017 have no death-by-driving column: its offences are in
    # violence with injury (codes_taken_from in data/ons_lines.csv). Rebuild that layout from the real one.
    def edit(workbook):
        sheet = workbook["Table P1"]
        for row in range(7, sheet.max_row + 1):
            moved = sheet.cell(row=row, column=10).value  # J: death or serious injury - unlawful driving
            if isinstance(moved, int | float) and isinstance(sheet.cell(row=row, column=7).value, int | float):
                sheet.cell(row=row, column=7).value += moved  # G: violence with injury
        sheet.delete_cols(10)

    p1 = cs.read_ons_pfa(_edited(tmp_path, DECEMBER, edit), "P1")
    assert p1.loc[p1["force"] == "West Midlands", "count"].sum() == 252689
    assert p1.quality[0]["hierarchy_mismatches"] == 0
    assert p1.quality[0]["lines_absent"] == {
        "death or serious injury - unlawful driving": "counted in violence with injury"
    }
    assert (p1.attrs["reconciliation"]["difference"] == 0).all()


def test_a_missing_line_that_no_other_line_holds_is_an_error(tmp_path):
    p1 = _edited(tmp_path, DECEMBER, lambda wb: wb["Table P1"].delete_cols(26))  # Public order offences
    with pytest.raises(cs.SourceFormatError, match="columns not found: \\['public order offences'\\]"):
        cs.read_ons_pfa(p1, "P1")
