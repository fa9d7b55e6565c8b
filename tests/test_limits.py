"""Peer control limits and the funnel plot's data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import crimestats as cs
from crimestats.limits import funnel_limits, peer_limits, poisson_limits

WEST_MIDLANDS = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]


@pytest.fixture(scope="module")
def wm_limits(scenario_csp):
    return peer_limits(scenario_csp, year="2017/18", peers=cs.peer_areas("West Midlands"))


def test_peer_rate_is_the_groups_offences_over_its_residents(wm_limits):
    populations = {name: cs.population(name, 2017) for name in WEST_MIDLANDS}
    assert wm_limits.attrs["peer_count"] == 233_393  # the real West Midlands force total, 2017/18
    assert wm_limits.attrs["peer_population"] == sum(populations.values())
    assert wm_limits.attrs["peer_rate"] == pytest.approx(1000 * 233_393 / sum(populations.values()))
    assert round(wm_limits.attrs["peer_rate"], 2) == 80.77


def test_each_peers_rate_population_and_limits(wm_limits, scenario_csp):
    table = wm_limits.set_index("area_name")
    rates = cs.rates(scenario_csp, year="2017/18").set_index("area_name")
    assert sorted(table.index) == WEST_MIDLANDS
    for name in WEST_MIDLANDS:
        assert table.loc[name, "population"] == rates.loc[name, "population"]
        assert table.loc[name, "rate"] == pytest.approx(rates.loc[name, "rate"])
        expected = wm_limits.attrs["peer_rate"] * table.loc[name, "population"] / 1000
        assert table.loc[name, "expected"] == pytest.approx(expected)
        for level, suffix in ((0.95, "95"), (0.998, "998")):
            # Each limit lies between the whole-number Poisson quantiles around the expected count.
            high = stats.poisson.ppf((1 + level) / 2, expected)
            low = stats.poisson.ppf((1 - level) / 2, expected)
            upper = table.loc[name, f"upper_{suffix}"] * table.loc[name, "population"] / 1000
            lower = table.loc[name, f"lower_{suffix}"] * table.loc[name, "population"] / 1000
            assert high - 1 <= upper <= high
            assert low - 1 <= lower <= low
    wolverhampton = table.loc["Wolverhampton"]
    assert wolverhampton["population"] == 260_648
    assert round(wolverhampton["rate"], 1) == 81.4
    assert (round(wolverhampton["lower_95"], 1), round(wolverhampton["upper_95"], 1)) == (79.7, 81.9)
    assert (round(wolverhampton["lower_998"], 1), round(wolverhampton["upper_998"], 1)) == (79.1, 82.5)


def test_verdicts_among_the_west_midlands_csps(wm_limits):
    verdicts = wm_limits.set_index("area_name")["verdict"].to_dict()
    assert verdicts == {
        "Birmingham": "in line with",
        "Coventry": "above",
        "Dudley": "below",
        "Sandwell": "above",
        "Solihull": "below",
        "Walsall": "above",
        "Wolverhampton": "in line with",
    }
    beyond = wm_limits.set_index("area_name")["beyond_998"]
    assert not beyond["Wolverhampton"] and beyond["Sandwell"]


def test_funnel_plot_draws_each_peer_and_the_limit_curves(wm_limits):
    ax = cs.plotting.plot_funnel(wm_limits, area="Wolverhampton")
    points = {tuple(np.round(p, 6)) for c in ax.collections for p in c.get_offsets()}
    for row in wm_limits.itertuples():
        assert (round(row.population, 6), round(row.rate, 6)) in points
    highlighted = next(c for c in ax.collections if c.get_label() == "Wolverhampton")
    assert highlighted.get_offsets().tolist() == [[260_648, pytest.approx(wm_limits.iloc[6]["rate"])]]
    lines = [line for line in ax.get_lines() if line.get_label() == "95% limits"]
    assert len(lines) == 1
    x, y = lines[0].get_data()
    curve = funnel_limits(wm_limits.attrs["peer_rate"], x)
    np.testing.assert_allclose(y, curve["upper_95"])
    # The curve at a peer's population is that peer's upper limit.
    at = funnel_limits(wm_limits.attrs["peer_rate"], [260_648])
    assert at["upper_95"].iloc[0] == pytest.approx(wm_limits.set_index("area_name").loc["Wolverhampton", "upper_95"])
    assert ax.get_ylabel() == "Offences per 1,000 residents"


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.5, max_value=5e5), st.sampled_from([0.9, 0.95, 0.998]))
def test_poisson_limits_lie_between_whole_quantiles(mean, level):
    low, high = poisson_limits(mean, level)
    assert stats.poisson.ppf((1 + level) / 2, mean) - 1 <= high <= stats.poisson.ppf((1 + level) / 2, mean)
    assert max(stats.poisson.ppf((1 - level) / 2, mean) - 1, 0) <= low <= stats.poisson.ppf((1 - level) / 2, mean)
    assert low <= mean <= high


def test_wider_level_gives_wider_limits():
    inner, outer = poisson_limits(200.0, 0.95), poisson_limits(200.0, 0.998)
    assert outer[0] < inner[0] and outer[1] > inner[1]
