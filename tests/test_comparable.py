from __future__ import annotations

import pandas as pd
import pytest

import crimestats as cs
from crimestats.selections import Selection
from crimestats.taxonomy import POLICE_UK_CRIME_TYPE_SETS, POLICE_UK_CRIME_TYPES, crime_type_set
from tests.conftest import TEST_DATA

SAMPLE_2011 = TEST_DATA / "police-uk" / "west-midlands-2011-02"
_OLD_OTHER_THEFT = ("Other theft", "Bicycle theft", "Theft from the person")


def _month(month: str, counts: dict[str, int]) -> pd.DataFrame:
    """West Midlands police.uk counts for one month, by harmonised category."""
    return pd.DataFrame(
        {
            "period_start": pd.Timestamp(f"{month}-01"),
            "period_months": 1,
            "force": "West Midlands",
            "area_code": pd.NA,
            "area_name": pd.NA,
            "category": list(counts),
            "is_crime": [c != "Anti-social behaviour" for c in counts],
            "count": list(counts.values()),
            "source": "police.uk",
        }
    )


def test_the_three_crime_type_sets_and_every_type_maps_to_a_category():
    assert [len(s.crime_types) for s in POLICE_UK_CRIME_TYPE_SETS] == [6, 11, 14]
    assert [s.first_month for s in POLICE_UK_CRIME_TYPE_SETS] == ["2010-12", "2011-09", "2013-05"]
    for crime_types in POLICE_UK_CRIME_TYPE_SETS:
        assert set(crime_types.crime_types) <= set(POLICE_UK_CRIME_TYPES)
        # Every group a set compares at is a category of the taxonomy.
        assert set(crime_types.groups.values()) <= set(cs.CATEGORIES)
    assert crime_type_set("2013-04").name == "September 2011"
    assert crime_type_set("2013-05").name == "May 2013"


def test_february_2011_crime_types_map_to_harmonised_categories():
    counts = cs.read_police_uk(SAMPLE_2011)
    assert not counts.quality[0]["unknown_crime_types"]
    assert set(counts["category"]) <= set(crime_type_set("2011-02").groups.values()) | {
        "Burglary",
        "Robbery",
        "Vehicle crime",
        "Violence and sexual offences",
        "Anti-social behaviour",
    }


def test_violent_crime_in_2011_compares_with_violence_and_sexual_offences_later():
    old = cs.read_police_uk(SAMPLE_2011)
    later = _month("2014-02", {"Violence and sexual offences": 50, "Public order": 7, "Shoplifting": 9})
    counts = pd.concat([old, later], ignore_index=True)
    table = cs.compare_years(
        counts,
        base=("2011-02", "2011-02"),
        current=("2014-02", "2014-02"),
        by="force",
        selection="Violence and sexual offences",
    )
    row = table.set_index("force").loc["West Midlands"]
    assert (int(row["base"]), int(row["current"])) == (41, 50)  # 41 "Violent crime" rows in the sample
    assert table.attrs["category_level"] == "data.police.uk December 2010 categories"
    # Total recorded crime is comparable at any level; "Other crime" of 2011 is not today's.
    total = cs.compare_years(counts, base=("2011-02", "2011-02"), current=("2014-02", "2014-02"), by="force")
    assert int(total.loc[0, "current"]) == 66
    with pytest.raises(cs.SelectionError, match="'Other crime'"):
        cs.compare_years(
            counts, base=("2011-02", "2011-02"), current=("2014-02", "2014-02"), by="force", selection="Shoplifting"
        )


def test_public_disorder_and_weapons_is_the_comparable_level_across_may_2013():
    counts = pd.concat(
        [
            _month("2012-06", {"Public disorder and weapons": 30, "Other theft": 100}),
            _month("2014-06", {"Public order": 20, "Possession of weapons": 5, "Other theft": 80, "Bicycle theft": 9}),
        ],
        ignore_index=True,
    )
    windows = {"base": ("2012-06", "2012-06"), "current": ("2014-06", "2014-06"), "by": "force"}
    table = cs.compare_years(counts, selection="Public disorder and weapons", **windows)
    assert (int(table.loc[0, "base"]), int(table.loc[0, "current"])) == (30, 25)
    assert table.attrs["category_level"] == "data.police.uk September 2011 categories"
    with pytest.raises(
        cs.SelectionError,
        match=r"within 'Public disorder and weapons' \(with Public order\); select 'Public disorder and weapons'",
    ):
        cs.compare_years(counts, selection="Possession of weapons", **windows)
    # Before May 2013 "Other theft" included bicycle theft and theft from the person.
    with pytest.raises(cs.SelectionError, match=r"Bicycle theft, Theft from the person.*Selection of the categories"):
        cs.compare_years(counts, selection="Other theft", **windows)
    thefts = Selection("other theft (old)", "before May 2013", categories=frozenset(_OLD_OTHER_THEFT))
    theft = cs.compare_years(counts, selection=thefts, **windows)
    assert (int(theft.loc[0, "base"]), int(theft.loc[0, "current"])) == (100, 89)
    assert int(cs.compare_years(counts, selection="theft offences", **windows).loc[0, "current"]) == 89


def test_comparisons_within_one_set_are_unchanged():
    counts = pd.concat(
        [_month("2014-06", {"Public order": 20}), _month("2015-06", {"Public order": 22})], ignore_index=True
    )
    table = cs.compare_years(
        counts, base=("2014-06", "2014-06"), current=("2015-06", "2015-06"), by="force", selection="Public order"
    )
    assert (int(table.loc[0, "base"]), int(table.loc[0, "current"])) == (20, 22)
    assert table.attrs["category_level"] is None
