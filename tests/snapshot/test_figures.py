import dataclasses

from matplotlib.colors import to_hex

from crimestats import plotting
from crimestats.snapshot import draw_figures, source_note
from crimestats.snapshot.figures import peer_ranking_figure


def _bars(fig):
    ax = fig.axes[0]
    return [t.get_text() for t in ax.get_yticklabels()], ax.patches


def test_one_figure_per_chart_the_findings_support(csp_findings):
    figures = draw_figures(csp_findings, note="Source: test.")
    assert list(figures) == ["peer_ranking_total_recorded_crime", "contributions", "categories", "funnel"]
    for figure in figures.values():
        assert figure.get_supxlabel() == "Source: test."
    ranking = figures["peer_ranking_total_recorded_crime"].axes[0]
    assert ranking.get_title(loc="left") == "Total recorded crime: change 2016/17 to 2017/18"
    assert "The West Midlands overall (+13.1%)" in [t.get_text() for t in ranking.get_legend().get_texts()]
    assert figures["contributions"].axes[0].get_title(loc="left") == "What changed in Wolverhampton: 2016/17 to 2017/18"
    assert figures["categories"].get_suptitle() == "Wolverhampton: offences by category"


def test_figures_draw_the_findings_tables(csp_findings):
    peers = csp_findings.peer_table("total recorded crime")
    fewer = peers[peers["area_name"] != "Birmingham"]
    tables = {**csp_findings.tables, "peers_total_recorded_crime": fewer}
    tables.pop("contributions")
    found = dataclasses.replace(csp_findings, tables=tables)
    figures = draw_figures(found, note="n")
    assert "contributions" not in figures
    labels, patches = _bars(figures["peer_ranking_total_recorded_crime"])
    assert "Birmingham" not in labels and len(patches) == 6
    highlighted = [label for label, p in zip(labels, patches, strict=True) if to_hex(p.get_facecolor()) == "#0072b2"]
    assert highlighted == ["Wolverhampton"]


def test_a_list_of_peers_is_called_its_peer_areas(csp_findings):
    found = dataclasses.replace(csp_findings, peers=list(csp_findings.peer_areas))
    ax = peer_ranking_figure(found, "total recorded crime", note="n").axes[0]
    assert any(t.get_text().startswith("Its peer areas overall") for t in ax.get_legend().get_texts())
    assert ax.patches[0].get_height() > 0 and plotting.A4_TEXT_WIDTH_IN == ax.figure.get_figwidth()


def test_source_note_names_each_source_once_in_order():
    assert source_note(["police.uk", "extract", "police.uk"]) == (
        "Source: force recorded crime extract and data.police.uk. Open Government Licence v3.0. "
        "Produced with crimestats."
    )
    assert source_note(["welsh-government"]).startswith("Source: welsh-government.")


def test_a_long_title_breaks_after_the_colon_not_inside_the_period(csp_findings):
    found = dataclasses.replace(csp_findings, selections=("knife or sharp instrument offences",))
    peers = csp_findings.peer_table("total recorded crime")
    found = dataclasses.replace(
        found, tables={**csp_findings.tables, "peers_knife_or_sharp_instrument_offences": peers}
    )
    title = peer_ranking_figure(found, "knife or sharp instrument offences", note="n").axes[0].get_title(loc="left")
    assert title == "Offences involving a knife or sharp instrument:\nchange 2016/17 to 2017/18"


def test_bar_labels_sit_above_the_reference_line_on_white(csp_findings):
    ax = peer_ranking_figure(csp_findings, "total recorded crime", note="n").axes[0]
    reference = next(line for line in ax.get_lines() if line.get_linestyle() == "--")
    labels = [t for t in ax.texts if t.get_text().endswith("%")]
    assert labels and all(t.get_zorder() > reference.get_zorder() for t in labels)
    assert all(t.get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0) for t in labels)


def test_contributions_chart_shows_the_falls(csp_findings):
    figure = draw_figures(csp_findings, note="n")["contributions"]
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    parts = csp_findings.tables["contributions"]
    falls = parts[parts["change"] < 0]
    assert len(falls) >= 3
    shown_falls = [p for p in figure.axes[0].patches if p.get_width() < 0]
    assert len(shown_falls) >= 3  # never all hidden inside a net "All other"
    assert not any(label.startswith("All other") for label in labels)
    assert sum(p.get_width() for p in figure.axes[0].patches) == parts["change"].sum()


def test_single_area_peer_group_has_no_ranking_chart_and_no_layout_warning(scenario_csp, recwarn):
    import io

    import crimestats as cs

    snap = cs.performance_snapshot(scenario_csp, area="Wolverhampton", year="2017/18", peers=["Wolverhampton"])
    assert not any(name.startswith("peer_ranking") for name in snap.figures)
    for figure in snap.figures.values():
        figure.savefig(io.BytesIO(), format="png", dpi=40)
    assert not [w for w in recwarn if "constrained_layout" in str(w.message)]
    assert "across its peer areas" not in snap.bullets[0] and "against" not in snap.bullets[-1]
