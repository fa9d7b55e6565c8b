"""Monthly process control: the c-chart's limits, flags, runs, false-alarm rate; same month last year."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.control import (
    ABOVE,
    ALPHA,
    BELOW,
    RUN_ABOVE,
    control_chart,
    control_limits,
    flag_months,
    monthly_series,
    same_month_last_year,
)
from crimestats.exceptions import PeriodError

MONTHS = pd.date_range("2016-04-01", periods=24, freq="MS")


# Fixed seeds whose draws hold no chance run of 7 (about 1 series in 10 does: see the false-alarm test).
@pytest.mark.parametrize(("seed", "level", "spike_month"), [(3, 150, 17), (4, 40, 20), (5, 1200, 13), (6, 600, 23)])
def test_an_injected_spike_is_the_only_month_flagged(seed, level, spike_month):
    counts = np.random.default_rng(seed).poisson(level, 24)
    counts[spike_month] += int(8 * np.sqrt(level))  # 8 standard deviations
    chart = control_chart(pd.Series(counts, index=MONTHS), baseline="2016/17")
    flagged = chart[chart["flag"] != ""]
    assert flagged["period_start"].tolist() == [MONTHS[spike_month]]
    assert flagged["flag"].tolist() == [ABOVE]
    assert not chart.loc[chart["baseline"], "outside"].any()  # the baseline is never assessed


def test_a_drop_is_flagged_below():
    counts = np.random.default_rng(5).poisson(300, 24)
    counts[15] = 150
    chart = control_chart(pd.Series(counts, index=MONTHS))
    assert chart.loc[chart["flag"] != "", "period_start"].tolist() == [MONTHS[15]]
    assert chart.loc[15, "flag"] == BELOW


def test_seven_months_on_one_side_are_a_run():
    counts = [100, 104, 96, 101, 99, 103, 97, 100, 102, 98, 101, 99] + [105] * 7 + [95, 100, 100, 100, 100]
    chart = control_chart(pd.Series(counts, index=MONTHS))
    assert chart.loc[chart["run"] == 1, "period_start"].tolist() == list(MONTHS[12:19])
    assert (chart.loc[12:18, "flag"] == RUN_ABOVE).all()
    assert (chart.loc[19:, "flag"] == "").all()
    six = counts[:12] + [105] * 6 + [95] * 6
    assert (control_chart(pd.Series(six, index=MONTHS))["run"] == 0).all()


def test_limits_are_the_poisson_quantiles_widened_for_dispersion():
    centre, lower, upper, phi = control_limits(np.array([100] * 12))
    assert (centre[0], lower[0], upper[0]) == (100.0, 71.0, 132.0)  # poisson.ppf(0.001 / 0.999, 100)
    noisy = np.array([60, 140] * 6)
    _, low, high, phi = control_limits(noisy)
    assert low[0] < 71.0
    assert phi[0] > 1 and high[0] - 100 == pytest.approx(32 * np.sqrt(phi[0]))


@settings(max_examples=25, deadline=None)
@given(level=st.floats(min_value=2, max_value=5000), seed=st.integers(0, 2**32 - 1))
def test_series_with_no_change_are_flagged_at_most_at_the_stated_rate(level, seed):
    # 4,000 years of Poisson counts at one level: 12 baseline months, 12 assessed.
    draws = np.random.default_rng(seed).poisson(level, (4000, 24))
    centre, lower, upper, _ = control_limits(draws[:, :12])
    outside, run = flag_months(draws[:, 12:], centre, lower, upper)
    # Stated: at most ALPHA (0.2%) of months with a known centre; 0.4% bounds it with the centre
    # estimated (binomial noise on 48,000 months at 0.2% is 0.02 points: the bound is 10 SDs away).
    assert (outside != 0).mean() <= 2 * ALPHA
    # Most years flag no month at all.
    assert (outside != 0).any(axis=1).mean() <= 0.045
    # A run of 7 in 12 assessed months: about 1 year in 10 by chance (1 in 8 at 2 a month), as documented;
    # measured at most 0.126 over 40,000 years per level, and 4,000 draws have an SD of 0.005.
    assert (run != 0).any(axis=1).mean() <= 0.15


def test_the_chart_and_the_vectorised_core_agree():
    counts = np.random.default_rng(9).poisson(80, 24)
    chart = control_chart(pd.Series(counts, index=MONTHS))
    centre, lower, upper, phi = control_limits(counts[:12])
    assert chart.attrs["centre"] == centre[0] and chart.attrs["dispersion"] == pytest.approx(phi[0])
    assert (chart["upper"] == upper[0]).all() and (chart["lower"] == lower[0]).all()


def test_a_baseline_with_nothing_after_it_is_an_error():
    with pytest.raises(PeriodError):
        control_chart(pd.Series(range(12), index=MONTHS[:12]))


@pytest.fixture(scope="module")
def wolverhampton_burglary(scenario_extract):
    return monthly_series(scenario_extract, area="Wolverhampton", selection="Burglary")


def test_scenario_burglary_march_2018_is_above_the_expected_range(wolverhampton_burglary):
    chart = control_chart(wolverhampton_burglary, baseline="2016/17")
    march = chart.set_index("period_start").loc["2018-03-01"]
    assert (int(march["count"]), march["flag"]) == (255, ABOVE)
    assert round(chart.attrs["centre"], 1) == 180.8


def test_same_month_last_year(wolverhampton_burglary):
    table = same_month_last_year(wolverhampton_burglary)
    assert len(table) == 12 and table["period_start"].iloc[0] == pd.Timestamp("2017-04-01")
    row = table.set_index("period_start").loc["2018-03-01"]
    assert int(row["same_month_last_year"]) == int(wolverhampton_burglary.loc["2017-03-01"])
    assert int(row["change"]) == int(row["count"]) - int(row["same_month_last_year"])


def test_control_chart_plot_marks_the_flagged_months():
    counts = [100] * 12 + [100, 180] + [100] * 10
    chart = control_chart(pd.Series(counts, index=MONTHS))
    ax = cs.plotting.plot_control_chart(chart)
    marked = next(c for c in ax.collections if c.get_label() == "Outside the limits")
    assert marked.get_offsets()[:, 1].tolist() == [180]
    limits = [line for line in ax.get_lines() if line.get_label() == "Control limits"]
    assert limits[0].get_ydata().tolist() == [132.0] * 24


def test_same_month_plot_draws_both_years(wolverhampton_burglary):
    table = same_month_last_year(wolverhampton_burglary)
    ax = cs.plotting.plot_same_month_last_year(table)
    heights = [patch.get_height() for patch in ax.patches]
    assert heights == table["same_month_last_year"].tolist() + table["count"].tolist()
