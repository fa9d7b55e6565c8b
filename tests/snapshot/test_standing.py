"""The snapshot's severity, peer-position and exceptional-month bullets, every number in findings.csv."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import crimestats as cs
from crimestats.cli import EXIT_OK, main
from crimestats.snapshot import compute_findings, write_sentences


@pytest.fixture(scope="module")
def extract_snapshot(scenario_extract):
    return cs.performance_snapshot(scenario_extract, area="Wolverhampton", year="2017/18", peers="West Midlands")


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d[\d,]*(?:\.\d+)?", text)


def _formatted(findings: pd.DataFrame) -> set[str]:
    """Every way a bullet may print a number of the findings table."""
    shown = set()
    for column in ("base", "current", "change", "rank", "n_areas", "population", "population_year"):
        for value in findings[column].dropna():
            shown |= {f"{int(value):,}", f"{abs(int(value)):,}", str(int(value))}
    for column in ("rate", "pct_change"):
        for value in findings[column].dropna():
            shown |= {f"{value:.1f}", f"{value:.2f}", f"{abs(value):.1f}", f"{round(value):,}"}
    for note in findings["note"].dropna():
        shown |= set(_numbers(str(note)))
    return shown


def test_severity_bullet(extract_snapshot):
    bullet = next(b for b in extract_snapshot.bullets if "Crime Severity Score" in b)
    severity = extract_snapshot.findings.set_index("finding").loc["severity"]
    assert f"{severity['rate']:.2f}" in bullet and f"{severity['pct_change']:.1f}%" in bullet
    assert severity["note"] == "ONS weights by offence code"
    assert f"{int(severity['rank'])}th lowest change of the 7 areas" in bullet


def test_peer_position_bullet_states_the_verdict_and_limits(extract_snapshot):
    bullet = next(b for b in extract_snapshot.bullets if "control limits" in b)
    assert bullet == (
        "At 81.4 offences per 1,000 residents, Wolverhampton's total recorded crime rate is in line with the West "
        "Midlands (80.8): for an area of its population the expected range is 79.7 to 81.9 (95% control limits; "
        "79.1 to 82.5 at 99.8%)."
    )


def test_exceptional_month_bullet_names_burglary_in_march_2018(extract_snapshot):
    bullet = next(b for b in extract_snapshot.bullets if "a month from 2016/17" in b)
    assert "burglary was above the expected range in October 2017 (236), January 2018 (230) and March 2018 (255)" in (
        bullet
    )
    months = extract_snapshot.findings[extract_snapshot.findings["finding"] == "exceptional month"]
    burglary = months[months["selection"] == "Burglary"]
    assert burglary["note"].tolist() == ["October 2017", "January 2018", "March 2018"]
    assert burglary["current"].tolist() == [236, 230, 255]
    assert set(months["significance"]) == {"above the expected range"}


def test_every_number_of_the_new_bullets_is_in_the_findings(extract_snapshot, tmp_path):
    extract_snapshot.save(tmp_path, formats=("png",))
    findings = pd.read_csv(tmp_path / "findings.csv")
    shown = _formatted(findings)
    for number, bullet in enumerate(extract_snapshot.bullets, start=1):
        rows = findings[findings["sentence"] == number]
        if rows["finding"].iloc[0] not in ("severity", "peer position", "months assessed"):
            continue
        # Years, the limits' levels and the unit "per 1,000" are labels, not findings.
        for value in _numbers(re.sub(r"\d{4}/\d\d|\b(?:19|20)\d\d\b|95%|99\.8%|per 1,000", "", bullet)):
            assert value in shown, (value, bullet)
    for name in ("funnel", "control_chart", "same_month_last_year"):
        assert (tmp_path / f"{name}.png").exists()


def test_the_funnel_and_control_charts_draw_the_findings_tables(extract_snapshot):
    funnel = extract_snapshot.figures["funnel"].axes[0]
    limits = extract_snapshot.tables["peer_limits"]
    points = {tuple(p) for c in funnel.collections for p in c.get_offsets().tolist()}
    assert {(float(p), float(r)) for p, r in zip(limits["population"], limits["rate"], strict=True)} <= points
    control = extract_snapshot.figures["control_chart"].axes[0]
    assert control.get_title(loc="left").startswith("Total recorded crime in Wolverhampton")
    chart = extract_snapshot.tables["control_total_recorded_crime"]
    outside = next(c for c in control.collections if c.get_label() == "Outside the limits")
    assert outside.get_offsets()[:, 1].tolist() == chart.loc[chart["outside"] != 0, "count"].tolist()


def test_police_uk_severity_is_labelled_as_the_approximation(scenario_extract):
    # The extract stripped of offence codes stands in for police.uk (categories only).
    categories_only = scenario_extract.assign(offence_code=pd.NA, offence_group=pd.NA, offence_subgroup=pd.NA)
    found = compute_findings(categories_only, area="Wolverhampton", year="2017/18", peers="West Midlands")
    severity = found.table.set_index("finding").loc["severity"]
    assert severity["note"].startswith("approximation: category weights from the England and Wales 2017/18")
    bullet = next(s for s in write_sentences(found) if "Crime Severity Score" in s)
    assert "The score is an approximation: category weights from the England and Wales 2017/18 offence mix" in bullet


def test_demo_includes_the_new_bullets_and_charts(tmp_path, capsys):
    assert main(["snapshot", "--demo", "--out", str(tmp_path), "--formats", "png"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Crime Severity Score" in out and "95% control limits" in out and "March 2018 (255)" in out
    assert {"funnel.png", "control_chart.png", "same_month_last_year.png"} <= {p.name for p in tmp_path.iterdir()}
