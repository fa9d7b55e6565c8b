import pandas as pd
import pytest

import crimestats as cs
from crimestats.areas import (
    FORCE_KINDS,
    FRAUD_BODY,
    NATIONAL,
    OUTSIDE_ENGLAND_AND_WALES,
    TERRITORIAL,
    area_codes,
    force_kind,
    force_names,
    forces_of_kind,
    local_authorities,
    lsoa_lookup,
)
from tests.conftest import source_literals


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("City of London Police", "London, City of"),
        ("City of London", "London, City of"),
        ("London, City of", "London, City of"),
        ("Metropolitan Police Service", "Metropolitan Police"),
        ("Devon & Cornwall Police", "Devon and Cornwall"),
        ("Avon and Somerset Constabulary", "Avon and Somerset"),
        ("Police Service of Northern Ireland", "Northern Ireland"),
        ("west midlands police", "West Midlands"),
        ("Dyfed-Powys Police", "Dyfed-Powys"),
    ],
)
def test_force_aliases(spelling, canonical):
    assert cs.force_name(spelling) == canonical


def test_unknown_force_raises_and_vectorised_lookup_gives_na():
    with pytest.raises(cs.UnknownAreaError, match="Atlantis"):
        cs.force_name("Atlantis Constabulary")
    assert force_names(pd.Series(["Kent Police", "Atlantis"])).isna().tolist() == [False, True]


@pytest.mark.parametrize("spelling", ["City of Wolverhampton", "Wolverhampton", "wolverhampton city council"])
def test_area_aliases(spelling):
    assert cs.area_name(spelling) == "Wolverhampton"


@pytest.mark.parametrize("spelling", ["WOLVERHAMPTON", "  city of   wolverhampton ", "Wolverhampton\t"])
def test_area_names_ignore_case_and_whitespace(spelling):
    assert cs.area_name(spelling) == "Wolverhampton"


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("Wolverhamton", "Wolverhampton"), ("city of wolverhamton", "Wolverhampton"), ("Brimingham", "Birmingham")],
)
def test_unknown_area_suggests_the_closest_names(typo, meant):
    with pytest.raises(cs.UnknownAreaError) as error:
        cs.area_name(typo)
    assert str(error.value) == (
        f"unknown area {typo!r} (not a CSP, local authority or known alias); did you mean {meant!r}?"
    )


@pytest.mark.parametrize(
    ("typo", "meant"), [("West Midland", "West Midlands"), ("thames valey police", "Thames Valley")]
)
def test_unknown_force_suggests_the_closest_names(typo, meant):
    with pytest.raises(cs.UnknownAreaError, match=f"did you mean {meant!r}"):
        cs.force_name(typo)


def test_nothing_close_means_no_suggestion():
    for lookup in (cs.area_name, cs.force_name):
        with pytest.raises(cs.UnknownAreaError) as error:
            lookup("Xqzzy")
        assert "did you mean" not in str(error.value)


def test_area_codes_and_csp_registry():
    found = area_codes(pd.Series(["Wolverhampton", "Bristol", "Nowhere"]))
    assert found["area_code"].tolist()[:2] == ["E22000341", "E22000002"]
    assert found["area_name"].iloc[1] == "Bristol, City of"
    assert pd.isna(found["area_name"].iloc[2])
    registry = cs.csps()
    assert registry["csp_code"].is_unique
    assert len(registry) == 315  # 293 English CSPs (Dec 2016) and 22 Welsh


def test_peer_groups():
    assert cs.peer_areas("West Midlands") == [
        "Birmingham",
        "Coventry",
        "Dudley",
        "Sandwell",
        "Solihull",
        "Walsall",
        "Wolverhampton",
    ]
    assert cs.peer_areas("region:West Midlands", level="force") == [
        "Staffordshire",
        "Warwickshire",
        "West Mercia",
        "West Midlands",
    ]
    assert cs.peer_areas(["City of Wolverhampton", "Dudley"]) == ["Wolverhampton", "Dudley"]
    with pytest.raises(cs.UnknownAreaError):
        cs.peer_areas("region:Atlantis")


def test_every_lsoa_maps_to_a_csp_and_force():
    table = lsoa_lookup()
    assert len(table) == 34753
    assert table["lsoa_code"].is_unique
    assert table[["csp_code", "force"]].notna().all().all()


def test_population_sums_local_authorities_and_refuses_unknowns():
    assert cs.population("Wolverhampton", 2017) == 260648
    assert cs.population("West Midlands", 2017) == sum(cs.population(a, 2017) for a in cs.peer_areas("West Midlands"))
    assert cs.population("region:West Midlands", 2017) == 5855052
    # Taunton Deane's CSP (Somerset) is exactly the Somerset council of 2023, so the series on
    # 2023 boundaries covers it (issue 11); an area whose boundaries no estimate matches raises.
    assert cs.population("Taunton Deane", 2017) == cs.population("Somerset", 2017) == 558895
    with pytest.raises(cs.PopulationError, match="mid-2019 on 2019 councils"):
        cs.population("Kettering", 2021)
    with pytest.raises(cs.PopulationError):
        cs.population("Wolverhampton", 1990)


@pytest.mark.parametrize(
    "table",
    [cs.forces, cs.csps, cs.local_authorities, lsoa_lookup],
    ids=["forces", "csps", "local_authorities", "lsoa_lookup"],
)
def test_reference_tables_are_copies_a_caller_cannot_change(table):
    before = table().copy(deep=True)
    mine = table()
    first = mine.columns[0]
    mine[first] = "changed"
    mine["extra"] = 1
    pd.testing.assert_frame_equal(table(), before)


def test_changing_returned_tables_does_not_change_lookups():
    forces = cs.forces()
    forces.loc[forces["force"] == "West Midlands", "region"] = "Atlantis"
    forces["force"] = forces["force"].str.upper()
    csps = cs.csps()
    csps["csp_name"] = "nowhere"
    lads = local_authorities()
    lads["force"] = None
    assert cs.force_name("West Midlands Police") == "West Midlands"
    assert cs.peer_areas("West Midlands")[-1] == "Wolverhampton"
    assert "Staffordshire" in cs.peer_areas("region:West Midlands", level="force")
    assert cs.area_name("City of Wolverhampton") == "Wolverhampton"
    assert cs.population("Wolverhampton", 2017) == 260648


def test_force_kinds():
    assert set(cs.forces()["kind"]) == set(FORCE_KINDS)
    assert len(forces_of_kind(TERRITORIAL)) == 43
    assert forces_of_kind(NATIONAL) == {"British Transport Police"}
    assert forces_of_kind(OUTSIDE_ENGLAND_AND_WALES) == {"Northern Ireland"}
    assert forces_of_kind(FRAUD_BODY) == {"Action Fraud", "CIFAS", "UK Finance", "Financial Fraud Action UK"}
    # Territorial forces are exactly those with a police force area code.
    table = cs.forces()
    assert forces_of_kind(TERRITORIAL) == set(table.loc[table["pfa_code"].notna(), "force"])
    assert force_kind("BTP") == NATIONAL
    assert force_kind("Police Service of Northern Ireland") == OUTSIDE_ENGLAND_AND_WALES
    assert force_kind("City of London Police") == TERRITORIAL
    with pytest.raises(cs.UnknownAreaError):
        force_kind("Atlantis Constabulary")
    with pytest.raises(cs.UnknownAreaError, match="fraud body"):
        forces_of_kind("fraud")


def test_each_force_kind_is_defined_once():
    # Which forces are of which kind is written in data/forces.csv; the kinds' names in areas.py.
    facts = set(FORCE_KINDS) | set().union(*(forces_of_kind(k) for k in FORCE_KINDS if k != TERRITORIAL))
    found = [(path, line, text) for path, line, text in source_literals() if text in facts and path != "areas.py"]
    assert found == []
    in_areas = [text for path, _, text in source_literals() if path == "areas.py" and text in facts]
    assert sorted(in_areas) == sorted(FORCE_KINDS)
