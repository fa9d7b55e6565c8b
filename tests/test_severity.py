"""Crime Severity Score: the ONS weights, the code variants, unweighted codes, the approximation."""

from __future__ import annotations

import pandas as pd
import pytest

import crimestats as cs
from crimestats.areas import TERRITORIAL, forces
from crimestats.severity import APPROXIMATION, BY_CODE, category_weights, severity_weights, weigh

#: ONS, Crime Severity Score data tool: England, year ending March 2018.
ONS_ENGLAND_2017_18 = 13.34


def _england(counts: pd.DataFrame) -> pd.DataFrame:
    table = forces()
    english = table.loc[(table["kind"] == TERRITORIAL) & (table["region"] != "Wales"), "force"]
    return counts[counts["force"].isin(english)].assign(country="England")


def test_england_2017_18_is_within_1_5_percent_of_the_ons_published_score(home_office_pfa):
    england = _england(home_office_pfa)
    assert england["force"].nunique() == 39
    population = cs.population("region:England", 2017)
    table = cs.severity(england, year="2017/18", by="country", populations={"England": population})
    row = table.iloc[0]
    assert int(row["population"]) == population == 55_619_548
    assert row["severity"] == pytest.approx(ONS_ENGLAND_2017_18, rel=0.015)
    assert round(float(row["severity"]), 2) == 13.18
    # Every offence of total recorded crime in England 2017/18 has a weight: none reported unweighted.
    assert table.attrs["unweighted"] == {}
    assert int(row["unweighted_count"]) == 0 and row["method"] == BY_CODE


def test_codes_with_no_weight_are_reported_never_weighted_zero(home_office_pfa):
    fraud_bodies = ["Action Fraud", "CIFAS"]  # the two fraud bodies publishing all four quarters
    england = pd.concat([_england(home_office_pfa), home_office_pfa[home_office_pfa["force"].isin(fraud_bodies)]])
    england["country"] = "England"
    # Fraud is outside the CSS: selected on purpose, its codes have no weight and are reported.
    table = cs.severity(
        england,
        year="2017/18",
        by="country",
        selection="total recorded crime including fraud",
        populations={"England": 1},
    )
    assert set(table.attrs["unweighted"]) == {"AF", "CIFAS"}
    row = table.iloc[0]
    assert int(row["unweighted_count"]) == sum(table.attrs["unweighted"].values()) > 0
    assert int(row["weighted_count"]) + int(row["unweighted_count"]) == int(row["count"])
    weighed = weigh(cs.select(england, "total recorded crime including fraud"))
    assert weighed.loc[weighed["basis"] == "none", "weight"].isna().all()


@pytest.mark.parametrize("code", ["1", "4.1", "4.2", "4.10", "1/4.1/4.10/4.2"])
def test_every_homicide_spelling_takes_the_homicide_weight(code):
    weights = severity_weights().set_index("offence_code")
    assert weights.loc[code, "ons_code"] == "1, 4.1/2/10"
    assert weights.loc[code, "weight"] == pytest.approx(7973.393423328133)


def test_outcome_only_burglary_codes_take_their_ons_weights():
    weights = severity_weights().set_index("offence_code")
    assert weights.loc["28A", "weight"] == weights.loc["28C", "weight"]
    assert weights.loc["30A", "weight"] == weights.loc["30C", "weight"]


def test_every_home_office_code_of_total_recorded_crime_has_a_weight():
    offences = cs.offences()
    in_total = cs.select(offences.assign(count=1, source="home-office", knife=pd.NA), "total recorded crime")
    assert set(in_total["offence_code"]) <= set(severity_weights()["offence_code"])


def test_score_is_points_over_population(scenario_csp):
    table = cs.severity(scenario_csp, year="2017/18").set_index("area_name")
    row = table.loc["Wolverhampton"]
    assert row["severity"] == pytest.approx(row["severity_points"] / cs.population("Wolverhampton", 2017))
    per_thousand = cs.severity(scenario_csp, year="2017/18", per=1000).set_index("area_name")
    assert per_thousand.loc["Wolverhampton", "severity"] == pytest.approx(1000 * row["severity"])


def test_police_uk_scores_are_labelled_as_the_approximation():
    street = cs.read_police_uk(cs.datasets.path("police-uk-city-of-london-2017-01"))
    table = cs.severity(street, year=("2017-01", "2017-01"), by="force", populations={"London, City of": 7000})
    assert table["method"].iloc[0] == APPROXIMATION.format(mix="England and Wales 2017/18")
    assert table["severity"].iloc[0] > 0


def test_category_weights_are_the_national_mix_mean(home_office_pfa):
    national = home_office_pfa[home_office_pfa["force"] == "West Midlands"]
    table = category_weights(national, mix="West Midlands 2017/18").set_index("category")
    rows = cs.select(national, "total recorded crime")
    burglary = rows[rows["category"] == "Burglary"].merge(severity_weights(), on="offence_code")
    expected = (burglary["count"] * burglary["weight"]).sum() / burglary["count"].sum()
    assert table.loc["Burglary", "weight"] == pytest.approx(expected)
    assert "West Midlands 2017/18" in table.attrs["method"]


def test_compare_years_ranks_the_severity_score(scenario_csp):
    table = cs.compare_years(
        scenario_csp, base="2016/17", current="2017/18", within="West Midlands", measure="severity"
    ).set_index("area_name")
    scores = {
        year: cs.severity(scenario_csp, year=year).set_index("area_name")["severity"] for year in ("2016/17", "2017/18")
    }
    assert table.loc["Wolverhampton", "base"] == pytest.approx(scores["2016/17"]["Wolverhampton"])
    assert table.loc["Wolverhampton", "current"] == pytest.approx(scores["2017/18"]["Wolverhampton"])
    assert sorted(table["rank"]) == list(range(1, 8))
    assert (table["significance"] == "not tested").all()
    assert table.attrs["measure"] == "severity"


def test_offence_groups_of_an_area_add_up_to_its_score(scenario_csp):
    own = scenario_csp[scenario_csp["area_name"] == "Wolverhampton"]
    people = cs.population("Wolverhampton", 2017)
    groups = cs.severity(own, year="2017/18", by="offence_group", populations=people)
    area = cs.severity(own, year="2017/18").iloc[0]
    assert (groups["population"] == people).all()
    assert groups["severity"].sum() == pytest.approx(area["severity"])
    top = groups.sort_values("severity").iloc[-1]
    assert top["offence_group"] == "Theft offences"  # burglary weighs 465 days each


def test_compare_years_by_severity_reports_the_offences_with_no_weight(scenario_csp):
    table = cs.compare_years(
        scenario_csp, base="2016/17", current="2017/18", within="West Midlands", measure="severity"
    )
    assert set(table.attrs["unweighted"]) == {"base", "current"}
    assert all(isinstance(v, int) and v >= 0 for v in table.attrs["unweighted"].values())
