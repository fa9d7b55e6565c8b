"""The snapshot's charts, drawn from its findings alone (no counts, no metrics).

Each chart is a matplotlib ``Figure`` made without pyplot (nothing global, nothing shown), A4 text
width, with the source line at the bottom.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from .. import plotting
from ..text import capitalise
from .findings import Findings, SelectionLike, selection_name, table_key
from .labels import peers_phrase, period_title, selection_label
from .standing_figures import standing_figures


def draw_figures(findings: Findings, *, note: str) -> dict[str, Figure]:
    """Every chart the findings support, by name.

    ``peer_ranking_<selection>`` per selection (when the group has 2 or more areas),
    ``contributions`` (when the headline changed), ``monthly_trend`` (when the counts are monthly),
    ``categories``, and the standing charts (``funnel``, ``control_chart``, ``same_month_last_year``:
    :mod:`crimestats.snapshot.standing_figures`).

    Parameters
    ----------
    findings
        Output of :func:`crimestats.snapshot.compute_findings`.
    note
        Source line written under each chart (:func:`crimestats.snapshot.source_note`).

    Returns
    -------
    dict[str, matplotlib.figure.Figure]

    Examples
    --------
    >>> import crimestats as cs
    >>> from crimestats.snapshot import compute_findings
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> found = compute_findings(counts, area="Wolverhampton", year="2017/18", peers="West Midlands")
    >>> list(draw_figures(found, note="Source: scenario data."))
    ['peer_ranking_total_recorded_crime', 'contributions', 'categories', 'funnel']
    """
    # A ranking of one area ranks nothing: a single-area peer group gets no ranking chart.
    figures = {
        f"peer_ranking_{table_key(s)}": peer_ranking_figure(findings, s, note=note)
        for s in findings.selections
        if len(findings.peer_table(s)) > 1
    }
    if "contributions" in findings.tables:
        figures["contributions"] = contributions_figure(findings, note=note)
    if "monthly_trend" in findings.tables:
        figures["monthly_trend"] = monthly_trend_figure(findings, note=note)
    figures["categories"] = categories_figure(findings, note=note)
    figures.update(standing_figures(findings, note=note))
    return figures


def _window_labels(findings: Findings) -> str:
    return period_title(findings.base, findings.current)


def peer_ranking_figure(findings: Findings, selection: SelectionLike, *, note: str) -> Figure:
    """Each peer's percentage change in ``selection``, the area highlighted."""
    table = findings.peer_table(selection)
    fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 0.9 + 0.34 * len(table)), layout="constrained")
    plotting.plot_peer_ranking(
        table,
        area=findings.area,
        by="force" if "force" in table.columns else "area_name",
        ax=fig.add_subplot(),
        title=f"{capitalise(selection_label(selection_name(selection)))}: change {_window_labels(findings)}",
        average_label=f"{capitalise(peers_phrase(findings.peers))} overall",
    )
    plotting.add_source_note(fig, note)
    return fig


def contributions_figure(findings: Findings, *, note: str) -> Figure:
    """What each part of the headline selection added to or took from the area's change."""
    parts: pd.DataFrame = findings.tables["contributions"]
    fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 0.9 + 0.3 * min(len(parts), 12)), layout="constrained")
    plotting.plot_contributions(
        parts, ax=fig.add_subplot(), title=f"What changed in {findings.area}: {_window_labels(findings)}"
    )
    plotting.add_source_note(fig, note)
    return fig


def monthly_trend_figure(findings: Findings, *, note: str) -> Figure:
    """The area's rolling 12-month total of the headline selection, in offences."""
    fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 3.2), layout="constrained")
    plotting.plot_monthly_trend(
        findings.tables["monthly_trend"],
        area=findings.area,
        ax=fig.add_subplot(),
        values="count",
        title=f"{capitalise(selection_label(selection_name(findings.headline)))} in {findings.area}: "
        "rolling 12-month total",
    )
    plotting.add_source_note(fig, note)
    return fig


def categories_figure(findings: Findings, *, note: str) -> Figure:
    """Small multiples of the area's two years per harmonised category."""
    by_category = findings.tables["categories"]
    fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 1.6 * -(-len(by_category) // 4) + 0.7), layout="constrained")
    plotting.plot_category_changes(by_category, fig=fig, title=f"{findings.area}: offences by category")
    plotting.add_source_note(fig, note)
    return fig
