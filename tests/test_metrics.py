import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.metrics import period_rows
from crimestats.periods import to_window
from tests.conftest import TEST_DATA


def row_of(table, area):
    return table.set_index(table.columns[0]).loc[area]


def test_wolverhampton_total_recorded_crime_from_the_csp_table(scenario_csp):
    fy = cs.compare_years(scenario_csp, base="2016/17", current="2017/18", within="West Midlands")
    wolves = row_of(fy, "Wolverhampton")
    assert (wolves["base"], wolves["current"], wolves["change"]) == (18684, 21225, 2541)
    assert round(wolves["pct_change"], 1) == 13.6
    assert (wolves["rank"], wolves["n_areas"]) == (2, 7)
    assert wolves["significance"] == "significant increase"
    assert wolves["peer_base"] == 206394 and wolves["peer_current"] == 233393
    assert fy.attrs["base"] == "2016/17"


def test_wolverhampton_knife_offences_from_the_extract(scenario_extract):
    fy = cs.compare_years(
        scenario_extract,
        base="2016/17",
        current="2017/18",
        within="West Midlands",
        selection="knife or sharp instrument offences",
    )
    wolves = row_of(fy, "Wolverhampton")
    assert (wolves["base"], wolves["current"], wolves["change"]) == (182, 212, 30)
    assert round(wolves["pct_change"], 1) == 16.5
    assert (wolves["rank"], wolves["n_areas"]) == (4, 7)
    # force totals equal the real ONS P5 knife series
    assert (wolves["peer_base"], wolves["peer_current"]) == (2394, 2850)


def test_extract_and_table_agree(scenario_extract, scenario_csp):
    a = cs.compare_years(scenario_extract, base="2016/17", current="2017/18", within="West Midlands")
    b = cs.compare_years(scenario_csp, base="2016/17", current="2017/18", within="West Midlands")
    pd.testing.assert_frame_equal(a, b)


def test_largest_contributions_to_wolverhampton_increase(scenario_csp):
    parts = cs.contributions(scenario_csp, area="Wolverhampton", base="2016/17", current="2017/18", level="ons_line")
    assert list(parts["ons_line"][:5]) == [
        "vehicle offences",
        "violence with injury",
        "residential burglary",
        "other theft offences",
        "robbery",
    ]
    assert parts["change"].sum() == 2541 == parts.attrs["net_change"]
    assert round(parts["share_of_change"].sum(), 9) == 100
    groups = cs.contributions(scenario_csp, area="Wolverhampton", base="2016/17", current="2017/18")
    assert groups["offence_group"].iloc[0] == "Theft offences"


def test_contributions_refuse_a_level_the_source_lacks():
    counts = cs.read_police_uk(TEST_DATA / "police-uk" / "city-of-london")
    # The City's files also hold crimes located in neighbouring boroughs, which they do not cover: ask for the City.
    with pytest.raises(cs.SelectionError, match="carry no offence_group"):
        cs.contributions(counts, area="City of London", base=("2017-01", "2017-01"), current=("2017-02", "2017-02"))
    by_category = cs.contributions(
        counts, area="City of London", base=("2017-01", "2017-01"), current=("2017-02", "2017-02"), level="category"
    )
    assert by_category["change"].sum() == by_category["current"].sum() - by_category["base"].sum()


def test_west_midlands_region_forces_ranked_from_ons_p1_and_p2(ons_p1):
    # P1 tabulates only 2017/18, so the 2016/17 base comes from P2's published percentage change.
    region = cs.peer_areas("region:West Midlands", level="force")
    current = cs.select(ons_p1[ons_p1["force"].isin(region)], "total recorded crime").groupby("force")["count"].sum()
    p2 = cs.read_ons_pfa_change(cs.datasets.path("ons-pfa-2018"))
    pct = p2[(p2["measure"] == "total recorded crime (excluding fraud)") & p2["force"].isin(region)]
    table = cs.changes_from_published(current, pct.set_index("force")["pct_change"])
    assert list(table.index) == ["West Mercia", "Staffordshire", "Warwickshire", "West Midlands"]
    assert list(table["rank"]) == [1, 2, 3, 4]
    assert table.loc["West Midlands", "base"] == 206394  # the real 2016/17 total, as in the scenario
    assert table.loc["West Midlands", "current"] == 233393


def test_rates_use_the_mid_year_population_of_the_start_year(scenario_csp):
    rates = cs.rates(scenario_csp, year="2017/18").set_index("area_name")
    wolves = rates.loc["Wolverhampton"]
    assert (wolves["count"], wolves["population"], wolves["population_year"]) == (21225, 260648, 2017)
    assert wolves["rate"] == pytest.approx(1000 * 21225 / 260648)
    with pytest.raises(cs.PopulationError):
        cs.rates(pd.DataFrame(scenario_csp.assign(area_name="Atlantis")), year="2017/18")
    overridden = cs.rates(
        pd.DataFrame(scenario_csp.assign(area_name="Atlantis")), year="2017/18", populations={"Atlantis": 1000}
    )
    assert overridden["rate"].iloc[0] == pytest.approx(233393)


def test_trend_has_rolling_and_same_month_last_year(scenario_extract):
    trend = cs.monthly_trend(scenario_extract, areas=["Wolverhampton"])
    assert len(trend) == 24
    assert trend["rolling_12m"].iloc[11] == 18684 and trend["rolling_12m"].iloc[-1] == 21225
    assert trend["rolling_12m"].iloc[:11].isna().all()
    assert (trend["same_month_last_year"].iloc[12:].to_numpy() == trend["count"].iloc[:12].to_numpy()).all()
    with pytest.raises(cs.PeriodError, match="monthly counts"):
        cs.monthly_trend(cs.read_home_office(cs.datasets.path("scenario-csp")))


def test_periods_must_be_covered_and_of_equal_length(scenario_csp, scenario_extract):
    with pytest.raises(cs.CoverageError, match=r"no data for 2015-04 \.\. 2016-03"):
        cs.compare_years(scenario_csp, base="2015/16", current="2016/17")
    with pytest.raises(cs.PeriodError, match="differ in length"):
        cs.compare_years(scenario_csp, base="2016/17", current=("2017-04", "2017-06"))
    with pytest.raises(cs.PeriodError, match="do not fit inside"):
        cs.compare_years(scenario_csp, base=("2016-05", "2017-04"), current=("2017-05", "2018-04"))
    rolling = cs.compare_years(scenario_extract, base="12m:2017-03", current="12m:2018-03", within="West Midlands")
    assert row_of(rolling, "Wolverhampton")["current"] == 21225
    calendar = cs.compare_years(scenario_extract, base=("2016-04", "2016-09"), current=("2017-04", "2017-09"))
    assert calendar["base"].sum() > 0


def test_significance_is_plain_about_small_numbers():
    assert cs.change_p_value(6, 9) > 0.5
    table = cs.compare_years(
        cs.validate(
            pd.DataFrame(
                {
                    "period_start": pd.to_datetime(["2016-04-01", "2017-04-01"]),
                    "period_months": 12,
                    "force": "West Midlands",
                    "area_code": None,
                    "area_name": "Wolverhampton",
                    "category": "Robbery",
                    "offence_group": None,
                    "offence_subgroup": None,
                    "offence_code": None,
                    "is_crime": True,
                    "knife": None,
                    "business": None,
                    "domestic": None,
                    "count": [6, 9],
                    "source": "ons",
                }
            )
        ),
        base="2016/17",
        current="2017/18",
    )
    assert round(table["pct_change"].iloc[0]) == 50
    assert table["significance"].iloc[0] == "no significant change"


# ---- properties -------------------------------------------------------------------------------

AREAS = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]
CATEGORIES = ["Robbery", "Burglary", "Vehicle crime", "Drugs"]


@st.composite
def two_year_counts(draw):
    rows = []
    for year in (2016, 2017):
        for area in AREAS:
            for category in CATEGORIES:
                for quarter in range(4):
                    rows.append(
                        {
                            "period_start": pd.Timestamp(year, 4, 1) + pd.DateOffset(months=3 * quarter),
                            "area_name": area,
                            "category": category,
                            "count": draw(st.integers(0, 500)),
                        }
                    )
    frame = pd.DataFrame(rows).assign(
        period_months=3,
        force="West Midlands",
        area_code=None,
        offence_group=None,
        offence_subgroup=None,
        offence_code=None,
        is_crime=True,
        knife=None,
        business=None,
        domestic=None,
        source="home-office",
    )
    return cs.validate(frame)


@settings(max_examples=25, deadline=None)
@given(two_year_counts(), st.randoms())
def test_rank_is_independent_of_row_order_and_peer_total_is_the_sum(counts, random):
    shuffled = counts.sample(frac=1, random_state=random.randint(0, 2**31))
    a = cs.compare_years(counts, base="2016/17", current="2017/18", within="West Midlands")
    b = cs.compare_years(shuffled, base="2016/17", current="2017/18", within="West Midlands")
    pd.testing.assert_frame_equal(a, b)
    assert (a["peer_current"] == a["current"].sum()).all()
    assert (a["peer_base"] == a["base"].sum()).all()


@settings(max_examples=25, deadline=None)
@given(two_year_counts())
def test_comparing_a_period_with_itself_gives_zero_change_and_equal_ranks(counts):
    same = counts.copy()
    same.loc[same["period_start"] >= pd.Timestamp("2017-04-01"), "count"] = same.loc[
        same["period_start"] < pd.Timestamp("2017-04-01"), "count"
    ].to_numpy()
    table = cs.compare_years(same, base="2016/17", current="2017/18", within="West Midlands")
    with_base = table[table["base"] > 0]
    assert (table["change"] == 0).all()
    assert (with_base["pct_change"] == 0).all()
    assert with_base["rank"].nunique() <= 1
    itself = cs.compare_years(counts, base="2017/18", current="2017/18", within="West Midlands")
    assert (itself["change"] == 0).all()
    assert itself.loc[itself["base"] > 0, "rank"].nunique() <= 1
    assert (itself["significance"] == "no significant change").all()


@settings(max_examples=25, deadline=None)
@given(two_year_counts(), st.sampled_from(["area_name", "category"]))
def test_totals_equal_the_sum_of_parts_and_contributions_sum_to_net_change(counts, by):
    table = cs.compare_years(counts, base="2016/17", current="2017/18", by=by)
    window = to_window("2017/18")
    assert table["current"].sum() == period_rows(counts, window)["count"].sum()
    parts = cs.contributions(counts, area="Dudley", base="2016/17", current="2017/18", level="category")
    dudley = cs.compare_years(counts, base="2016/17", current="2017/18").set_index("area_name").loc["Dudley"]
    assert parts["change"].sum() == dudley["change"]
    assert np.issubdtype(parts["change"].dtype, np.integer)
