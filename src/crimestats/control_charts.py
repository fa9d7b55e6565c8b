"""Charts of peer control limits and monthly process control: funnel plot, control chart, same month last year.

Each takes ``ax=None`` and returns the Axes, drawing only what its table holds.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .exceptions import PeriodError, SelectionError
from .plotting import _FONT, BASE_COLOUR, HIGHLIGHT, INCREASE, OTHER, REFERENCE, _axes, _style


def plot_funnel(
    table: pd.DataFrame,
    *,
    area: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    peer_label: str = "Peer group rate",
) -> Axes:
    """Funnel plot: each peer's rate against its population, with the peer rate and control limits.

    Parameters
    ----------
    table
        Output of :func:`crimestats.limits.peer_limits`.
    area
        The area to highlight (a larger, darker, labelled point).
    ax
        Axes to draw on; a new A4-width figure when None.
    title
        Chart title.
    peer_label
        Legend text for the peer group's rate.

    Returns
    -------
    matplotlib.axes.Axes
        The limit curves are lines labelled "95% limits" and "99.8% limits"; each peer is a
        point of the "Peer areas" collection (x population, y rate).

    Examples
    --------
    >>> import crimestats as cs
    >>> from crimestats.limits import peer_limits
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> table = peer_limits(counts, year="2017/18", peers=cs.peer_areas("West Midlands"))
    >>> ax = cs.plotting.plot_funnel(table, area="Wolverhampton")
    >>> sorted({line.get_label() for line in ax.get_lines()} - {"_nolegend_"})[:2]
    ['95% limits', '99.8% limits']
    """
    from .limits import funnel_limits, level_label

    if table.empty:
        raise SelectionError("no areas to plot: the table has no rows")
    ax = _axes(ax, height=3.8)
    by = table.attrs.get("by", table.columns[0])
    per, levels, peer_rate = table.attrs["per"], table.attrs["levels"], table.attrs["peer_rate"]
    population = table["population"].to_numpy(dtype=float)
    grid = np.linspace(0.5 * population.min(), 1.1 * population.max(), 200)
    curve = funnel_limits(peer_rate, grid, per=per, levels=levels)
    styles = {0: ("--", 1.0), 1: (":", 1.2)}
    for i, level in enumerate(levels):
        style, width = styles.get(i, ("-.", 1.0))
        label = f"{level * 100:g}% limits"
        ax.plot(grid, curve[f"upper_{level_label(level)}"], color=REFERENCE, linestyle=style, lw=width, label=label)
        ax.plot(
            grid, curve[f"lower_{level_label(level)}"], color=REFERENCE, linestyle=style, lw=width, label="_nolegend_"
        )
    ax.axhline(peer_rate, color=BASE_COLOUR, linewidth=1.2, label=f"{peer_label} ({peer_rate:.1f})")
    others = table[table[by] != area]
    ax.scatter(
        others["population"], others["rate"], color=OTHER, edgecolor="#333333", s=28, zorder=3, label="Peer areas"
    )
    for row in table.itertuples():
        name = getattr(row, by)
        ax.annotate(
            str(name),
            (row.population, row.rate),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=_FONT["tick"],
            fontweight="bold" if name == area else "normal",
            bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
            zorder=5,
        )
    if area is not None and area in set(table[by]):
        own = table[table[by] == area]
        ax.scatter(
            own["population"],
            own["rate"],
            color=HIGHLIGHT,
            edgecolor="#000000",
            marker="D",
            s=60,
            zorder=4,
            label=area,
        )
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda value, _: f"{value:,.0f}"))
    _style(
        ax,
        title=title or f"Rate per {per:,} residents against population, {table.attrs.get('period', '')}",
        xlabel="Population",
        ylabel=f"Offences per {per:,} residents",
    )
    # Below the axes, so the legend never covers a point or squeezes the plot at A4 width.
    ax.legend(fontsize=_FONT["tick"], frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    return ax


def plot_control_chart(chart: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Monthly counts against the expected level and control limits, flagged months marked.

    Parameters
    ----------
    chart
        Output of :func:`crimestats.control.control_chart`.
    ax
        Axes to draw on; a new A4-width figure when None.
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        Lines labelled "Monthly count", "Expected level", "Control limits"; flagged months are the
        "Outside the limits" and "Run on one side" collections.

    Examples
    --------
    >>> from crimestats.control import control_chart
    >>> months = pd.date_range("2016-04-01", periods=24, freq="MS")
    >>> chart = control_chart(pd.Series([100] * 12 + [100, 180] + [100] * 10, index=months))
    >>> ax = plot_control_chart(chart)
    >>> [c.get_label() for c in ax.collections]
    ['Outside the limits']
    """
    ax = _axes(ax, height=3.4)
    x = chart["period_start"]
    ax.plot(x, chart["count"], color=HIGHLIGHT, marker="o", markersize=3, linewidth=1.6, label="Monthly count")
    ax.plot(x, chart["centre"], color=REFERENCE, linewidth=1, label="Expected level")
    ax.plot(x, chart["upper"], color=REFERENCE, linestyle="--", linewidth=0.9, label="Control limits")
    ax.plot(x, chart["lower"], color=REFERENCE, linestyle="--", linewidth=0.9, label="_nolegend_")
    base = chart[chart["baseline"]]
    if len(base):
        ax.axvspan(base["period_start"].min(), base["period_start"].max(), color="#EEEEEE", zorder=0, label="Baseline")
    outside = chart[chart["outside"] != 0]
    if len(outside):
        ax.scatter(
            outside["period_start"],
            outside["count"],
            s=70,
            color=INCREASE,
            marker="D",
            zorder=4,
            label="Outside the limits",
        )
    run = chart[(chart["run"] != 0) & (chart["outside"] == 0)]
    if len(run):
        ax.scatter(
            run["period_start"],
            run["count"],
            s=40,
            facecolor="none",
            edgecolor=INCREASE,
            zorder=4,
            label="Run on one side",
        )
    _style(
        ax,
        title=title or f"Monthly count against the expected range (baseline {chart.attrs.get('baseline')})",
        ylabel="Offences per month",
    )
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    ax.legend(fontsize=_FONT["tick"], frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=3)
    return ax


def plot_same_month_last_year(table: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Each month's count beside the same month of the previous year (paired bars).

    Parameters
    ----------
    table
        Output of :func:`crimestats.control.same_month_last_year`.
    ax
        Axes to draw on; a new A4-width figure when None.
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crimestats.control import same_month_last_year
    >>> months = pd.date_range("2016-01-01", periods=14, freq="MS")
    >>> ax = plot_same_month_last_year(same_month_last_year(pd.Series(range(100, 114), index=months)))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['Jan 2017', 'Feb 2017']
    """
    if table.empty:
        raise PeriodError("no month has the same month a year before in the series")
    ax = _axes(ax, height=3.2)
    positions = np.arange(len(table))
    ax.bar(positions - 0.2, table["same_month_last_year"], width=0.4, color=BASE_COLOUR, label="Same month last year")
    ax.bar(positions + 0.2, table["count"], width=0.4, color=HIGHLIGHT, label="This year")
    ax.set_xticks(positions, [f"{month:%b %Y}" for month in table["period_start"]])
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    _style(ax, title=title or "Monthly count against the same month of the previous year", ylabel="Offences")
    ax.legend(fontsize=_FONT["tick"], frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
    return ax
