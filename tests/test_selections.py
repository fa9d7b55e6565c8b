import pandas as pd
import pytest

import crimestats as cs


def test_total_recorded_crime_excludes_fraud_bodies(home_office_pfa):
    total = cs.select(home_office_pfa, "total recorded crime")
    assert "Fraud" not in set(total["category"])
    assert not total["force"].isin(["Action Fraud", "CIFAS", "UK Finance", "Financial Fraud Action UK"]).any()
    with_fraud = cs.select(home_office_pfa, "total recorded crime including fraud")
    fraud = home_office_pfa.loc[home_office_pfa["category"] == "Fraud", "count"].sum()
    assert with_fraud["count"].sum() == total["count"].sum() + fraud


def test_victim_based_and_society_partition_total(scenario_csp):
    total = cs.select(scenario_csp, "total recorded crime")["count"].sum()
    halves = ("victim-based crime", "other crimes against society")
    parts = sum(cs.select(scenario_csp, s)["count"].sum() for s in halves)
    assert parts == total


def test_ons_p1_lines_agree_with_the_published_cells(ons_p1):
    wm = ons_p1[ons_p1["force"] == "West Midlands"]
    expected = {
        "total recorded crime": 233393,
        "victim-based crime": 212434,
        "violence against the person": 57712,
        "vehicle offences": 36574,
        "burglary": 28080,
        "residential burglary": 20925,
        "theft offences": 114612,
        "homicide": 41,
        "violence with injury": 27897,
        "miscellaneous crimes against society": 3393,
    }
    for selection, published in expected.items():
        assert cs.select(wm, selection)["count"].sum() == published, selection


def test_home_office_codes_give_the_ons_lines_despite_the_subgroup_change(home_office_pfa):
    # In the 2017/18 open data the death-by-driving codes still sit in "Violence with injury";
    # ONS reports them separately. The selections follow ONS, so both sources agree.
    wm = home_office_pfa[home_office_pfa["force"] == "West Midlands"]
    with_injury = cs.select(wm, "violence with injury")
    assert not with_injury["offence_code"].isin(["4.4", "4.6", "4.8", "4.9", "37.1"]).any()
    assert with_injury["count"].sum() == 27897
    assert cs.select(wm, "death or serious injury caused by unlawful driving")["count"].sum() == 36


@pytest.mark.parametrize(
    ("selection", "rows_match"),
    [
        ("Burglary", lambda c: c["category"] == "Burglary"),
        ("Robbery", lambda c: c["category"] == "Robbery"),
        ("8N", lambda c: c["offence_code"] == "8N"),
        (["8N", "8S"], lambda c: c["offence_code"].isin(["8N", "8S"])),
        ("Domestic burglary", lambda c: c["offence_subgroup"] == "Domestic burglary"),
        ("theft offences", lambda c: c["offence_group"] == "Theft offences"),
    ],
)
def test_selection_by_category_group_subgroup_or_codes(scenario_csp, selection, rows_match):
    expected = scenario_csp.loc[rows_match(scenario_csp).fillna(False).astype(bool), "count"].sum()
    assert cs.select(scenario_csp, selection)["count"].sum() == expected


def test_flag_selection():
    frame = cs.validate(
        pd.DataFrame(
            {
                "period_start": pd.to_datetime(["2017-04-01"] * 3),
                "period_months": 1,
                "force": "West Midlands",
                "area_code": None,
                "area_name": None,
                "category": "Robbery",
                "offence_group": None,
                "offence_subgroup": None,
                "offence_code": None,
                "is_crime": True,
                "knife": [True, False, None],
                "business": None,
                "domestic": None,
                "count": [1, 2, 4],
                "source": "extract",
            }
        )
    )
    assert cs.select(frame, "knife")["count"].sum() == 1


def test_unknown_selection_and_missing_detail_raise(ons_p1):
    with pytest.raises(cs.UnknownSelectionError, match="not a selection"):
        cs.select(ons_p1, "cheese theft")
    police_uk_like = ons_p1.assign(offence_group=pd.NA, offence_subgroup=pd.NA, source="police.uk")
    with pytest.raises(cs.SelectionError, match="needs offence_group"):
        cs.select(police_uk_like, "violence against the person")
