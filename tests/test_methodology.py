"""Every figure docs/methodology.md quotes, produced here so the page cannot drift from the code."""

import re
from pathlib import Path

import pytest

import crimestats as cs
from crimestats.metrics import window_rows
from crimestats.periods import to_window
from tests.conftest import shared_path

DOC = Path(__file__).resolve().parents[1] / "docs" / "methodology.md"
CITY = "London, City of"


def total(counts, force=CITY):
    return int(cs.select(counts[counts["force"] == force], "total recorded crime")["count"].sum())


def test_home_office_and_ons_city_of_london_2017_18(home_office_pfa, ons_p1):
    assert total(home_office_pfa) == 5870
    assert total(ons_p1) == 5392


@pytest.mark.shared
def test_police_uk_city_of_london_2017_18_force_wide_and_inside_the_city():
    counts = cs.read_police_uk(shared_path("real", "police-uk", "city-of-london-2017-2018"))
    year = window_rows(cs.select(counts, "total recorded crime"), to_window("2017/18"))
    assert int(year["count"].sum()) == 6007
    assert int(year.loc[year["area_name"] == "City of London", "count"].sum()) == 5344


def test_the_page_quotes_exactly_these_figures():
    text = DOC.read_text(encoding="utf-8")
    for figure in ("5,870", "5,392", "6,007", "5,344", "7,103", "6,142", "602", "359", "p = 0.14"):
        assert figure in text
    assert re.search(r"182 → 212", text)


def test_the_knife_significance_quoted(scenario_extract):
    table = cs.compare_years(
        scenario_extract, base="2016/17", current="2017/18", within="West Midlands", selection="knife"
    )
    row = table.set_index("area_name").loc["Wolverhampton"]
    assert (row["base"], row["current"], round(float(row["p_value"]), 2)) == (182, 212, 0.14)
