import pandas as pd
import pytest

import crimestats as cs
from crimestats.snapshot import compute_findings, findings
from crimestats.snapshot.findings import COLUMNS, previous_year, resolve_peers, resolve_selections, table_key


def test_findings_table_holds_the_headline_numbers(csp_findings):
    table = csp_findings.table
    assert list(table.columns) == COLUMNS
    change = table.set_index("finding").loc["change"]
    assert (change["base"], change["current"], change["change"], change["rank"], change["n_areas"]) == (
        18684,
        21225,
        2541,
        2,
        7,
    )
    assert change["pct_change"] == pytest.approx(13.5999, abs=1e-4)
    assert (change["area"], change["base_period"], change["current_period"]) == ("Wolverhampton", "2016/17", "2017/18")


def test_each_finding_points_at_one_sentence_in_order(csp_findings):
    table = csp_findings.table
    standing = ["severity", "severity base", "peer severity", "peer position", "peer group rate"]
    limits = ["lower limit 95%", "upper limit 95%", "lower limit 99.8%", "upper limit 99.8%"]
    numbered = table[table["sentence"].notna()]  # coverage rows feed the notes, not a sentence
    assert numbered["finding"].tolist() == (
        ["change"] + ["contribution"] * 4 + ["rate", "peer rate"] + ["hidden crime"] * 2 + standing + limits
    )
    assert numbered["sentence"].tolist() == [1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6, 6, 6, 6, 6]
    contributions = table[table["finding"] == "contribution"]
    assert contributions["selection"].iloc[0] == "vehicle offences"
    assert contributions["change"].tolist() == sorted(contributions["change"], reverse=True)
    rate = table.set_index("finding").loc["rate"]
    assert (rate["current"], rate["population"], rate["population_year"]) == (21225, 260648, 2017)
    assert rate["rate"] == pytest.approx(1000 * 21225 / 260648)


def test_tables_behind_the_findings(csp_findings):
    # Quarterly counts: no monthly trend.
    assert list(csp_findings.tables) == [
        "peers_total_recorded_crime",
        "contributions",
        "severity",
        "peer_limits",
        "categories",
    ]
    peers = csp_findings.peer_table("total recorded crime")
    assert sorted(peers["area_name"]) == csp_findings.peer_areas == cs.peer_areas("West Midlands")
    assert peers.attrs["within"] == "West Midlands"
    with pytest.raises(cs.UnknownSelectionError, match="about 'total recorded crime', not 'burglary'"):
        csp_findings.peer_table("burglary")
    assert csp_findings.tables["contributions"].attrs["net_change"] == 2541
    categories = csp_findings.tables["categories"]
    assert ((categories["base"] > 0) | (categories["current"] > 0)).all()
    assert (csp_findings.base.label, csp_findings.current.label) == ("2016/17", "2017/18")
    assert csp_findings.sources == ("home-office",)


def test_counts_are_left_unchanged(scenario_csp):
    before = scenario_csp.copy()
    compute_findings(scenario_csp, area="Dudley", year="2017/18", peers="West Midlands")
    pd.testing.assert_frame_equal(scenario_csp, before)


def test_the_peer_group_is_resolved_once(scenario_csp, monkeypatch):
    asked = []
    real = cs.areas.peer_areas

    def recording(peers, **kwargs):
        asked.append(peers)
        return real(peers, **kwargs)

    monkeypatch.setattr(findings, "peer_areas", recording)
    monkeypatch.setattr(cs.metrics, "peer_areas", recording)
    compute_findings(
        scenario_csp,
        area="Wolverhampton",
        year="2017/18",
        peers="West Midlands",
        selections=("total recorded crime", "vehicle offences", "burglary"),
    )
    # One resolution of the name; the metrics only receive (and check) the resolved list.
    assert [p for p in asked if isinstance(p, str)] == ["West Midlands"]
    assert all(p == cs.peer_areas("West Midlands") for p in asked if not isinstance(p, str))


def test_one_string_is_one_selection(scenario_csp):
    found = compute_findings(
        scenario_csp, area="Wolverhampton", year="2017/18", peers="West Midlands", selections="Vehicle offences"
    )
    assert found.selections == ("vehicle offences",)
    assert found.table.loc[found.table["finding"] == "change", "selection"].tolist() == ["vehicle offences"]
    assert "peers_vehicle_offences" in found.tables


def test_selections_resolve_to_canonical_names():
    assert resolve_selections("knife") == ("knife or sharp instrument offences",)
    assert resolve_selections(("TRC", "burglary")) == ("total recorded crime", "burglary")
    with pytest.raises(cs.UnknownSelectionError, match="knif"):
        resolve_selections("knif")
    with pytest.raises(cs.SelectionError, match="at least one"):
        resolve_selections(())


def test_peer_groups_resolve_to_canonical_names():
    names = cs.peer_areas("West Midlands")
    assert resolve_peers(" west midlands ") == ("West Midlands", names)
    assert resolve_peers("West Midlands Police") == ("West Midlands", names)
    assert resolve_peers("region:west midlands")[0] == "region:West Midlands"
    assert resolve_peers(("city of wolverhampton", "DUDLEY")) == (
        ["Wolverhampton", "Dudley"],
        ["Wolverhampton", "Dudley"],
    )


@pytest.mark.parametrize(
    ("year", "previous"), [("2017/18", "2016/17"), ("2017", "2016"), ("12m:2018-06", "12 months to June 2017")]
)
def test_previous_year(year, previous):
    assert previous_year(cs.periods.to_window(year)).label == previous


def test_table_key():
    assert table_key("Knife or sharp instrument offences") == "knife_or_sharp_instrument_offences"
