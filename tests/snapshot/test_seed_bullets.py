"""The seed report's remaining bullets: business crime among the contributors, and hidden crimes."""

import pandas as pd
import pytest

import crimestats as cs
from crimestats.snapshot import compute_findings, write_sentences
from crimestats.taxonomy import hidden_harm_codes


@pytest.fixture(scope="module")
def demo(scenario_extract):
    return compute_findings(
        scenario_extract,
        area="Wolverhampton",
        year="2017/18",
        peers="West Midlands",
        selections=("total recorded crime", "knife or sharp instrument offences"),
    )


def test_business_crime_is_named_beside_the_offence_lines_and_not_added_to_them(demo, scenario_extract):
    table = demo.table
    flag = table[table["finding"] == "flag contribution"].set_index("selection").loc["business crime"]
    wolves = cs.select(scenario_extract[scenario_extract["area_name"] == "Wolverhampton"], "business crime")
    by_year = wolves.groupby(wolves["period_start"] >= "2017-04-01")["count"].sum()
    assert (flag["base"], flag["current"], flag["change"]) == (by_year[False], by_year[True], 48)
    assert flag["sentence"] == table.loc[table["finding"] == "contribution", "sentence"].iloc[0]
    # The offence lines still add up to the net change on their own: no double counting.
    assert demo.tables["contributions"]["change"].sum() == 2541
    assert flag["share_of_change"] == pytest.approx(100 * 48 / 2541)
    sentence = write_sentences(demo)[int(flag["sentence"]) - 1]
    assert sentence.startswith("Vehicle offences (+726), violence with injury (+383)")
    assert "with business crime (+48), which runs across these offence lines, also contributing." in sentence


def test_hidden_crimes_bullet_reports_small_changes_with_caution(demo):
    rows = demo.table[demo.table["finding"] == "hidden crime"].set_index("selection")
    assert rows.loc["Modern slavery", ["base", "current"]].tolist() == [30, 37]
    assert rows.loc["Abuse of children through sexual exploitation", ["base", "current"]].tolist() == [3, 4]
    assert set(rows["significance"]) == {"no significant change"}
    sentence = write_sentences(demo)[int(rows["sentence"].iloc[0]) - 1]
    assert sentence.startswith("Traditionally hidden crimes saw small increases: modern slavery from 30 to 37")
    assert "none of these changes is statistically significant" in sentence
    assert "better recognition and reporting" in sentence


def test_no_business_flag_no_business_bullet(csp_findings):
    # The Home Office CSP table carries offence codes but no business flag.
    assert "flag contribution" not in set(csp_findings.table["finding"])


def test_a_fall_in_business_crime_during_a_rise_is_not_a_contributor(scenario_extract):
    counts = scenario_extract.copy()
    business = (counts["area_name"] == "Wolverhampton") & counts["business"].fillna(False).astype(bool)
    later = counts["period_start"] >= "2017-04-01"
    # Move every 2017/18 business crime of Wolverhampton off the flag: business crime falls, the total is unchanged.
    counts.loc[business & later, "business"] = False
    found = compute_findings(counts, area="Wolverhampton", year="2017/18", peers="West Midlands")
    assert "flag contribution" not in set(found.table["finding"])
    assert found.table.set_index("finding").loc["change", "current"] == 21225


def test_hidden_harm_codes_are_in_the_taxonomy_and_documented():
    codes = hidden_harm_codes()
    assert codes["offence_description"].notna().all()
    assert {"Modern slavery", "Trafficking for sexual exploitation"} <= set(codes["offence_description"])
    from tests.conftest import REPO

    doc = (REPO / "docs" / "taxonomy.md").read_text()
    for code in codes["offence_code"]:
        assert f"`{code}`" in doc
    assert "genital mutilation" in doc


def test_counts_without_offence_codes_give_no_hidden_crimes_bullet(demo, scenario_extract):
    counts = scenario_extract.assign(offence_code=pd.Series(pd.NA, index=scenario_extract.index, dtype="string"))
    found = compute_findings(counts, area="Wolverhampton", year="2017/18", peers="West Midlands")
    assert "hidden crime" not in set(found.table["finding"])
