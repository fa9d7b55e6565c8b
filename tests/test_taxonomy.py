import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import crimestats as cs
from crimestats.taxonomy import CATEGORIES, POLICE_UK_CRIME_TYPES, UNCLASSIFIED, classify_codes

CODES = list(cs.offences()["offence_code"])


def test_every_code_in_the_real_tables_is_in_the_taxonomy(home_office_pfa, scenario_csp):
    for counts in (home_office_pfa, scenario_csp):
        assert counts.attrs["quality"][0]["unknown_offence_codes"] == {}
        assert set(counts["offence_code"]) <= set(CODES)


def test_codes_are_unique_and_every_category_is_harmonised():
    table = cs.offences()
    assert table["offence_code"].is_unique
    assert set(table["category"]) <= set(CATEGORIES)
    assert set(POLICE_UK_CRIME_TYPES.values()) <= set(CATEGORIES)


@given(st.lists(st.sampled_from(CODES), min_size=1, max_size=30))
def test_every_code_maps_to_exactly_one_category(codes):
    out = classify_codes(pd.Series(codes))
    assert out["known"].all()
    table = cs.offences().set_index("offence_code")
    assert list(out["category"]) == [table.at[c, "category"] for c in codes]


@given(st.text(min_size=1, max_size=8).filter(lambda s: s.strip().upper() not in {c.upper() for c in CODES}))
def test_unknown_codes_are_unclassified_not_dropped(code):
    out = classify_codes(pd.Series([code, "8N"]))
    assert len(out) == 2
    assert out["category"].iloc[1] == "Violence and sexual offences"
    if not out["known"].iloc[0]:
        assert out["category"].iloc[0] == UNCLASSIFIED


def test_fraud_and_asb_are_never_in_total_recorded_crime():
    assert not CATEGORIES["Fraud"].in_total_recorded_crime
    assert not CATEGORIES["Anti-social behaviour"].is_crime
    assert not CATEGORIES["Anti-social behaviour"].in_total_recorded_crime
