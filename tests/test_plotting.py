import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

import crimestats as cs
from crimestats import plotting


@pytest.fixture(scope="module")
def peers_table(scenario_csp):
    return cs.compare_years(scenario_csp, base="2016/17", current="2017/18", within="West Midlands")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_peer_ranking_bars_order_highlight_and_average(peers_table):
    ax = plotting.plot_peer_ranking(peers_table, area="Wolverhampton")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = [p.get_width() for p in ax.patches]
    assert labels == ["Sandwell", "Walsall", "Coventry", "Dudley", "Solihull", "Wolverhampton", "Birmingham"]
    assert widths == pytest.approx(sorted(widths, reverse=True))
    highlighted = [
        label
        for label, p in zip(labels, ax.patches, strict=True)
        if to_hex(p.get_facecolor()) == plotting.HIGHLIGHT.lower()
    ]
    assert highlighted == ["Wolverhampton"]
    assert widths[labels.index("Wolverhampton")] == pytest.approx(13.5999, abs=1e-3)
    average = next(line for line in ax.get_lines() if line.get_linestyle() == "--")
    assert average.get_xdata()[0] == pytest.approx(13.0813, abs=1e-3)
    assert "Change on previous year (%)" == ax.get_xlabel()
    assert "2016/17 to 2017/18" in ax.get_title(loc="left")


def test_contributions_are_diverging_and_sum_to_net(scenario_csp):
    parts = cs.contributions(scenario_csp, area="Wolverhampton", base="2016/17", current="2017/18", level="ons_line")
    ax = plotting.plot_contributions(parts, top=None)
    widths = np.array([p.get_width() for p in ax.patches])
    assert widths.sum() == 2541
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "Vehicle offences"
    colours = {to_hex(p.get_facecolor()) for p in ax.patches}
    assert colours == {plotting.INCREASE.lower(), plotting.DECREASE.lower()}
    assert "+2,541" in ax.get_title(loc="left")
    top = plotting.plot_contributions(parts, top=6)
    labels = [t.get_text() for t in top.get_yticklabels()]
    assert len(top.patches) == 6 and "Other increases (13)" in labels
    assert sum(p.get_width() < 0 for p in top.patches) >= 2  # falls shown, not summed into a net "All other"
    assert sum(p.get_width() for p in top.patches) == 2541


def test_trend_is_indexed_and_highlights_the_area(scenario_extract):
    trend = cs.monthly_trend(scenario_extract, areas=cs.peer_areas("West Midlands"))
    ax = plotting.plot_monthly_trend(trend, area="Wolverhampton", peer_label="West Midlands overall")
    lines = {line.get_label(): line for line in ax.get_lines()}
    wolves = lines["Wolverhampton"].get_ydata()
    assert wolves[0] == pytest.approx(100)
    assert wolves[-1] == pytest.approx(100 * 21225 / 18684)
    assert lines["West Midlands overall"].get_ydata()[-1] == pytest.approx(100 * 233393 / 206394)
    assert ax.get_ylabel() == "Index (12 months to Mar 2017 = 100)"


def test_category_small_multiples(scenario_csp):
    own = scenario_csp[scenario_csp["area_name"] == "Wolverhampton"]
    table = cs.compare_years(own, base="2016/17", current="2017/18", by="category")
    axes = plotting.plot_category_changes(table)
    assert len(axes) == len(table)
    first = axes[0]
    assert " ".join(first.get_title().split()).startswith("Violence and sexual")
    heights = [p.get_height() for p in first.patches]
    row = table.set_index("category").loc["Violence and sexual offences"]
    assert heights == [row["base"], row["current"]]
    # The grid is filled row by row: the panels returned are the visible ones, the spare cells hidden.
    grid = first.figure.axes
    assert len(grid) == 4 * -(-len(table) // 4)
    assert [ax.get_visible() for ax in grid] == [True] * len(table) + [False] * (len(grid) - len(table))
    assert list(axes) == grid[: len(table)]


def test_empty_tables_and_short_trends_are_errors_not_tracebacks(peers_table, scenario_csp):
    with pytest.raises(cs.SelectionError, match="no rows"):
        plotting.plot_peer_ranking(peers_table.iloc[0:0], area="Dudley")
    with pytest.raises(cs.SelectionError, match="no rows"):
        plotting.plot_category_changes(peers_table.iloc[0:0])
    months = pd.date_range("2017-01-01", periods=14, freq="MS")
    trend = pd.DataFrame({"period_start": months, "area_name": "Dudley", "rolling_12m": [None] * 11 + [5.0, 6.0, 7.0]})
    with pytest.raises(cs.SelectionError, match="no rows for 'Walsall'; it has Dudley"):
        plotting.plot_monthly_trend(trend, area="Walsall")
    with pytest.raises(cs.PeriodError, match="at least 12 months"):
        plotting.plot_monthly_trend(trend.assign(rolling_12m=None), area="Dudley")
    assert plotting.plot_monthly_trend(trend, area="Dudley").get_lines()[0].get_ydata()[-1] == pytest.approx(140)


def test_plots_draw_on_a_given_axes(peers_table):
    _fig, ax = plt.subplots()
    assert plotting.plot_peer_ranking(peers_table, area="Dudley", ax=ax) is ax


def test_monthly_trend_in_counts_labels_its_axis_and_ends(scenario_extract):
    trend = cs.monthly_trend(scenario_extract, areas=["Wolverhampton"])
    ax = plotting.plot_monthly_trend(trend, area="Wolverhampton", values="count")
    assert ax.get_ylabel() == "Offences, 12 months to each month"
    line = ax.get_lines()[0]
    assert line.get_ydata()[-1] == 21225
    assert [t.get_text() for t in ax.texts] == [f"{int(line.get_ydata()[0]):,}", "21,225"]


def test_shown_contributions_keep_falls_and_sum_to_the_net_change():
    parts = pd.DataFrame(
        {"line": [f"r{i}" for i in range(12)] + ["f1", "f2"], "change": [*range(100, 40, -5), -30, -4]}
    )
    shown = plotting.shown_contributions(parts, top=6)
    assert {"f1", "f2"} <= set(shown["line"])
    assert shown["change"].sum() == parts["change"].sum()
