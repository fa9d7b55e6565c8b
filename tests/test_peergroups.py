"""Any peer group: lists, named groups from the user's file, force-level groups, similar areas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crimestats as cs
from crimestats.cli import EXIT_BAD_INPUT, EXIT_OK, main
from crimestats.peergroups import read_peer_groups, resolve_peer_group, similar_areas

BLACK_COUNTRY = ["Wolverhampton", "Walsall", "Sandwell", "Dudley"]
WM_REGION_FORCES = ["Staffordshire", "Warwickshire", "West Mercia", "West Midlands"]


@pytest.fixture
def groups_toml(tmp_path):
    path = tmp_path / "groups.toml"
    path.write_text(
        '[groups]\n"my MSG" = ["City of Wolverhampton", "Walsall", "Sandwell", "Dudley"]\n'
        '"just us" = ["Wolverhampton"]\n',
        encoding="utf-8",
    )
    return path


def test_read_groups_from_toml_and_csv(groups_toml, tmp_path):
    assert read_peer_groups(groups_toml)["my MSG"] == ["City of Wolverhampton", "Walsall", "Sandwell", "Dudley"]
    top_level = tmp_path / "top.toml"
    top_level.write_text('"Black Country" = ["Dudley", "Sandwell"]\n', encoding="utf-8")
    assert read_peer_groups(top_level) == {"Black Country": ["Dudley", "Sandwell"]}
    csv = tmp_path / "groups.csv"
    csv.write_text("group,area\nmy MSG,Wolverhampton\nmy MSG,Walsall\nother,Dudley\n", encoding="utf-8")
    assert read_peer_groups(csv) == {"my MSG": ["Wolverhampton", "Walsall"], "other": ["Dudley"]}


def test_bad_groups_files_name_the_file_and_the_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('"my MSG" = "Wolverhampton"\n', encoding="utf-8")
    with pytest.raises(cs.SourceFormatError, match=r"bad\.toml.*'my MSG' must be a list"):
        read_peer_groups(bad)
    csv = tmp_path / "bad.csv"
    csv.write_text("name,member\na,b\n", encoding="utf-8")
    with pytest.raises(cs.SourceFormatError, match="needs columns group,area"):
        read_peer_groups(csv)
    with pytest.raises(cs.SourceFormatError, match=r"\.toml or \.csv"):
        read_peer_groups(tmp_path / "groups.txt")


def test_a_group_by_name_list_or_comma_separated_string(groups_toml):
    assert resolve_peer_group("my MSG", groups=groups_toml) == ("my MSG", BLACK_COUNTRY)
    assert resolve_peer_group("Wolverhampton,Walsall,Sandwell,Dudley") == (BLACK_COUNTRY, BLACK_COUNTRY)
    assert resolve_peer_group(["city of wolverhampton", "WALSALL"])[1] == ["Wolverhampton", "Walsall"]
    assert resolve_peer_group("West Midlands")[0] == "West Midlands"
    with pytest.raises(cs.UnknownAreaError, match="did you mean 'my MSG'"):
        resolve_peer_group("my MSF", groups=groups_toml)


def test_force_level_groups_of_a_region_and_the_nation():
    assert resolve_peer_group("region:West Midlands", level="force") == ("region:West Midlands", WM_REGION_FORCES)
    label, english = resolve_peer_group("England", level="force")
    assert label == "England" and len(english) == 39 and "Dyfed-Powys" not in english
    assert len(resolve_peer_group("England and Wales", level="force")[1]) == 43
    assert resolve_peer_group("West Midlands Police,Staffordshire", level="force")[1] == [
        "West Midlands",
        "Staffordshire",
    ]


def test_force_level_ranking_of_the_west_midlands_region_from_the_real_ons_tables(ons_p1):
    _, forces = resolve_peer_group("region:West Midlands", level="force")
    p2 = cs.read_ons_pfa_change(cs.datasets.path("ons-pfa-2018"))
    current = cs.select(ons_p1[ons_p1["force"].isin(forces)], "total recorded crime").groupby("force")["count"].sum()
    total = p2[(p2["level"] == "force") & (p2["measure"] == "total recorded crime (excluding fraud)")]
    pct_change = total.set_index("force")["pct_change"].reindex(forces)
    table = cs.changes_from_published(current, pct_change)
    assert table.index.tolist() == ["West Mercia", "Staffordshire", "Warwickshire", "West Midlands"]
    assert table["rank"].tolist() == [1, 2, 3, 4] and (table["n_areas"] == 4).all()
    assert table.loc["West Midlands", ["base", "current"]].tolist() == [206_394, 233_393]
    assert round(float(table.loc["West Mercia", "pct_change"]), 1) == 4.2


def test_force_level_snapshot_of_the_region(home_office_pfa):
    snap = cs.performance_snapshot(
        home_office_pfa,
        area="West Midlands Police",
        year=("2017-10", "2018-03"),
        base=("2017-04", "2017-09"),
        peers="region:West Midlands",
        level="force",
    )
    table = snap.findings.set_index("finding")
    assert snap.area == "West Midlands" and int(table.loc["change", "n_areas"]) == 4
    assert "across the West Midlands" in snap.bullets[0]
    position = table.loc["peer position"]
    assert position["population"] == cs.population("West Midlands", 2017)
    assert "funnel" in snap.figures


def test_a_peer_group_of_one_makes_no_ranking_claims(scenario_csp):
    snap = cs.performance_snapshot(scenario_csp, area="Wolverhampton", year="2017/18", peers=["Wolverhampton"])
    text = " ".join(snap.bullets)
    for claim in ("lowest", "highest", "largest", "ranked", "in line with", "across"):
        assert claim not in text
    assert not [name for name in snap.figures if name.startswith("peer_ranking") or name == "funnel"]
    assert snap.findings.loc[snap.findings["finding"] == "severity", "rank"].isna().all()
    assert "peer position" not in set(snap.findings["finding"])


def test_cli_accepts_a_list_and_a_groups_file(tmp_path, groups_toml, capsys):
    source = str(cs.datasets.path("scenario-csp"))
    common = ["snapshot", source, "--area", "Wolverhampton", "--year", "2017/18", "--formats", "png"]
    assert main([*common, "--peers", ",".join(BLACK_COUNTRY), "--out", str(tmp_path / "list")]) == EXIT_OK
    listed = capsys.readouterr().out
    assert "across its peer areas" in listed
    assert main([*common, "--peers-file", str(groups_toml), "--peers", "my MSG", "--out", str(tmp_path / "n")]) == 0
    named = capsys.readouterr().out
    # The same four areas give the same ranking, named after the group.
    assert "my MSG" in named
    findings = pd.read_csv(tmp_path / "n" / "findings.csv")
    assert int(findings.set_index("finding").loc["change", "n_areas"]) == 4
    assert main([*common, "--peers-file", str(groups_toml), "--peers", "nope", "--out", str(tmp_path)]) == (
        EXIT_BAD_INPUT
    )
    assert "unknown peer group 'nope'" in capsys.readouterr().err


def test_similar_forces_from_the_bundled_table():
    table = similar_areas("West Midlands", k=5)
    assert table["force"].iloc[0] == "West Midlands" and table["distance"].iloc[0] == 0
    assert len(table) == 6 and table["distance"].is_monotonic_increasing
    # Forces without a shipped population would be left out and listed; since populations follow the
    # boundary vintages (issue 11), councils merged since 2016 (Dorset, Northamptonshire) have one.
    assert table.attrs["candidates"] + len(table.attrs["no_population"]) == 43
    assert table.attrs["no_population"] == []
    assert set(table["force"]) <= set(resolve_peer_group("England and Wales", level="force")[1])


def test_similar_areas_distance_is_the_documented_formula(scenario_csp):
    table = similar_areas("Wolverhampton", k=6, counts=scenario_csp).set_index("area_name")
    assert sorted(table.index) == sorted(cs.peer_areas("West Midlands"))
    shares = table.filter(like="share_")
    features = pd.DataFrame({"log_population": np.log10(table["population"].astype(float)), "rate": table["rate"]})

    def z(frame):
        return (frame - frame.mean()) / frame.std(ddof=0).replace(0, 1.0)

    scaled = pd.concat([z(features), z(shares) / np.sqrt(shares.shape[1])], axis=1)
    expected = np.sqrt(((scaled - scaled.loc["Wolverhampton"]) ** 2).sum(axis=1))
    np.testing.assert_allclose(table["distance"], expected.loc[table.index])
    assert table.index[1] == "Walsall"


def test_cli_force_level_group_of_one_makes_no_ranking_claims(tmp_path, capsys):
    source = str(cs.datasets.path("scenario-csp"))
    argv = ["snapshot", source, "--area", "West Midlands Police", "--year", "2017/18", "--peers", "West Midlands"]
    assert main([*argv, "--level", "force", "--out", str(tmp_path), "--formats", "png"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "West Midlands saw a 13.1% upturn in total recorded crime" in out and "233,393" in out
    assert "Crime Severity Score) in the West Midlands" in out
    for claim in ("lowest", "highest", "across", "in line with"):
        assert claim not in out
    assert not (tmp_path / "funnel.png").exists()
