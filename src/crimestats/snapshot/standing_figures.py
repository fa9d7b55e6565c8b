"""Charts of the standing findings: the funnel plot, the control chart, the same month last year."""

from __future__ import annotations

from matplotlib.figure import Figure

from .. import plotting
from ..control import same_month_last_year
from ..text import capitalise
from .labels import peers_phrase, selection_label
from .standing import series_key


def standing_figures(findings, *, note: str) -> dict[str, Figure]:
    """Charts of the standing findings, by name.

    ``funnel`` (peer control limits, when the group has 2 or more areas), ``control_chart`` and
    ``same_month_last_year`` (the first series with an exceptional month, else the headline's).
    """
    figures: dict[str, Figure] = {}
    limits = findings.tables.get("peer_limits")
    if limits is not None and len(limits) > 1:
        fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 3.8), layout="constrained")
        label = selection_label(str(limits.attrs.get("selection", "")))
        plotting.plot_funnel(
            limits,
            area=findings.area,
            ax=fig.add_subplot(),
            title=f"{capitalise(label)} per 1,000 residents, {findings.current.label}: "
            f"{findings.area} against {peers_phrase(findings.peers)}",
            peer_label=f"{capitalise(peers_phrase(findings.peers)) if isinstance(findings.peers, str) else 'Peers'}",
        )
        plotting.add_source_note(fig, note)
        figures["funnel"] = fig
    from .findings import selection_name

    table = findings.table
    flagged = table.loc[table["finding"] == "exceptional month", "selection"]
    name = str(flagged.iloc[0]) if len(flagged) else selection_name(findings.headline)
    chart = findings.tables.get(f"control_{series_key(name)}")
    if chart is None:
        return figures
    label = capitalise(selection_label(name))
    fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 3.4), layout="constrained")
    plotting.plot_control_chart(
        chart,
        ax=fig.add_subplot(),
        title=f"{label} in {findings.area}: monthly count against the expected range "
        f"(baseline {chart.attrs['baseline']})",
    )
    plotting.add_source_note(fig, note)
    figures["control_chart"] = fig
    seasonal = same_month_last_year(chart.set_index("period_start")["count"])
    if seasonal.empty:
        return figures
    fig = Figure(figsize=(plotting.A4_TEXT_WIDTH_IN, 3.2), layout="constrained")
    plotting.plot_same_month_last_year(
        seasonal,
        ax=fig.add_subplot(),
        title=f"{label} in {findings.area}: each month against the same month a year before",
    )
    plotting.add_source_note(fig, note)
    figures["same_month_last_year"] = fig
    return figures
