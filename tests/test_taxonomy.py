import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import crimestats as cs
from crimestats.selections import resolve_selection
from crimestats.taxonomy import (
    CATEGORIES,
    POLICE_UK_CRIME_TYPES,
    UNCLASSIFIED,
    categories_where,
    classify_codes,
    p1_lines,
)
from tests.conftest import TEST_DATA, source_literals

CODES = list(cs.offences()["offence_code"])


def test_every_code_in_the_real_tables_is_in_the_taxonomy(home_office_pfa, scenario_csp):
    for counts in (home_office_pfa, scenario_csp):
        assert counts.quality[0]["unknown_offence_codes"] == {}
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


def _home_office_form(code: str) -> str | None:
    """The code as the HO writes it, by the documented rule: strip, upper case, no leading zeros."""
    key = re.sub(r"^0+(?=\d)", "", code.strip().upper())
    return {c.upper(): c for c in CODES}.get(key)


@given(st.text(min_size=1, max_size=8) | st.sampled_from(["08N", " 8n ", "008N", "0", "8", "00"]))
def test_unknown_codes_are_unclassified_not_dropped(code):
    out = classify_codes(pd.Series([code, "8N"]))
    assert len(out) == 2
    assert out["category"].iloc[1] == "Violence and sexual offences"
    known = _home_office_form(code)
    if known is None:
        assert not out["known"].iloc[0]
        assert out["category"].iloc[0] == UNCLASSIFIED
        assert out["offence_code"].iloc[0] == code.strip()
    else:  # written another way ("08N", " 8n "): found under the HO spelling
        assert out["known"].iloc[0]
        assert out["offence_code"].iloc[0] == known
        assert out["category"].iloc[0] == cs.offences().set_index("offence_code").at[known, "category"]


def test_leading_zeros_and_case_do_not_hide_a_code():
    out = classify_codes(pd.Series(["08N", " 8n ", "008n", "8X"]))
    assert list(out["offence_code"]) == ["8N", "8N", "8N", "8X"]
    assert list(out["known"]) == [True, True, True, False]
    assert list(out["category"])[-1] == UNCLASSIFIED


def test_fraud_and_asb_are_never_in_total_recorded_crime():
    assert not CATEGORIES["Fraud"].in_total_recorded_crime
    assert not CATEGORIES["Anti-social behaviour"].is_crime
    assert not CATEGORIES["Anti-social behaviour"].in_total_recorded_crime


def test_offences_hands_out_copies_that_cannot_change_the_taxonomy():
    before = cs.offences().copy(deep=True)
    table = cs.offences()
    table.loc[table["offence_code"] == "8N", "category"] = "Robbery"
    table["offence_code"] = table["offence_code"].str.lower()
    table["extra"] = 1
    pd.testing.assert_frame_equal(cs.offences(), before)
    out = classify_codes(pd.Series(["8N"]))
    assert (out["offence_code"].iloc[0], out["category"].iloc[0]) == ("8N", "Violence and sexual offences")
    assert resolve_selection(["8N"]).codes == {"8N"}  # would be an unknown code in a lower-cased taxonomy


def test_category_groups_come_from_the_category_table():
    theft = set(categories_where("theft"))
    victim = set(categories_where("victim_based"))
    society = set(categories_where("victim_based", False))
    assert theft == {
        "Burglary",
        "Vehicle crime",
        "Theft from the person",
        "Bicycle theft",
        "Shoplifting",
        "Other theft",
    }
    assert theft < victim and not victim & society
    assert victim | society == set(categories_where("in_total_recorded_crime")) - {UNCLASSIFIED}
    assert cs.SELECTIONS["theft offences"].categories == theft
    assert cs.SELECTIONS["victim-based crime"].categories == victim
    assert cs.SELECTIONS["other crimes against society"].categories == society
    with pytest.raises(cs.UnknownSelectionError):
        categories_where("stolen")


def test_p1_lines_table_is_consistent():
    lines = {line.name: line for line in p1_lines()}
    leaves = [line for line in lines.values() if line.leaf]
    assert len(leaves) == 19 and len(lines) == 23
    for line in leaves:
        assert line.category in CATEGORIES and line.offence_group
        assert set(line.part_of) <= {name for name, other in lines.items() if not other.leaf}
        assert line.select_by in ("category", "offence_group", "offence_subgroup")
        assert getattr(line, line.select_by)
    taken = [line for line in lines.values() if line.codes]
    assert [(line.name, line.codes_taken_from) for line in taken] == [
        ("death or serious injury caused by unlawful driving", "violence with injury")
    ]
    assert taken[0].codes <= set(CODES)
    # Every leaf is part of total recorded crime, so the leaves partition it.
    assert all("total recorded crime" in line.part_of for line in leaves)


def test_each_p1_line_is_defined_once():
    # A P1 line's heading, its name as a leaf selection, its own subgroup and the codes it takes are
    # written in data/ons_lines.csv only; code reads them from there. Category names are a fact of
    # their own (taxonomy.py), so a subgroup named like a category ("Shoplifting") is not counted.
    leaves = [line for line in p1_lines() if line.leaf]
    facts = {line.label for line in p1_lines()} | {line.name for line in leaves}
    facts |= {line.offence_subgroup for line in leaves if line.offence_subgroup} - set(CATEGORIES)
    facts |= set().union(*(line.codes for line in leaves))
    # The snapshot names the "vehicle offences" selection in its sentences: a use, not a definition.
    uses = {("snapshot/labels.py", "vehicle offences")}
    found = [(path, line, text) for path, line, text in source_literals() if text in facts and (path, text) not in uses]
    assert found == []


def test_the_2019_20_codes_split_from_homicide_and_new_rape_codes_are_classified():
    # 2019/20 writes homicide as its four codes (2017/18: one combined code) and adds 19J, 19K.
    counts = cs.read_home_office(TEST_DATA / "home-office" / "prc-pfa-2019-20-west-midlands-fraud-avon.csv")
    assert counts.quality[0].unknown == {}
    west_midlands = counts[counts["force"] == "West Midlands"]
    by_subgroup = west_midlands.groupby("offence_subgroup")["count"].sum()
    assert by_subgroup["Homicide"] == 51  # 46 murders and 5 manslaughters over the four quarters
    assert (west_midlands["category"] != "Unclassified").all()
    table = cs.offences().set_index("offence_code")
    assert set(table.loc[["1", "4.1", "4.10", "4.2", "1/4.1/4.10/4.2"], "offence_subgroup"]) == {"Homicide"}
    assert set(table.loc[["19J", "19K"], "offence_subgroup"]) == {"Rape offences"}
