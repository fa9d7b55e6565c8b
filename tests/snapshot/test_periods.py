"""Periods as report authors say them: the latest year, the latest 12 months, any earlier base."""

import pytest

import crimestats as cs
from crimestats.cli import EXIT_BAD_INPUT, EXIT_OK, main
from crimestats.snapshot import compute_findings, write_sentences
from tests.conftest import shared_path


def test_latest_is_the_latest_complete_financial_year(scenario_csp):
    found = compute_findings(scenario_csp, area="Wolverhampton", year="latest", peers="West Midlands")
    assert (found.base.label, found.current.label) == ("2016/17", "2017/18")
    assert write_sentences(found)[0].startswith(
        "Wolverhampton saw a 13.6% upturn in total recorded crime since 2016-2017"
    )


def test_a_year_not_in_the_data_names_the_years_that_exist(scenario_csp):
    with pytest.raises(cs.PeriodError) as error:
        compute_findings(scenario_csp, area="Wolverhampton", year="2019/20", peers="West Midlands")
    message = str(error.value)
    assert message.startswith("2019/20 is not in the data")  # the year asked for, not its base
    assert "financial years: 2016/17, 2017/18" in message


def test_a_default_base_not_in_the_data_is_named_as_the_comparison(scenario_csp):
    with pytest.raises(cs.PeriodError, match="the comparison period for 2016/17, 2015/16 is not in the data"):
        compute_findings(scenario_csp, area="Wolverhampton", year="2016/17", peers="West Midlands")


def test_base_must_be_earlier_and_of_the_same_length(scenario_csp):
    with pytest.raises(cs.PeriodError, match="same length"):
        compute_findings(scenario_csp, area="Wolverhampton", year="2017/18", base="2016/17 Q1", peers="West Midlands")
    with pytest.raises(cs.PeriodError, match="must end before"):
        compute_findings(scenario_csp, area="Wolverhampton", year="2016/17", base="2017/18", peers="West Midlands")


def test_quarters_compare_with_the_same_quarter_a_year_before(scenario_csp):
    found = compute_findings(scenario_csp, area="Wolverhampton", year="2017/18 Q3", peers="West Midlands")
    assert (found.base.label, found.current.label) == ("Q3 2016/17", "Q3 2017/18")
    assert " in Q3 2017/18 compared with Q3 2016/17, with " in write_sentences(found)[0]


def test_latest_12_months_words_the_period_as_reports_do(scenario_extract):
    found = compute_findings(scenario_extract, area="Wolverhampton", year="latest-12-months", peers="West Midlands")
    assert found.current.label == "12 months to March 2018"
    assert str(found.base.start.date()) == "2016-04-01"
    first = write_sentences(found)[0]
    assert "in the 12 months to March 2018 compared with the previous 12 months, with 21,225 offences" in first


def test_any_earlier_base_of_the_same_length(scenario_extract):
    found = compute_findings(
        scenario_extract, area="Wolverhampton", year="2017/18 Q4", base="2016/17 Q2", peers="West Midlands"
    )
    assert (found.base.label, found.current.label) == ("Q2 2016/17", "Q4 2017/18")
    assert " in Q4 2017/18 compared with Q2 2016/17, with " in write_sentences(found)[0]
    with pytest.raises(cs.PeriodError, match="only partly in the data"):
        compute_findings(
            scenario_extract, area="Wolverhampton", year="12m:2018-03", base="12m:2017-01", peers="West Midlands"
        )


def test_cli_year_not_in_data_is_one_line(tmp_path, capsys):
    argv = ["snapshot", str(cs.datasets.path("scenario-csp")), "--area", "Wolverhampton", "--peers", "West Midlands"]
    assert main([*argv, "--year", "2019/20", "--out", str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2019/20 is not in the data" in err and "2017/18" in err


def test_cli_period_and_base(tmp_path, capsys):
    argv = ["snapshot", str(cs.datasets.path("scenario-csp")), "--area", "Wolverhampton", "--peers", "West Midlands"]
    assert (
        main([*argv, "--period", "2017/18 Q4", "--base", "2017/18 Q3", "--out", str(tmp_path), "--formats", "png"])
        == EXIT_OK
    )
    assert "in Q4 2017/18 compared with Q3 2017/18" in capsys.readouterr().out


@pytest.mark.shared
def test_city_of_london_latest_12_months_is_calendar_2018_against_2017(tmp_path, capsys):
    folder = shared_path("real", "police-uk", "city-of-london-2017-2018")
    argv = ["snapshot", str(folder), "--area", "City of London", "--peers", "City of London"]
    assert main([*argv, "--period", "latest-12-months", "--out", str(tmp_path), "--formats", "png"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "in the 12 months to December 2018 compared with the previous 12 months" in out
    findings = (tmp_path / "findings.csv").read_text()
    assert "12 months to December 2017,12 months to December 2018" in findings
