"""Coverage: missing data is never zero, and zero is never missing."""

import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.counts import COVERED, attach, make_coverage
from tests.conftest import TEST_DATA, shared_path

REGION = ("real", "police-uk", "west-midlands-region-2018-10-2019-02")
FORCES = ["Staffordshire", "Warwickshire", "West Mercia"]
BASE, CURRENT = ("2018-10", "2018-11"), ("2019-01", "2019-02")


@pytest.fixture(scope="module")
def region_without_warwickshire_november(tmp_path_factory):
    folder = tmp_path_factory.mktemp("region") / "region"
    shutil.copytree(shared_path(*REGION), folder)
    (folder / "2018-11" / "2018-11-warwickshire-street.csv").unlink()
    return cs.read_police_uk(folder, forces=FORCES)


@pytest.fixture(scope="module")
def region():
    return cs.read_police_uk(shared_path(*REGION), forces=FORCES)


@pytest.mark.shared
def test_a_force_with_a_missing_month_is_an_error_as_the_focus(region_without_warwickshire_november):
    counts = region_without_warwickshire_november
    with pytest.raises(cs.CoverageError, match=r"Warwickshire: no data for 2018-11") as error:
        cs.compare_years(counts, base=BASE, current=CURRENT, by="force", within=FORCES, area="Warwickshire")
    assert error.value.area == "Warwickshire" and error.value.months == [pd.Timestamp("2018-11-01")]
    # The CSPs of Warwickshire likewise: a CSP report cannot be made from a month with no data.
    with pytest.raises(cs.CoverageError, match="no data for 2018-11"):
        cs.compare_years(counts, base=BASE, current=CURRENT, within="Warwickshire", area="Rugby")


@pytest.mark.shared
def test_a_force_with_a_missing_month_is_left_out_of_the_ranking_with_the_reason(
    region_without_warwickshire_november, region
):
    table = cs.compare_years(
        region_without_warwickshire_november, base=BASE, current=CURRENT, by="force", within=FORCES
    )
    assert sorted(table["force"]) == ["Staffordshire", "West Mercia"]
    assert set(table["n_areas"]) == {2}
    assert table.attrs["excluded"] == {"Warwickshire": "no data for 2018-11"}
    full = cs.compare_years(region, base=BASE, current=CURRENT, by="force", within=FORCES)
    assert sorted(full["force"]) == FORCES and full.attrs["excluded"] == {}
    # The forces still compared have exactly the figures of the full comparison.
    kept = full.set_index("force").loc[["Staffordshire", "West Mercia"], ["base", "current"]]
    pd.testing.assert_frame_equal(table.set_index("force").loc[kept.index, ["base", "current"]], kept)


@pytest.mark.shared
def test_city_of_london_robbery_months_with_none_count_as_zero():
    counts = cs.read_police_uk(shared_path("real", "police-uk", "city-of-london-2017-2018"))
    robbery = cs.select(counts, "robbery")
    months_with_robbery = set(robbery["period_start"].dt.strftime("%Y-%m"))
    assert "2017-03" not in months_with_robbery  # the month the old check took for missing data
    table = cs.compare_years(counts, base="2017", current="2018", by="force", selection="robbery")
    row = table.set_index("force").loc["London, City of"]
    monthly = robbery.groupby(robbery["period_start"].dt.year)["count"].sum()
    assert (row["base"], row["current"]) == (monthly[2017], monthly[2018])


def test_bundled_scenario_homicide_comparison_succeeds(scenario_extract):
    table = cs.compare_years(
        scenario_extract, base="2016/17", current="2017/18", within="West Midlands", selection="homicide"
    )
    assert len(table) == 7 and table["base"].sum() + table["current"].sum() > 0
    assert (table["base"] >= 0).all()


def test_knife_on_a_home_office_table_says_the_source_has_no_knife_flag(scenario_csp):
    with pytest.raises(cs.SelectionError, match=r"knife flag, which the source.*home-office"):
        cs.compare_years(scenario_csp, base="2016/17", current="2017/18", selection="knife")


def test_a_street_file_covers_its_force_and_month_whatever_rows_it_has():
    counts = cs.read_police_uk(TEST_DATA / "police-uk" / "city-of-london")
    coverage = counts.coverage
    assert set(coverage["force"]) == {"London, City of"}
    assert list(coverage["period_start"].dt.strftime("%Y-%m")) == ["2017-01", "2017-02", "2017-03"]
    assert set(coverage["status"]) == {COVERED}
    # Coverage survives a selection and the store.
    assert cs.select(counts, "robbery").coverage is coverage


def test_coverage_is_kept_by_the_store(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([TEST_DATA / "police-uk" / "city-of-london"])
    read = store.read()
    assert list(read.coverage["period_start"].dt.strftime("%Y-%m")) == ["2017-01", "2017-02", "2017-03"]


def test_known_gaps_are_shipped_and_named_in_the_reason():
    gaps = cs.known_gaps()
    assert {"source", "force", "first_month", "last_month", "what", "reference"} <= set(gaps.columns)
    from crimestats import coverage

    assert "IT system" in coverage.known_gap("police.uk", "Greater Manchester", pd.Timestamp("2020-01-01"))
    assert coverage.known_gap("police.uk", "Greater Manchester", pd.Timestamp("2019-06-01")) is None


# ---- the invariant, for random sparse counts and random coverage --------------------------------

AREAS = ["Birmingham", "Coventry", "Dudley"]
MONTHS = list(pd.date_range("2017-01-01", periods=24, freq="MS"))


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.sampled_from(AREAS), st.integers(0, 23), st.sampled_from(["Robbery", "Burglary"]), st.integers(1, 9)
        ),
        max_size=40,
    ),
    uncovered=st.sets(st.tuples(st.sampled_from(AREAS), st.integers(0, 23)), max_size=4),
)
def test_covered_zero_months_count_zero_and_uncovered_months_are_reported(cells, uncovered):
    rows = [
        {
            "period_start": MONTHS[m],
            "period_months": 1,
            "force": "West Midlands",
            "area_name": area,
            "category": category,
            "count": n,
            "source": "police.uk",
            "is_crime": True,
        }
        for area, m, category, n in cells
        if (area, m) not in uncovered  # nothing is recorded where nothing was looked at
    ]
    frame = cs.validate(pd.DataFrame(rows)) if rows else cs.empty_counts()
    coverage = make_coverage(
        [
            {
                "source": "police.uk",
                "force": "West Midlands",
                "area_name": area,
                "period_start": month,
                "period_months": 1,
            }
            for area in AREAS
            for i, month in enumerate(MONTHS)
            if (area, i) not in uncovered
        ]
    )
    counts = attach(frame, coverage=coverage, quality=[])
    missing_areas = {area for area, _ in uncovered}
    if missing_areas == set(AREAS):
        with pytest.raises(cs.CoverageError, match="no area is covered"):
            cs.compare_years(counts, base="2017", current="2018", within=AREAS, selection="robbery")
        return
    table = cs.compare_years(counts, base="2017", current="2018", within=AREAS, selection="robbery")
    assert set(table["area_name"]) == set(AREAS) - missing_areas
    assert set(table.attrs["excluded"]) == missing_areas
    for area, reason in table.attrs["excluded"].items():
        for a, m in uncovered:
            if a == area:
                assert f"{MONTHS[m]:%Y-%m}" in reason or ".." in reason
    expected = (
        pd.DataFrame([r for r in rows if r["category"] == "Robbery"], columns=["area_name", "period_start", "count"])
        .assign(year=lambda f: pd.to_datetime(f["period_start"]).dt.year)
        .groupby(["area_name", "year"])["count"]
        .sum()
    )
    for row in table.itertuples():
        assert row.base == expected.get((row.area_name, 2017), 0)  # covered months without robbery count zero
        assert row.current == expected.get((row.area_name, 2018), 0)
    if "Birmingham" in missing_areas:
        with pytest.raises(cs.CoverageError):
            cs.compare_years(counts, base="2017", current="2018", within=AREAS, selection="robbery", area="Birmingham")


def test_status_names_a_known_gap(tmp_path, capsys):
    from crimestats.cli import main

    folder = tmp_path / "gmp"
    for month in ("2019-06", "2019-08"):
        (folder / month).mkdir(parents=True)
        rows = (
            "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
            "Crime type,Last outcome category,Context\n"
        )
        rows += f"abc{month},{month},Greater Manchester Police,Greater Manchester Police,,,No Location,,,Burglary,,\n"
        (folder / month / f"{month}-greater-manchester-street.csv").write_text(rows, encoding="utf-8")
    store = tmp_path / "store"
    assert main(["refresh", str(folder), "--store", str(store), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["status", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "missing 2019-07 (known gaps: Greater Manchester Police" in out


def test_a_month_not_covered_is_missing_in_the_monthly_trend_never_zero(scenario_extract):
    counts = scenario_extract[scenario_extract["period_start"] != pd.Timestamp("2017-06-01")]
    counts.coverage = scenario_extract.coverage[scenario_extract.coverage["period_start"] != pd.Timestamp("2017-06-01")]
    trend = cs.monthly_trend(counts, areas=["Wolverhampton"]).set_index("period_start")
    assert pd.isna(trend.loc["2017-06-01", "count"])
    assert pd.isna(trend.loc["2017-06-01", "change_on_last_year"])
    assert trend.loc["2017-06-01":, "rolling_12m"].isna().all()  # every window holding June 2017
    assert trend.loc["2017-05-01", "rolling_12m"] > 0
    assert trend.loc["2017-05-01", "count"] > 0


def test_the_extract_covers_every_area_of_its_force_each_month_of_its_span(scenario_extract):
    coverage = scenario_extract.coverage
    assert coverage["area_name"].isna().all() and len(coverage) == 24


def test_two_sources_for_one_force_are_refused_not_added(scenario_extract, scenario_csp):
    both = cs.combine([scenario_extract, scenario_csp])
    with pytest.raises(cs.SelectionError, match="count the same crimes"):
        cs.compare_years(both, base="2016/17", current="2017/18", within="West Midlands")
    one = cs.read_police_uk(TEST_DATA / "police-uk" / "city-of-london")
    with pytest.raises(cs.CoverageError, match="count it twice"):
        cs.combine([one, one])


def test_a_flag_missing_for_one_force_is_an_error_not_zero(scenario_extract):
    other = scenario_extract.copy()
    other["force"] = "Staffordshire"
    other["knife"] = pd.NA
    with pytest.raises(cs.SelectionError, match="extract for Staffordshire"):
        cs.select(cs.combine([scenario_extract, pd.DataFrame(other)]), "knife")


def test_api_mistakes_are_crimestats_errors(scenario_csp, tmp_path):
    with pytest.raises(cs.SelectionError, match="not a column"):
        cs.compare_years(scenario_csp, base="2016/17", current="2017/18", by="nonexistent")
    with pytest.raises(cs.SelectionError, match="level="):
        cs.contributions(scenario_csp, area="Wolverhampton", base="2016/17", current="2017/18", level="foo")
    with pytest.raises(cs.UnknownSelectionError):
        cs.select(scenario_csp, 123)
    with pytest.raises(cs.SelectionError, match="empty list"):
        cs.select(scenario_csp, [])
    with pytest.raises(cs.StoreError, match="no store here"):
        cs.Store(tmp_path / "typo").read()


def test_two_tables_of_one_workbook_combine_and_keep_their_records(ons_p1, ons_p5):
    both = cs.combine([ons_p1, ons_p5])  # attrs holding frames do not break the concat
    assert len(both) == len(ons_p1) + len(ons_p5) and len(both.quality) == 2
    with pytest.raises(cs.CoverageError):
        cs.combine([ons_p1, ons_p1])
