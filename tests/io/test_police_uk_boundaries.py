"""police.uk street files on boundary vintages (issue 11): 2021 LSOAs, reorganised councils, pre-2013 files."""

from __future__ import annotations

import pandas as pd
import pytest

import crimestats as cs
from tests.conftest import TEST_DATA, shared_path

SAMPLE_2024 = TEST_DATA / "police-uk" / "reorganised-2024-01"
SAMPLE_2022 = TEST_DATA / "police-uk" / "reorganised-2022-06"
SAMPLE_2011 = TEST_DATA / "police-uk" / "west-midlands-2011-02"
FORCES = ["Dorset", "Northamptonshire"]
OLD_NORTH = ["Corby", "East Northamptonshire", "Kettering", "Wellingborough"]


def _totals(counts: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in counts.groupby("area_name")["count"].sum().items()}


def _territorial_rows_with_lsoa(counts: pd.DataFrame) -> int:
    """Rows (counts) of territorial forces that carry an LSOA code, from the per-file quality records."""
    no_lsoa = sum(q["rows_no_area"].get("no_lsoa", 0) for q in counts.quality)
    territorial = counts["force"].map(cs.forces().set_index("force")["kind"]).eq("territorial")
    return int(counts.loc[territorial, "count"].sum()) - no_lsoa


# --- committed samples: the logic without ../shared -------------------------------------------------


def test_2021_lsoa_sample_lands_on_reorganised_councils_and_records_its_vintage():
    counts = cs.read_police_uk(SAMPLE_2024)
    assert cs.quality_report(counts).area_coverage == 1.0
    assert counts["area_name"].notna().all()
    totals = _totals(counts)
    assert totals["Bournemouth, Christchurch and Poole"] == 300
    assert totals["North Northamptonshire"] == 276
    basis = {}
    for quality in counts.quality:
        assert (quality["lsoa_vintage"], quality["boundaries"]) == ("2021", "2024")
        basis["dorset" if "dorset-street" in quality["file"] else "northamptonshire"] = quality["lsoa_vintage_basis"]
    assert basis["northamptonshire"] == "codes found only in that set"
    # The first 300 Dorset rows hold only LSOAs unchanged in 2021: the month decides (the full
    # file has new 2021 codes: see the shared test below).
    assert basis["dorset"].startswith("every code is in both sets: the file's month")


def test_the_same_rows_on_2019_boundaries_land_on_the_old_csps_and_sum_to_the_same():
    on_2024 = _totals(cs.read_police_uk(SAMPLE_2024, boundaries="2024"))
    on_2019 = _totals(cs.read_police_uk(SAMPLE_2024, boundaries=2019))
    assert "Bournemouth, Christchurch and Poole" not in on_2019
    assert (
        on_2019["Bournemouth"] + on_2019["Poole"] + on_2019["Dorset"] == on_2024["Bournemouth, Christchurch and Poole"]
    )
    assert sum(on_2019.get(a, 0) for a in OLD_NORTH) == on_2024["North Northamptonshire"]
    assert sum(on_2024.values()) == sum(on_2019.values()) == 600


def test_2011_lsoa_sample_is_carried_to_the_same_boundaries():
    counts = cs.read_police_uk(SAMPLE_2022)
    assert {q["lsoa_vintage"] for q in counts.quality} == {"2011"}
    assert counts["area_name"].notna().all()
    totals = _totals(counts)
    # June 2022 Bournemouth rows (2011 LSOAs "Bournemouth 0xxX") on 2024 boundaries.
    assert totals["Bournemouth, Christchurch and Poole"] == 300
    assert totals["North Northamptonshire"] == 273
    assert _totals(cs.read_police_uk(SAMPLE_2022, boundaries="2019"))["Corby"] == 273


def test_records_take_the_boundaries_too():
    records = cs.read_police_uk_records(SAMPLE_2024, boundaries="2019")
    assert len(records) == 600
    dorset = records[records["force"] == "Dorset"]
    assert set(dorset["area_name"]) == {"Bournemouth", "Poole", "Dorset"}


def test_unknown_boundaries_are_refused_before_reading():
    with pytest.raises(cs.CrimestatsError, match="unknown boundary vintage"):
        cs.read_police_uk(SAMPLE_2024, boundaries="2021")


def test_pre_2013_layout_loads_at_force_level_with_the_reason():
    counts = cs.read_police_uk(SAMPLE_2011)
    assert int(counts["count"].sum()) == 300  # one count per data row
    assert counts["area_name"].isna().all() and set(counts["force"]) == {"West Midlands"}
    quality = counts.quality[0]
    assert quality["rows_no_area"] == {"no_lsoa_columns": 300}
    assert quality["lsoa_vintage"] is None
    assert quality["lsoa_vintage_basis"] == "pre-2013 layout: no LSOA columns"
    report = cs.quality_report(counts)
    assert "pre-2013 layout (Easting/Northing, no LSOA columns)" in report.to_text()
    assert report.area_coverage is None  # no row had an LSOA to place
    assert set(counts["category"]) <= set(cs.CATEGORIES)
    assert counts.loc[counts["category"] == "Violence and sexual offences", "count"].sum() == 41  # "Violent crime"
    records = cs.read_police_uk_records(SAMPLE_2011)
    assert len(records) == 300
    assert records[["crime_id", "lsoa_code", "longitude", "outcome"]].isna().all().all()
    assert records["location"].notna().all()


# --- the real folders in ../shared ------------------------------------------------------------------


@pytest.fixture(scope="module")
def all_forces_2024_01() -> pd.DataFrame:
    return cs.read_police_uk(shared_path("real", "police-uk", "all-forces-2024-01"))


@pytest.mark.shared
def test_every_territorial_row_with_an_lsoa_gets_an_area_on_2024_boundaries(all_forces_2024_01):
    counts = all_forces_2024_01
    territorial = counts[counts["force"].map(cs.forces().set_index("force")["kind"]).eq("territorial")]
    placed = int(territorial.loc[territorial["area_name"].notna(), "count"].sum())
    assert placed == _territorial_rows_with_lsoa(counts)  # every one: coverage 100%
    report = cs.quality_report(counts)
    assert report.area_coverage == 1.0
    territorial_files = report.files[~report.files["file"].str.contains("btp")]
    assert set(territorial_files["lsoa_vintage"]) == {"2021"}
    assert "LSOA codes: the 2021 set" in report.to_text()
    for quality in counts.quality:
        if "btp" not in quality["file"]:
            assert quality["lsoa_vintage"] == "2021", quality["file"]
            assert quality["lsoa_vintage_basis"] == "codes found only in that set", quality["file"]
    totals = _totals(counts)
    # Every force's rows in these areas (Dorset's and Northamptonshire's, and a few of neighbours').
    assert totals["Bournemouth, Christchurch and Poole"] == 3134
    assert totals["North Northamptonshire"] == 2580
    assert totals["West Northamptonshire"] == 3017


def _read(folder: str, boundaries: str) -> dict[str, int]:
    path = shared_path("real", "police-uk", folder)
    return _totals(cs.read_police_uk(path, forces=FORCES, boundaries=boundaries))


@pytest.mark.shared
@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        (
            "all-forces-2022-06",
            {
                "Bournemouth, Christchurch and Poole": 3790,
                "North Northamptonshire": 2921,
                "West Northamptonshire": 3633,
                "Dorset": 2089,
            },
        ),
        (
            "all-forces-2024-01",
            {
                "Bournemouth, Christchurch and Poole": 3129,
                "North Northamptonshire": 2565,
                "West Northamptonshire": 3004,
                "Dorset": 1659,
            },
        ),
    ],
)
def test_june_2022_and_january_2024_on_2024_boundaries(folder, expected):
    totals = _read(folder, "2024")
    assert {area: totals[area] for area in expected} == expected


@pytest.mark.shared
@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        (
            "all-forces-2022-06",
            {
                "Bournemouth": 2185,
                "Poole": 1291,
                "Dorset": 2403,
                "Kettering": 859,
                "Corby": 652,
                "East Northamptonshire": 627,
                "Wellingborough": 783,
                "Northampton": 2653,
                "Daventry and South Northamptonshire": 994,
            },
        ),
        (
            "all-forces-2024-01",
            {
                "Bournemouth": 1939,
                "Poole": 964,
                "Dorset": 1885,
                "Kettering": 791,
                "Corby": 487,
                "East Northamptonshire": 577,
                "Wellingborough": 710,
                "Northampton": 2292,
                "Daventry and South Northamptonshire": 719,
            },
        ),
    ],
)
def test_the_same_months_on_2019_boundaries_give_the_old_csps(folder, expected):
    on_2019 = _read(folder, "2019")
    assert {area: on_2019[area] for area in expected} == expected
    on_2024 = _read(folder, "2024")
    assert "Kettering" not in on_2024 and "North Northamptonshire" not in on_2019
    # Whole districts merged: the old CSPs sum to the new ones.
    bcp = on_2024["Bournemouth, Christchurch and Poole"] + on_2024["Dorset"]
    assert on_2019["Bournemouth"] + on_2019["Poole"] + on_2019["Dorset"] == bcp
    assert sum(on_2019[a] for a in OLD_NORTH) == on_2024["North Northamptonshire"]
    # One LSOA moved from South Northamptonshire to Cherwell in 2021 (a boundary change, not a
    # merger): on 2024 boundaries its rows are Cherwell's.
    moved = on_2024.get("Cherwell", 0) - on_2019.get("Cherwell", 0)
    assert on_2019["Northampton"] + on_2019["Daventry and South Northamptonshire"] == (
        on_2024["West Northamptonshire"] + moved
    )


@pytest.mark.shared
def test_february_2011_west_midlands_loads_with_every_row_counted():
    path = shared_path("real", "police-uk", "west-midlands-2011-02")
    counts = cs.read_police_uk(path)
    assert int(counts["count"].sum()) == 25558  # the file's data rows
    assert counts["area_name"].isna().all()
    by_category = counts.groupby("category")["count"].sum()
    assert by_category["Violence and sexual offences"] == 3037  # "Violent crime"
    assert by_category["Anti-social behaviour"] == 8728
    assert counts.quality[0]["rows_no_area"] == {"no_lsoa_columns": 25558}


@pytest.mark.shared
def test_june_2022_against_january_2024_compares_like_for_like_on_2024_boundaries():
    parts = [
        cs.read_police_uk(shared_path("real", "police-uk", folder), forces=["Northamptonshire"])
        for folder in ("all-forces-2022-06", "all-forces-2024-01")
    ]
    counts = pd.concat(parts, ignore_index=True)
    table = cs.compare_years(
        counts, base=("2022-06", "2022-06"), current=("2024-01", "2024-01"), within="Northamptonshire"
    ).set_index("area_name")
    # The peers are the CSPs of the counts' boundary vintage (2024), not the 2016 ones.
    assert set(table.index) == {"North Northamptonshire", "West Northamptonshire"}
    assert table.loc["North Northamptonshire", ["base", "current"]].tolist() == [2400, 2228]
    assert table.loc["West Northamptonshire", ["base", "current"]].tolist() == [3044, 2580]


def test_a_pre_2013_file_missing_a_required_column_is_still_refused(tmp_path):
    lines = (SAMPLE_2011 / "2011-02-west-midlands-street.csv").read_text().splitlines()
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if name != "Crime type"]
    rows = [",".join(line.split(",")[i] for i in keep) for line in lines[:20]]
    path = tmp_path / "2011-02-west-midlands-street.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(cs.SourceFormatError, match=r"missing \['Crime type'\]"):
        cs.read_police_uk(path)
