"""Area, peer and selection names are resolved on entry to the snapshot."""

import pandas as pd
import pytest

import crimestats as cs
from crimestats.cli import EXIT_BAD_INPUT, main
from crimestats.snapshot import compute_findings, write_sentences


@pytest.fixture(scope="module")
def reference(scenario_csp):
    return cs.performance_snapshot(scenario_csp, area="Wolverhampton", year="2017/18", peers="West Midlands")


@pytest.mark.parametrize("spelling", ["City of Wolverhampton", "wolverhampton", "  WOLVERHAMPTON\t"])
def test_area_spellings_give_the_same_snapshot(scenario_csp, reference, spelling):
    snap = cs.performance_snapshot(scenario_csp, area=spelling, year="2017/18", peers="West Midlands")
    assert (snap.area, snap.title, snap.peers) == (reference.area, reference.title, reference.peers)
    assert snap.bullets == reference.bullets
    pd.testing.assert_frame_equal(snap.findings, reference.findings)
    assert list(snap.figures) == list(reference.figures)


@pytest.mark.parametrize("spelling", ["west midlands", "West Midlands Police", " WEST MIDLANDS "])
def test_peer_spellings_give_the_same_findings(scenario_csp, csp_findings, spelling):
    found = compute_findings(scenario_csp, area="Wolverhampton", year="2017/18", peers=spelling)
    assert found.peers == "West Midlands"
    pd.testing.assert_frame_equal(found.table, csp_findings.table)
    assert write_sentences(found) == write_sentences(csp_findings)


def test_a_misspelt_area_suggests_the_likely_one(scenario_csp):
    with pytest.raises(cs.UnknownAreaError, match="did you mean 'Wolverhampton'") as error:
        cs.performance_snapshot(scenario_csp, area="Wolverhamton", year="2017/18", peers="West Midlands")
    assert isinstance(error.value, cs.CrimestatsError)


def test_misspelt_peers_suggest_the_likely_group(scenario_csp):
    with pytest.raises(cs.UnknownAreaError, match="did you mean 'West Midlands'"):
        compute_findings(scenario_csp, area="Wolverhampton", year="2017/18", peers="West Midland")
    with pytest.raises(cs.UnknownAreaError, match="did you mean 'Walsall'"):
        compute_findings(scenario_csp, area="Wolverhampton", year="2017/18", peers=["Wolverhampton", "Walsal"])


def test_an_area_outside_its_peers_is_named(scenario_csp):
    with pytest.raises(cs.UnknownAreaError, match="'Coventry' is not one of the peer areas"):
        compute_findings(scenario_csp, area="coventry", year="2017/18", peers=["Dudley", "Walsall"])


def test_cli_prints_the_suggestion_in_one_line(tmp_path, capsys):
    argv = ["snapshot", str(cs.datasets.path("scenario-csp")), "--area", "Wolverhamton", "--year", "2017/18"]
    assert main([*argv, "--peers", "West Midlands", "--out", str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.endswith("did you mean 'Wolverhampton'?")
