"""ONS recorded crime by Community Safety Partnership, year ending December 2022 (Tables C2, C3).

The cut-down copy in tests/data/ons holds C2-C4 for four forces (West Midlands; Devon and Cornwall,
all ``[x]``; Greater Manchester, with its airport row; Northamptonshire, with reused codes).
"""

import openpyxl
import pandas as pd
import pytest

import crimestats as cs
from crimestats.counts import NOT_PUBLISHED
from tests.conftest import TEST_DATA, shared_path

CSP = TEST_DATA / "ons" / "csp-ye-december-2022-c2-c4-four-forces.xlsx"
REAL = ("real", "ons", "recorded-crime-by-csp-year-ending-december-2022.xlsx")
WEST_MIDLANDS_CSPS = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]
Y2022 = pd.Timestamp("2022-01-01")


@pytest.fixture(scope="module")
def csp():
    return cs.read_ons_csp(CSP)


def trc(counts):
    return cs.select(counts, "total recorded crime")


def _check_west_midlands(csp):
    year = trc(csp[(csp["period_start"] == Y2022) & (csp["force"] == "West Midlands")])
    by_area = year.groupby("area_name", dropna=False)["count"].sum()
    assert by_area["Wolverhampton"] == 35271
    assert sorted(by_area.index.dropna()) == WEST_MIDLANDS_CSPS
    unassigned = int(year.loc[year["area_name"].isna(), "count"].sum())
    assert unassigned == 5092
    assert by_area.sum() == 366709  # 7 CSPs + "Unassigned West Midlands" = the force
    recon = csp.attrs["reconciliation"]
    force = recon[(recon["force"] == "West Midlands") & (recon["period_start"] == Y2022)].set_index("measure")
    assert force.loc["total", "published"] == force.loc["total", "recomputed"] == 366709
    assert force.loc["total", "unassigned"] == 5092 and force.loc["total", "n_csps"] == 7


def test_csp_counts_and_force_reconciliation(csp):
    _check_west_midlands(csp)
    assert csp.attrs["tables"] == ["C2", "C3"]  # C4 (percentage change) is not counts
    assert set(csp["period_start"]) == {pd.Timestamp("2021-01-01"), Y2022}
    assert set(csp["period_months"]) == {12} and set(csp["source"]) == {"ons-csp"}
    wolverhampton = csp[(csp["area_name"] == "Wolverhampton") & (csp["period_start"] == Y2022)]
    assert set(wolverhampton["area_code"]) == {"E22000341"}
    assert (csp.attrs["reconciliation"]["difference"].dropna() == 0).all()


@pytest.mark.shared
def test_the_real_csp_table():
    csp = cs.read_ons_csp(shared_path(*REAL))
    _check_west_midlands(csp)
    assert cs.sources.resolve(shared_path(*REAL)).name == "ons-csp"
    assert csp.coverage["force"].nunique() == 43  # every force of the table, Devon and Cornwall included
    assert csp["force"].nunique() == 42  # Devon and Cornwall supplied no data: "not published", no rows


def test_unassigned_and_airport_rows_are_force_level(csp):
    manchester = csp[(csp["force"] == "Greater Manchester") & (csp["period_start"] == Y2022)]
    no_area = trc(manchester[manchester["area_name"].isna()])["count"].sum()
    assert no_area == 1506 + 3081  # Manchester Airport + Unassigned Greater Manchester
    assert "Manchester Airport" not in set(csp["area_name"].dropna())
    quality = csp.quality[0]
    assert quality.details["unassigned"]["Greater Manchester 2022-01"] == [
        "Manchester Airport",
        "Unassigned Greater Manchester",
    ]
    assert quality.rows_no_area == {"unassigned": 10}  # 4 forces' unassigned rows + the airport, 2 years


def test_a_force_not_published_is_not_published_per_csp_never_zero(csp):
    assert "Devon and Cornwall" not in set(csp["force"])
    devon = csp.coverage[csp.coverage["force"] == "Devon and Cornwall"]
    assert len(devon) == 2 * 8 and (devon["status"] == NOT_PUBLISHED).all()
    with pytest.raises(cs.CoverageError, match="Plymouth"):
        cs.compare_years(csp, base="2021", current="2022", within=["Plymouth", "Wolverhampton"], area="Plymouth")
    table = cs.compare_years(csp, base="2021", current="2022", within=["Plymouth", "Wolverhampton"])
    assert list(table["area_name"]) == ["Wolverhampton"] and "Plymouth" in table.attrs["excluded"]


def test_the_published_name_decides_when_the_table_reuses_a_code(csp):
    # C2 publishes West Northamptonshire under E22000097, Stroud's code; C3 under E22000235.
    northants = csp[(csp["force"] == "Northamptonshire") & csp["area_name"].notna()]
    assert "Stroud" not in set(northants["area_name"])
    assert set(northants.loc[northants["area_code"] == "E22000097", "area_name"]) == {"West Northamptonshire"}
    details = csp.quality[0].details
    assert "E22000097 West Northamptonshire" in details["area_code_conflicts"]
    assert any("Unassigned Northamptonshire" in note for note in details["unassigned_with_code"])
    # The area registry knows the councils of every boundary vintage (issue 11), so it is not unknown.
    assert "West Northamptonshire" not in csp.quality[0].unknown.get("areas", {})


def test_west_midlands_csps_ranked_by_rate_per_1000(csp):
    rates = cs.rates(csp[csp["force"] == "West Midlands"], year="2022").sort_values("rate")
    assert list(rates["area_name"]) == [
        "Dudley",
        "Solihull",
        "Sandwell",
        "Walsall",
        "Coventry",
        "Wolverhampton",
        "Birmingham",
    ]
    wolverhampton = rates.set_index("area_name").loc["Wolverhampton"]
    assert wolverhampton["count"] == 35271 and wolverhampton["population"] == 267888
    assert round(float(wolverhampton["rate"]), 1) == 131.7


def test_the_two_years_feed_compare_years_and_the_snapshot(csp):
    table = cs.compare_years(csp, base="2021", current="2022", within="West Midlands", area="Wolverhampton")
    row = table.set_index("area_name").loc["Wolverhampton"]
    assert (row["base"], row["current"], row["change"]) == (33554, 35271, 1717)
    assert row["rank"] == 4 and row["n_areas"] == 7
    snap = cs.performance_snapshot(csp, area="Wolverhampton", year="2022", peers="West Midlands")
    assert "35,271" in snap.bullets[0] and "5.1%" in snap.bullets[0]


def test_the_source_is_recognised_and_the_pfa_reader_does_not_claim_it():
    assert cs.sources.resolve(CSP).name == "ons-csp"
    with pytest.raises(cs.SourceFormatError, match="no table P1"):
        cs.read_ons_pfa(CSP)


def test_tables_that_are_not_counts_are_refused(tmp_path):
    with pytest.raises(cs.SourceFormatError, match="C4 is not a table of counts"):
        cs.read_ons_csp(CSP, table="C4")
    only_2022 = cs.read_ons_csp(CSP, table="C3")
    assert set(only_2022["period_start"]) == {Y2022}


def test_an_unknown_heading_or_force_is_an_error_naming_it(tmp_path):
    workbook = openpyxl.load_workbook(CSP)
    workbook["Table C3"]["AC8"] = "Fraud offences"
    path = tmp_path / "heading.xlsx"
    workbook.save(path)
    with pytest.raises(cs.SourceFormatError, match=r"row 8.*'Fraud offences' \(column 29\)"):
        cs.read_ons_csp(path, table="C3")
    workbook = openpyxl.load_workbook(CSP)
    workbook["Table C3"]["B10"] = "Midlands West"
    path = tmp_path / "force.xlsx"
    workbook.save(path)
    with pytest.raises(cs.SourceFormatError, match=r"row 10.*unknown police force area 'Midlands West'"):
        cs.read_ons_csp(path, table="C3")


def test_an_aggregate_column_that_does_not_add_up_is_reported_not_returned(tmp_path):
    workbook = openpyxl.load_workbook(CSP)
    sheet = workbook["Table C3"]
    row = next(r for r in range(9, sheet.max_row + 1) if sheet.cell(row=r, column=4).value == "Wolverhampton")
    sheet.cell(row=row, column=7).value += 1  # total recorded crime, now one more than its lines
    path = tmp_path / "total.xlsx"
    workbook.save(path)
    csp = cs.read_ons_csp(path, table="C3")
    assert csp.quality[0]["hierarchy_mismatches"] == 1
    assert trc(csp[csp["area_name"] == "Wolverhampton"])["count"].sum() == 35271  # the lines are returned
