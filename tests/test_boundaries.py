from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats import boundaries as b
from crimestats.lsoa_tables import shipped_columns

# 2021 LSOAs: one in the old Kettering district (North Northamptonshire), one in Bournemouth.
KETTERING_LSOA21 = "E01027079"
BOURNEMOUTH_LSOA21 = "E01015272"


def test_every_vintage_places_every_district_in_one_csp_of_one_force():
    for vintage in b.BOUNDARY_VINTAGES:
        table = b.csp_lookup(vintage)
        assert table["district_code"].is_unique and len(table) == 348
        assert table[["csp_code", "csp_name", "force"]].notna().all().all()
        # A CSP lies in one force area.
        assert (table.groupby("csp_code")["force"].nunique() == 1).all()


def test_reorganised_councils_have_their_own_csp_on_2024_boundaries():
    table = b.csp_lookup("2024")
    districts = table.groupby("csp_name")["district_name"].agg(sorted)
    assert districts["Bournemouth, Christchurch and Poole"] == ["Bournemouth", "Christchurch", "Poole"]
    assert districts["North Northamptonshire"] == ["Corby", "East Northamptonshire", "Kettering", "Wellingborough"]
    assert districts["West Northamptonshire"] == ["Daventry", "Northampton", "South Northamptonshire"]
    assert "Christchurch" not in districts["Dorset"]
    codes = table.drop_duplicates("csp_name").set_index("csp_name")["csp_code"]
    # CSPs with no valid ONS code of their own are coded by their council (data/README.md).
    assert codes["Bournemouth, Christchurch and Poole"] == "E06000058"
    assert codes["North Northamptonshire"] == "E06000061"
    assert codes["Somerset"] == "E22000369"


def test_2019_boundaries_keep_the_old_csps_of_a_council_spanning_several():
    table = b.csp_lookup("2019").set_index("district_name")
    assert table.loc["Bournemouth", "csp_name"] == "Bournemouth"
    assert table.loc["Christchurch", "csp_name"] == "Dorset"
    assert table.loc["Christchurch", "lad_name"] == "Bournemouth, Christchurch and Poole"
    assert table.loc["Kettering", "csp_name"] == "Kettering"


def test_unknown_boundary_vintage_is_a_clear_error():
    with pytest.raises(b.BoundaryError, match="2016, 2018, 2019, 2022, 2024"):
        b.check_boundaries("2021")
    assert issubclass(b.BoundaryError, cs.CrimestatsError)


def test_lsoa_vintage_is_detected_from_codes_and_falls_back_to_the_month():
    changes = b.lsoa_changes()
    split_old = changes.loc[changes["change"] == "S", "lsoa11_code"].iloc[0]
    split_new = changes.loc[changes["change"] == "S", "lsoa21_code"].iloc[0]
    unchanged = changes.loc[changes["change"] == "U", "lsoa11_code"].iloc[0]
    assert b.detect_lsoa_vintage([unchanged, split_old]) == b.LsoaVintage("2011", "codes", 1, 0)
    assert b.detect_lsoa_vintage([unchanged, split_new]) == b.LsoaVintage("2021", "codes", 0, 1)
    # Only unchanged codes: the month decides (2021 codes from June 2023).
    assert b.detect_lsoa_vintage([unchanged], month="2023-05").vintage == "2011"
    assert b.detect_lsoa_vintage([unchanged], month="2023-06").vintage == "2021"
    assert b.detect_lsoa_vintage([unchanged]).vintage is None
    assert b.detect_lsoa_vintage([]).basis == "no codes"
    mixed = b.detect_lsoa_vintage([split_old, split_new, *changes.loc[changes["change"] == "M", "lsoa21_code"][:2]])
    assert (mixed.vintage, mixed.basis) == ("2021", "majority")


def test_lsoas_of_both_vintages_land_on_the_csps_of_the_vintage_asked_for():
    changes = b.lsoa_changes()
    old_kettering = changes.loc[changes["lsoa21_code"] == KETTERING_LSOA21, "lsoa11_code"].iloc[0]
    codes = pd.Series([KETTERING_LSOA21, old_kettering, BOURNEMOUTH_LSOA21, "W99999999", pd.NA], dtype="string")
    assert b.lsoa_areas(codes, boundaries="2024")["area_name"].tolist()[:3] == [
        "North Northamptonshire",
        "North Northamptonshire",
        "Bournemouth, Christchurch and Poole",
    ]
    on_2019 = b.lsoa_areas(codes, boundaries="2019")
    assert on_2019["area_name"].tolist()[:3] == ["Kettering", "Kettering", "Bournemouth"]
    assert on_2019["area_code"].tolist()[:3] == ["E22000236", "E22000236", "E22000063"]
    assert on_2019["area_name"].iloc[3:].isna().all()


def test_split_2011_lsoas_are_carried_to_their_best_fit_2021_lsoa():
    changes = b.lsoa_changes()
    split = changes[changes["change"] == "S"]
    best = split[split["best_fit"]].iloc[:50]
    old = b.lsoa_areas(best["lsoa11_code"].astype("string"), boundaries="2024")
    new = b.lsoa_areas(best["lsoa21_code"].astype("string"), boundaries="2024")
    assert old["area_code"].tolist() == new["area_code"].tolist()
    assert (split.groupby("lsoa11_code")["best_fit"].sum() == 1).all()


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(b.BOUNDARY_VINTAGES), st.lists(st.integers(0, 35_671), min_size=1, max_size=40))
def test_every_shipped_lsoa_gets_a_csp_of_the_vintage(vintage, positions):
    every = shipped_columns("lsoa21_lookup.parquet", ["lsoa21_code"]).column(0).to_pylist()
    codes = pd.Series([every[p] for p in positions], dtype="string")
    found = b.lsoa_areas(codes, boundaries=vintage)
    assert found["area_code"].notna().all()
    assert set(found["area_code"]) <= set(b.boundary_csps(vintage)["csp_code"])


def test_area_names_and_codes_of_every_vintage_resolve():
    assert cs.area_name("Bournemouth, Christchurch and Poole") == "Bournemouth, Christchurch and Poole"
    assert cs.area_name("E06000058") == "Bournemouth, Christchurch and Poole"
    assert cs.area_name("Cumberland") == "Cumberland"
    assert cs.area_name("BCP") == "Bournemouth, Christchurch and Poole"  # names reports use
    assert cs.area_name("West Northants") == "West Northamptonshire"
    assert cs.area_name("E22000236") == "Kettering"  # an old code
    assert cs.area_name("e22000236 ") == "Kettering"
    assert cs.area_name("City of Wolverhampton") == "Wolverhampton"  # unchanged behaviour
    with pytest.raises(cs.UnknownAreaError):
        cs.area_name("Kettering and Corby")


def test_tables_on_older_csps_are_carried_forward_where_old_csps_merged():
    old = pd.DataFrame(
        {
            "area_code": ["E22000236", "E22000233", "E22000063", pd.NA],
            "area_name": ["Kettering", "Corby", "Bournemouth", pd.NA],
            "category": ["Burglary"] * 4,
            "count": [10, 5, 7, 2],
        }
    )
    carried = b.carry_forward(old, from_boundaries="2019", to_boundaries="2024")
    totals = carried.groupby("area_name", dropna=False)["count"].sum()
    assert totals["North Northamptonshire"] == 15
    assert totals["Bournemouth, Christchurch and Poole"] == 7
    assert carried["count"].sum() == old["count"].sum()
    assert carried.loc[carried["area_name"] == "North Northamptonshire", "area_code"].tolist() == ["E06000061"]


def test_a_split_csp_cannot_be_carried_forward_and_the_error_names_it():
    # The 2019 Dorset CSP held Christchurch, now part of Bournemouth, Christchurch and Poole.
    old = pd.DataFrame({"area_code": ["E22000367"], "area_name": ["Dorset"], "count": [3]})
    with pytest.raises(b.BoundaryChangeError, match=r"Dorset \(CSP on 2019 boundaries\).*2024") as error:
        b.carry_forward(old, from_boundaries="2019", to_boundaries="2024")
    assert error.value.parts == ["Bournemouth, Christchurch and Poole", "Dorset"]
    with pytest.raises(b.BoundaryError, match="not a CSP on 2019"):
        b.carry_forward(old.assign(area_code="E06000061"), from_boundaries="2019")


def test_populations_follow_the_boundaries():
    assert cs.population("Kettering", 2019) == 101776  # mid-2019 on 2019 councils
    assert cs.population("Kettering", 2020) == 102211  # mid-2020 on 2020 councils
    north = b.population_estimate("North Northamptonshire", 2019)
    assert (north.population, north.boundaries) == (354848, "2023")
    assert cs.population("North Northamptonshire", 2019) == 354848
    assert b.population_estimate("Kettering", 2019).boundaries == "2019"
    # The four old CSPs on their own 2019 councils against the series on 2023 councils: close,
    # not equal (the series was revised after Census 2021).
    parts = sum(cs.population(a, 2019) for a in ("Kettering", "Corby", "East Northamptonshire", "Wellingborough"))
    assert abs(parts - 354848) / 354848 < 0.02


def test_a_year_with_no_estimate_on_the_boundaries_names_what_exists():
    with pytest.raises(cs.PopulationError, match="mid-2019 on 2019 councils; mid-2020 on 2020 councils") as error:
        cs.population("Kettering", 2021)
    assert "Kettering (E22000236, CSP on 2016 boundaries)" in str(error.value)
    with pytest.raises(cs.PopulationError, match="Dorset"):
        cs.population("Christchurch", 2019)  # its CSP (Dorset, with Christchurch) matches no estimate
    with pytest.raises(cs.PopulationError):
        b.population_estimate("Bournemouth", 2019)  # no estimate was published on Bournemouth alone
    # On 2024 boundaries a former district names the CSP holding it.
    assert b.population_estimate("Kettering", 2019, boundaries="2024").area == "North Northamptonshire"
    with pytest.raises(cs.PopulationError, match=r"not a CSP .* on 2024 boundaries"):
        b.population_estimate("Atlantis", 2019, boundaries="2024")


def test_a_rate_on_2019_boundaries_and_on_2024_boundaries():
    months = pd.date_range("2019-01-01", periods=12, freq="MS")
    old = [("E22000236", "Kettering", 60), ("E22000233", "Corby", 40), ("E22000235", "East Northamptonshire", 30)]
    old.append(("E22000239", "Wellingborough", 50))
    rows = [
        {
            "period_start": month,
            "period_months": 1,
            "force": "Northamptonshire",
            "area_code": code,
            "area_name": name,
            "category": "Burglary",
            "is_crime": True,
            "count": count,
            "source": "police.uk",
        }
        for month in months
        for code, name, count in old
    ]
    counts_2019 = pd.DataFrame(rows)
    rates_2019 = cs.rates(counts_2019, year="2019", selection="Burglary").set_index("area_name")
    assert rates_2019.loc["Kettering", "population"] == 101776
    assert rates_2019.loc["Kettering", "population_boundaries"] == "2019"  # mid-2019 on its own councils
    assert rates_2019.loc["Kettering", "rate"] == pytest.approx(1000 * 720 / 101776)
    counts_2024 = b.carry_forward(counts_2019, from_boundaries="2019", to_boundaries="2024")
    rates_2024 = cs.rates(counts_2024, year="2019", selection="Burglary").set_index("area_name")
    assert rates_2024.loc["North Northamptonshire", "count"] == 12 * 180
    assert rates_2024.loc["North Northamptonshire", "population"] == 354848
    assert rates_2024.loc["North Northamptonshire", "population_boundaries"] == "2023"  # the ONS series
    assert rates_2024.loc["North Northamptonshire", "rate"] == pytest.approx(1000 * 2160 / 354848)


def test_a_published_csp_table_on_2016_codes_carries_forward_unchanged_where_nothing_merged(scenario_csp):
    carried = b.carry_forward(scenario_csp, from_boundaries="2016", to_boundaries="2024")
    before = scenario_csp.groupby("area_name")["count"].sum()
    after = carried.groupby("area_name")["count"].sum()
    assert after.equals(before)  # the seven West Midlands CSPs are the same on 2024 boundaries
    assert b.boundaries_of(scenario_csp["area_code"].dropna().unique()) == "2024"
