"""Charts for performance reports. Each takes a metric table, ``ax=None``, and returns the Axes.

Colours are the Okabe-Ito colour-blind-safe palette; the highlighted area is also the darkest bar
and hatched, so charts read in greyscale. Nothing here calls ``plt.show()`` or changes global
matplotlib settings.
"""

from __future__ import annotations

import textwrap
from typing import Literal

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .exceptions import PeriodError, SelectionError

#: Okabe-Ito palette (Okabe and Ito, 2008), chosen for colour-vision deficiency.
HIGHLIGHT = "#0072B2"  # blue: dark in greyscale
OTHER = "#BBBBBB"  # light grey
INCREASE = "#D55E00"  # vermillion
DECREASE = "#009E73"  # bluish green
REFERENCE = "#000000"
BASE_COLOUR = "#999999"
A4_TEXT_WIDTH_IN = 6.3  # 16 cm: the text width of an A4 report page

_FONT = {"title": 10, "label": 9, "tick": 8}


def _axes(ax: Axes | None, height: float = 3.6) -> Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=(A4_TEXT_WIDTH_IN, height), layout="constrained")
    return ax


def _style(ax: Axes, *, title: str | None, xlabel: str | None = None, ylabel: str | None = None) -> None:
    if title:
        # Left-aligned titles run off the figure's edge past ~65 characters at A4 width.
        ax.set_title(wrap_title(title, 65), fontsize=_FONT["title"], loc="left")
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=_FONT["label"])
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=_FONT["label"])
    ax.tick_params(labelsize=_FONT["tick"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def wrap_title(title: str, width: int = 65) -> str:
    """A chart title in lines of at most ``width`` characters, broken after a colon where it has one.

    A title such as "Offences involving a knife or sharp instrument: change 2016/17 to 2017/18"
    breaks after the colon, so the period is never split across lines.

    Examples
    --------
    >>> print(wrap_title("Offences involving a knife or sharp instrument: change 2016/17 to 2017/18"))
    Offences involving a knife or sharp instrument:
    change 2016/17 to 2017/18
    """
    if len(title) <= width:
        return title
    head, colon, tail = title.partition(": ")
    if colon and len(head) < width:
        return f"{head}:\n" + "\n".join(textwrap.wrap(tail, width, break_on_hyphens=False))
    return "\n".join(textwrap.wrap(title, width, break_on_hyphens=False)) or title


def _wrap(label: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _label_bars(ax: Axes, bars, values: np.ndarray, template: str) -> None:
    """Write each horizontal bar's value just beyond its end."""
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(
            template.format(value),
            (value, bar.get_y() + bar.get_height() / 2),
            xytext=(3 if value >= 0 else -3, 0),
            textcoords="offset points",
            ha="left" if value >= 0 else "right",
            va="center",
            fontsize=_FONT["tick"],
            # Above a reference line and on white, so a dashed line never runs through the figure.
            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            zorder=4,
        )


def plot_peer_ranking(
    table: pd.DataFrame,
    *,
    area: str,
    by: str = "area_name",
    ax: Axes | None = None,
    title: str | None = None,
    average: str = "peer_pct_change",
    average_label: str | None = None,
) -> Axes:
    """Horizontal bars of each peer's percentage change, the chosen area highlighted, the average marked.

    Parameters
    ----------
    table
        Output of :func:`crimestats.compare_years` with ``within``.
    area
        The area to highlight.
    by
        The table's area column.
    ax
        Axes to draw on; a new A4-width figure when None.
    title
        Chart title; default from the table's periods.
    average
        Column holding the reference line: ``peer_pct_change`` (the group's total) or
        ``peer_mean_pct_change`` (the mean of areas).
    average_label
        Legend text for the reference line.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    SelectionError
        When the table has no rows.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> fy = cs.compare_years(counts, base="2016/17", current="2017/18", within="West Midlands")
    >>> ax = cs.plotting.plot_peer_ranking(fy, area="Wolverhampton")
    >>> [t.get_text() for t in ax.get_yticklabels()][-1]
    'Birmingham'
    """
    if table.empty:
        raise SelectionError("no areas to rank: the table has no rows")
    ax = _axes(ax, height=0.6 + 0.32 * len(table))
    ordered = table.sort_values(["pct_change", by], ascending=[False, True])
    names = ordered[by].astype(str).tolist()
    values = ordered["pct_change"].to_numpy(dtype=float)
    colours = [HIGHLIGHT if name == area else OTHER for name in names]
    bars = ax.barh([_wrap(n) for n in names], values, color=colours, edgecolor="#333333", linewidth=0.5, zorder=2)
    for bar, name in zip(bars, names, strict=True):
        if name == area:
            bar.set_hatch("///")
            bar.set_label(area)
    _label_bars(ax, bars, values, "{:+.1f}%")
    if average in table and len(table):
        reference = float(table[average].iloc[0])
        label = average_label or ("Peer group overall" if average == "peer_pct_change" else "Average of areas")
        ax.axvline(
            reference, color=REFERENCE, linestyle="--", linewidth=1, label=f"{label} ({reference:+.1f}%)", zorder=1
        )
    ax.axvline(0, color="#333333", linewidth=0.8)
    low, high = min(0.0, np.nanmin(values)), max(0.0, np.nanmax(values))
    pad = 0.18 * (high - low or 1)
    ax.set_xlim(low - (pad if low < 0 else 0), high + pad)
    default = f"Change in offences, {table.attrs.get('base', 'base')} to {table.attrs.get('current', 'current')}"
    _style(ax, title=title or default, xlabel="Change on previous year (%)")
    # Below the axis, so it can never cover a bar or its label.
    ax.legend(
        fontsize=_FONT["tick"],
        loc="upper left",
        bbox_to_anchor=(0, -0.16 - 0.6 / max(len(table), 1)),
        ncol=2,
        frameon=False,
    )
    return ax


def plot_contributions(
    parts: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    top: int | None = 12,
) -> Axes:
    """Diverging bars: how many offences each part added to (or took from) the change.

    Parameters
    ----------
    parts
        Output of :func:`crimestats.contributions`.
    ax
        Axes to draw on; a new A4-width figure when None.
    title
        Chart title.
    top
        At most this many bars: the largest increases and the largest falls (at least three of
        each where there are), the rest summed as "Other increases" and "Other decreases", so a
        fall is never hidden inside a net rise.

    Returns
    -------
    matplotlib.axes.Axes
    """
    level = parts.columns[0]
    table = shown_contributions(parts[[level, "change"]], top=top)
    ax = _axes(ax, height=0.6 + 0.3 * len(table))
    labels = [_wrap(str(v)[:1].upper() + str(v)[1:], 34) for v in table[level]]
    values = table["change"].to_numpy(dtype=float)
    colours = [INCREASE if v > 0 else DECREASE for v in values]
    bars = ax.barh(labels, values, color=colours, edgecolor="#333333", linewidth=0.5)
    for bar, value in zip(bars, values, strict=True):
        if value < 0:
            bar.set_hatch("..")
    _label_bars(ax, bars, values, "{:+,.0f}")
    ax.axvline(0, color="#333333", linewidth=0.8)
    span = max(abs(values).max(initial=0), 1)
    ax.set_xlim(min(0, values.min(initial=0)) - 0.25 * span, max(0, values.max(initial=0)) + 0.25 * span)
    net = parts.attrs.get("net_change", int(parts["change"].sum()))
    default = f"Contributions to the change of {net:+,} offences"
    _style(ax, title=title or default, xlabel="Change in offences")
    return ax


def shown_contributions(parts: pd.DataFrame, *, top: int | None = 12) -> pd.DataFrame:
    """The bars of :func:`plot_contributions`: the largest rises and falls, the rest summed by sign.

    Examples
    --------
    >>> parts = pd.DataFrame({"line": list("abcdefg"), "change": [50, 40, 30, -5, -2, -1, 0]})
    >>> shown_contributions(parts, top=5)["line"].tolist()
    ['d', 'Other decreases (2)', 'c', 'b', 'a']
    """
    level = parts.columns[0]
    table = parts[[level, "change"]].copy()
    if top is None or len(table) <= top:
        return table.sort_values("change")
    rises = table[table["change"] > 0].sort_values("change", ascending=False)
    falls = table[table["change"] < 0].sort_values("change")
    slots = top - 2  # room for the two "other" bars
    # At least three falls (never more than half the bars), the rest of the room to the rises.
    shown_falls = min(len(falls), max(min(3, len(falls), slots // 2), slots - len(rises)))
    shown_rises = min(len(rises), slots - shown_falls)
    shown_falls = min(len(falls), slots - shown_rises)
    kept = [rises.iloc[:shown_rises], falls.iloc[:shown_falls]]
    for rest, name in ((rises.iloc[shown_rises:], "Other increases"), (falls.iloc[shown_falls:], "Other decreases")):
        if len(rest) == 1:  # one part needs no "other" bar: show it by name
            kept.append(rest)
        elif len(rest):
            kept.append(pd.DataFrame({level: [f"{name} ({len(rest)})"], "change": [int(rest["change"].sum())]}))
    return pd.concat(kept, ignore_index=True).sort_values("change")


def plot_monthly_trend(
    trend: pd.DataFrame,
    *,
    area: str,
    by: str = "area_name",
    ax: Axes | None = None,
    title: str | None = None,
    peer_label: str = "Peer group",
    values: Literal["index", "count"] = "index",
) -> Axes:
    """Rolling 12-month totals for an area: in offences, or indexed to 100 against its peers.

    With ``values="count"`` the area's rolling 12-month total is drawn in offences, its first and
    last values written on the line. With ``values="index"`` (indexed to 100 at the first full
    12 months) areas of very different size share one scale, so the chart shows whether the
    area's trend runs above or below its peers': each peer is a thin grey line; the peer
    group's total is dashed.

    Parameters
    ----------
    trend
        Output of :func:`crimestats.monthly_trend` for the area and its peers (at least 12 months).
    area
        The area drawn in colour.
    by
        The trend's area column.
    ax
        Axes to draw on; a new A4-width figure when None.
    title
        Chart title.
    peer_label
        Legend text for the peer group's total.
    values
        "count" (offences, the area only) or "index" (area and peers, 100 = the first 12 months).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    PeriodError
        When the trend is shorter than 12 months.
    SelectionError
        When the trend has no rows for ``area``.
    """
    ax = _axes(ax)
    rolling = trend.dropna(subset=["rolling_12m"]).pivot(index="period_start", columns=by, values="rolling_12m")
    if rolling.empty:
        raise PeriodError("the trend needs at least 12 months for a rolling 12-month total")
    if area not in rolling.columns:
        raise SelectionError(f"the trend has no rows for {area!r}; it has {', '.join(map(str, rolling.columns))}")
    rolling = rolling.astype(float)
    if values == "count":
        return _plot_rolling_counts(ax, rolling[area], area=area, title=title)
    index = 100 * rolling / rolling.iloc[0]
    for name in index.columns.drop(area):
        ax.plot(index.index, index[name], color=OTHER, linewidth=0.9, label="_nolegend_")
    if len(index.columns) > 1:
        ax.plot([], [], color=OTHER, linewidth=0.9, label="Each peer area")
        group = rolling.sum(axis=1)
        ax.plot(
            index.index, 100 * group / group.iloc[0], color=REFERENCE, linestyle="--", linewidth=1.4, label=peer_label
        )
    ax.plot(index.index, index[area], color=HIGHLIGHT, linewidth=2.4, marker="o", markersize=3, label=area)
    ax.axhline(100, color="#333333", linewidth=0.6)
    first = index.index[0]
    _style(
        ax,
        title=title or f"Rolling 12-month total, {area} and peers",
        ylabel=f"Index (12 months to {first:%b %Y} = 100)",
    )
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    ax.legend(fontsize=_FONT["tick"], frameon=False, loc="upper left")
    return ax


def _plot_rolling_counts(ax: Axes, rolling: pd.Series, *, area: str, title: str | None) -> Axes:
    ax.plot(rolling.index, rolling, color=HIGHLIGHT, linewidth=2.4, marker="o", markersize=3, label=area)
    # The first value below its point, the last above, so neither sits on the line.
    ends = ((rolling.index[0], rolling.iloc[0], "left", -12), (rolling.index[-1], rolling.iloc[-1], "right", 6))
    for when, value, align, offset in ends:
        ax.annotate(
            f"{value:,.0f}",
            (when, value),
            xytext=(0, offset),
            textcoords="offset points",
            ha=align,
            fontsize=_FONT["tick"],
        )
    low, high = float(rolling.min()), float(rolling.max())
    ax.set_ylim(max(0.0, low - 0.25 * (high - low or high)), high + 0.2 * (high - low or high))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    _style(ax, title=title or f"Rolling 12-month total, {area}", ylabel="Offences, 12 months to each month")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    return ax


def plot_category_changes(
    table: pd.DataFrame,
    *,
    fig: Figure | None = None,
    columns: int = 4,
    title: str | None = None,
) -> np.ndarray:
    """Small multiples: one panel per category with the two years' counts and the % change.

    Parameters
    ----------
    table
        :func:`crimestats.compare_years` output grouped by a category column
        (``by="category"``), for one area.
    fig
        Figure to draw in; a new A4-width figure when None.
    columns
        Panels per row.
    title
        Figure title.

    Returns
    -------
    numpy.ndarray
        The panels' Axes, in the order of ``table`` (largest current count first).

    Raises
    ------
    SelectionError
        When the table has no rows.
    """
    if table.empty:
        raise SelectionError("no categories to draw: the table has no rows")
    key = table.columns[0]
    ordered = table.sort_values("current", ascending=False).reset_index(drop=True)
    rows = int(np.ceil(len(ordered) / columns))
    if fig is None:
        fig = plt.figure(figsize=(A4_TEXT_WIDTH_IN, 1.55 * rows + 0.5), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    base_label, current_label = table.attrs.get("base", "base"), table.attrs.get("current", "current")
    for ax, row in zip(axes, ordered.itertuples(index=False), strict=False):
        values = [row.base, row.current]
        bars = ax.bar(
            [base_label, current_label], values, color=[BASE_COLOUR, HIGHLIGHT], edgecolor="#333333", linewidth=0.5
        )
        bars[1].set_hatch("///")
        change = "n/a" if pd.isna(row.pct_change) else f"{row.pct_change:+.1f}%"
        ax.set_title(_wrap(str(getattr(row, key)), 18) + f"\n{change}", fontsize=_FONT["tick"])
        ax.set_ylim(0, max(values) * 1.15 or 1)
        ax.tick_params(labelsize=_FONT["tick"] - 1)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for ax in axes[len(ordered) :]:
        ax.set_visible(False)
    fig.suptitle(
        title or f"Offences by category, {base_label} and {current_label}", fontsize=_FONT["title"], x=0.01, ha="left"
    )
    return axes[: len(ordered)]


def add_source_note(fig: Figure, text: str) -> None:
    """Write a source line at the bottom left of a figure (space kept for it by constrained layout)."""
    fig.supxlabel(text, fontsize=7, color="#444444", x=0.01, ha="left")


# Charts of peer control limits and monthly process control live in their own module.
from .control_charts import plot_control_chart, plot_funnel, plot_same_month_last_year  # noqa: E402

__all__ = [
    "add_source_note",
    "plot_category_changes",
    "plot_contributions",
    "plot_control_chart",
    "plot_funnel",
    "plot_monthly_trend",
    "plot_peer_ranking",
    "plot_same_month_last_year",
    "shown_contributions",
    "wrap_title",
]
