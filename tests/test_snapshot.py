import html.parser
import re

import pytest

import crimestats as cs
from crimestats.cli import EXIT_OK, EXIT_USAGE, main


@pytest.fixture(scope="module")
def snap(scenario_extract):
    return cs.performance_snapshot(
        scenario_extract,
        area="Wolverhampton",
        year="2017/18",
        peers="West Midlands",
        selections=("total recorded crime", "knife or sharp instrument offences"),
    )


def test_headline_sentence_reproduces_the_report(snap):
    first = snap.bullets[0]
    for fragment in ("13.6%", "21,225", "2,541", "2nd lowest", "upturn", "since 2016-2017", "the West Midlands"):
        assert fragment in first


def test_knife_sentence(snap):
    knife = snap.bullets[1]
    for fragment in ("30 offences", "16.5%", "4th lowest", "rose"):
        assert fragment in knife
    assert "not statistically significant" in knife  # 182 -> 212 is within Poisson variation (p = 0.14)


def test_contributing_factors_sentence(snap):
    sentence = snap.bullets[2]
    assert sentence.startswith("Vehicle offences (+726), violence with injury (+383)")
    assert "contributing factors to the increase" in sentence


def test_findings_hold_the_same_numbers(snap):
    findings = snap.findings.set_index(["finding", "selection"])
    total = findings.loc[("change", "total recorded crime")]
    assert (total["base"], total["current"], total["change"], total["rank"], total["n_areas"]) == (
        18684,
        21225,
        2541,
        2,
        7,
    )
    assert round(total["pct_change"], 1) == 13.6
    knife = findings.loc[("change", "knife or sharp instrument offences")]
    assert (knife["base"], knife["current"], knife["change"], knife["rank"]) == (182, 212, 30, 4)
    assert round(knife["pct_change"], 1) == 16.5
    rate = findings.loc[("rate", "total recorded crime")]
    assert (rate["population"], rate["population_year"]) == (260648, 2017)


def test_a_fall_says_reduction_and_numbers_use_separators(scenario_csp):
    reversed_years = scenario_csp.copy()
    later = reversed_years["period_start"] >= "2017-04-01"
    reversed_years.loc[later, "period_start"] = reversed_years.loc[later, "period_start"] - cs.periods.pd.DateOffset(
        years=1
    )
    reversed_years.loc[~later, "period_start"] = reversed_years.loc[~later, "period_start"] + cs.periods.pd.DateOffset(
        years=1
    )
    snap = cs.performance_snapshot(reversed_years, area="Wolverhampton", year="2017/18", peers="West Midlands")
    assert "reduction in total recorded crime" in snap.bullets[0]
    assert "with 18,684 offences (a decrease of 2,541)" in snap.bullets[0]
    assert "12.0% reduction" in snap.bullets[0]
    assert "largest reduction" in snap.bullets[0]


def test_saved_folder_has_png_and_svg_per_chart_markdown_links_and_standalone_html(snap, tmp_path):
    written = snap.save(tmp_path)
    names = {p.name for p in written}
    for chart in snap.figures:
        assert f"{chart}.png" in names and f"{chart}.svg" in names
        assert (tmp_path / f"{chart}.png").stat().st_size > 10_000
    markdown = (tmp_path / "snapshot.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert sorted(links) == sorted(f"{chart}.png" for chart in snap.figures)
    assert all((tmp_path / link).exists() for link in links)
    page = (tmp_path / "snapshot.html").read_text()
    sources = []

    class Sources(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            sources.extend(value for name, value in attrs if name in ("src", "href"))

    Sources().feed(page)
    assert len(sources) == len(snap.figures)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "13.6% upturn" in page


def test_cli_demo_writes_the_same_folder(tmp_path, capsys):
    assert main(["snapshot", "--demo", "--out", str(tmp_path / "report"), "--formats", "png"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "2nd lowest increase" in out and "4th lowest increase" in out
    assert (tmp_path / "report" / "snapshot.html").exists()
    assert main(["snapshot", "--out", str(tmp_path)]) == EXIT_USAGE
