import json

from crimestats.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE, main
from tests.conftest import REPO, TEST_DATA


def test_summary_demo_prints_the_west_midlands_totals(capsys):
    assert main(["summary", "--demo"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "233,393" in out and "Wolverhampton" in out


def test_validate_prints_the_quality_report(capsys):
    assert main(["validate", str(TEST_DATA / "police-uk" / "mixed-2022-06")]) == EXIT_OK
    out = capsys.readouterr().out
    assert "British Transport Police: a national force" in out
    assert "total count: 900" in out


def test_validate_json_and_extract_mapping(capsys, tmp_path):
    sample = tmp_path / "x.csv"
    sample.write_text(
        "Crime Reference,Date Recorded,Offence Code,Offence Description,CSP,Ward,LSOA Code,"
        "Knife Or Sharp Instrument,Domestic Abuse,Business Crime\n"
        "1,01/04/2017,8N,Assault with injury,Dudley,x,E01009768,N,N,N\n"
    )
    mapping = REPO / "data" / "raw" / "mappings" / "west-midlands-extract.toml"
    assert main(["validate", str(sample), "--mapping", str(mapping), "--json"]) == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert result[0]["total"] == 1


def test_bad_input_and_usage_exit_codes(capsys, tmp_path):
    bad = tmp_path / "2017-01-x-street.csv"
    bad.write_text("Crime ID,Month\n1,2017-01\n")
    assert main(["validate", str(bad)]) == EXIT_BAD_INPUT
    assert "wrong header" in capsys.readouterr().err
    assert main(["frobnicate"]) == EXIT_USAGE


def test_a_misspelt_area_is_one_line_naming_the_likely_area_and_exit_1(capsys, monkeypatch):
    import crimestats.cli

    def not_reached(*args, **kwargs):
        raise AssertionError("the sources were read before the area name was checked")

    monkeypatch.setattr(crimestats.cli, "_load_sources", not_reached)
    assert main(["snapshot", "--demo", "--area", "Wolverhamton", "--out", "unused"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Wolverhampton" in err and err.startswith("crimestats: ")
