"""The snapshot states what it covers: sources and periods, areas left out, crimes not attributed."""

import shutil

import pandas as pd
import pytest

import crimestats as cs
from crimestats.counts import attach
from crimestats.coverage import coverage_table
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def city():
    return cs.read_police_uk(shared_path("real", "police-uk", "city-of-london-2017-2018"))


@pytest.mark.shared
def test_city_of_london_2018_says_how_many_of_the_forces_crimes_it_counts(city, tmp_path):
    snap = cs.performance_snapshot(city, area="City of London", year="2018", peers=["City of London"])
    findings = snap.findings.set_index("finding")
    assert findings.loc["force total", "current"] == 7103
    assert findings.loc["counted in area", "current"] == 6142
    not_attributed = snap.findings[snap.findings["finding"] == "not attributed"].set_index("note")["current"]
    assert not_attributed["no location recorded"] == 602
    assert not_attributed.sum() == 602 + 359
    note = next(n for n in snap.notes if "7,103" in n)
    assert (
        "City of London counts 6,142" in note and "602 no location recorded" in note and "359 located outside" in note
    )
    assert snap.notes[0] == "Sources: data.police.uk: January 2017 to December 2018."
    snap.save(tmp_path, formats=("png",))
    assert "7,103" in (tmp_path / "snapshot.md").read_text() and "7,103" in (tmp_path / "snapshot.html").read_text()
    assert "not attributed" in (tmp_path / "findings.csv").read_text()


@pytest.mark.shared
def test_city_of_london_robbery_snapshot_succeeds_with_zero_months(city):
    snap = cs.performance_snapshot(
        city, area="City of London", year="2018", peers=["City of London"], selections="robbery"
    )
    change = snap.findings.set_index("finding").loc["change"]
    assert change["base"] == 44 and change["current"] == 92


@pytest.mark.shared
def test_an_uncovered_peer_is_named_in_the_notes(tmp_path):
    folder = tmp_path / "region"
    shutil.copytree(shared_path("real", "police-uk", "west-midlands-region-2018-10-2019-02"), folder)
    (folder / "2018-11" / "2018-11-warwickshire-street.csv").unlink()
    counts = cs.read_police_uk(folder, forces=["Warwickshire", "Staffordshire"])
    peers = ["North Warwickshire", "Rugby", "Stafford", "Cannock Chase"]
    with pytest.raises(cs.CoverageError, match="Rugby: no data for 2018-11"):
        cs.performance_snapshot(
            counts, area="Rugby", year=("2019-01", "2019-02"), base=("2018-10", "2018-11"), peers=peers
        )
    snap = cs.performance_snapshot(
        counts, area="Stafford", year=("2019-01", "2019-02"), base=("2018-10", "2018-11"), peers=peers
    )
    left_out = next(n for n in snap.notes if n.startswith("Left out of the comparison with its peer areas: "))
    assert "North Warwickshire: no data for 2018-11" in left_out and "Rugby: no data for 2018-11" in left_out
    assert set(snap.findings.loc[snap.findings["finding"] == "change", "n_areas"]) == {2}


def test_the_scenario_snapshot_names_its_source_and_attributes_every_crime(scenario_csp):
    snap = cs.performance_snapshot(scenario_csp, area="Wolverhampton", year="2017/18", peers="West Midlands")
    assert snap.notes[0] == "Sources: Home Office police recorded crime: April 2016 to March 2018."
    assert not (snap.findings["finding"] == "not attributed").any()


@pytest.mark.shared
def test_a_frame_without_coverage_takes_each_forces_coverage_from_all_its_rows():
    # Rugby has no rows in 2019-02 but Warwickshire's other areas do: the force was covered and
    # Rugby's month counts zero, whether or not the frame carries a coverage table.
    counts = cs.read_police_uk(
        shared_path("real", "police-uk", "west-midlands-region-2018-10-2019-02"),
        forces=["Warwickshire", "Staffordshire"],
    )
    plain = pd.DataFrame({column: counts[column] for column in counts.columns})
    plain = plain[~((plain["area_name"] == "Rugby") & (plain["period_start"] == "2019-02-01"))].reset_index(drop=True)
    plain.attrs = {}
    asked = {
        "area": "Stafford",
        "year": ("2019-01", "2019-02"),
        "base": ("2018-10", "2018-11"),
        "peers": ["Stafford", "Rugby", "Cannock Chase"],
    }
    inferred = cs.performance_snapshot(plain, **asked).findings
    attached = cs.performance_snapshot(attach(plain, coverage=coverage_table(plain), quality=[]), **asked).findings
    pd.testing.assert_frame_equal(inferred, attached)
    assert set(inferred.loc[inferred["finding"] == "change", "n_areas"]) == {3}
