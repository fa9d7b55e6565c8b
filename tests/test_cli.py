import json

import pandas as pd
import pytest

import crimestats as cs
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


@pytest.mark.parametrize("option", [["--boundaries", "2019"], ["--trust-content"]])
def test_validate_passes_a_reader_only_the_options_it_takes(capsys, option):
    # A Home Office table and a street file read together: the police.uk options are not handed to the table's reader.
    table = cs.datasets.path("home-office-pfa-2017-18")
    street = cs.datasets.path("police-uk-city-of-london-2017-01")
    assert main(["validate", str(table), str(street), "--json", *option]) == EXIT_OK
    totals = [report["total"] for report in json.loads(capsys.readouterr().out)]
    assert totals[1] == 483 and totals[0] > 0


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


# Bad input (issue 16): `crimestats validate` on each corrupted case prints one line naming the file, exit 1.

STREET = TEST_DATA / "police-uk" / "city-of-london" / "2017-01" / "2017-01-city-of-london-street.csv"
SAMPLES = REPO / "src" / "crimestats" / "data" / "samples"
MAPPING = REPO / "data" / "raw" / "mappings" / "west-midlands-extract.toml"


def _street(tmp_path, edit, name="2017-01-city-of-london-street.csv"):
    path = tmp_path / name
    path.write_bytes(edit(STREET.read_bytes()))
    return path


def _zip_member_corrupt(tmp_path):
    import zipfile

    path = tmp_path / "download.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(STREET, "2017-01/2017-01-city-of-london-street.csv")
    data = bytearray(path.read_bytes())
    data[120:184] = b"\xff" * 64
    path.write_bytes(bytes(data))
    return path


def _extract_gz_cut(tmp_path):
    import gzip

    lines = gzip.decompress((SAMPLES / "west-midlands-extract-2016-2018.csv.gz").read_bytes()).splitlines(True)
    data = gzip.compress(b"".join(lines[:2000]))
    path = tmp_path / "extract.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    return path


def _write(path, data):
    path.write_bytes(data)
    return path


def _home_office(tmp_path, edit):
    lines = (SAMPLES / "prc-pfa-mar2013-onwards-tables201718.csv").read_bytes().splitlines(True)[:50]
    return _write(tmp_path / "ho.csv", b"".join(edit(lines)))


def _count_1e3(lines):
    lines[5] = lines[5][: lines[5].rindex(b",") + 1] + b"1e3\n"
    return lines


CASES = {
    "cut-mid-row": lambda t: _street(t, lambda b: b[: b.index(b",Other theft", len(b) // 2) + 12]),
    "extra-field": lambda t: _street(t, lambda b: b.replace(b"\n", b",x\n", 2).replace(b",x\n", b"\n", 1)),
    "nul-bytes": lambda t: _street(t, lambda b: b[:5000] + bytes(4096) + b[5000:]),
    "header-without-crime-id": lambda t: _street(t, lambda b: b.replace(b"Crime ID,", b"", 1)),
    "named-for-another-month": lambda t: _street(t, lambda b: b, name="2017-02-city-of-london-street.csv"),
    "utf-16": lambda t: _street(t, lambda b: b.decode().encode("utf-16")),
    "latin-1": lambda t: _street(t, lambda b: b.replace(b"Other theft", "Other th\u00e9ft".encode("latin-1"), 1)),
    "zip-member-corrupt": _zip_member_corrupt,
    "csv-renamed-xlsx": lambda t: _write(
        t / "table.xlsx", (SAMPLES / "prc-pfa-mar2013-onwards-tables201718.csv").read_bytes()
    ),
    "truncated-xlsx": lambda t: _write(
        t / "tables.xlsx", (SAMPLES / "policeforceareatablesyearendingmarch2018v2.xlsx").read_bytes()[:20000]
    ),
    "home-office-count-1e3": lambda t: _home_office(t, _count_1e3),
    "home-office-duplicate-rows": lambda t: _home_office(t, lambda lines: lines + lines[10:20]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_prints_one_line_naming_the_file_and_exits_1(capsys, tmp_path, case):
    path = CASES[case](tmp_path)
    assert main(["validate", str(path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("crimestats: ") and path.name in lines[0], err
    assert "Traceback" not in err


def test_validate_truncated_gzip_extract(capsys, tmp_path):
    path = _extract_gz_cut(tmp_path)
    assert main(["validate", str(path), "--mapping", str(MAPPING)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "extract.csv.gz: compressed data ends early" in err[0], err


def test_validate_reads_a_copied_file_once_and_says_so(capsys, tmp_path):
    import shutil

    shutil.copytree(STREET.parent, tmp_path / "2017-01")
    shutil.copytree(STREET.parent, tmp_path / "copy" / "2017-01")
    assert main(["validate", str(tmp_path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "total count: 483" in out
    assert "same content as" in out


def test_validate_trust_content_and_sheet_options(capsys, tmp_path):
    path = CASES["named-for-another-month"](tmp_path)
    assert main(["validate", str(path), "--trust-content"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "total count: 483" in out and "the file name gives another month than its rows" in out
    table = pd.read_csv(SAMPLES / "prc-pfa-mar2013-onwards-tables201718.csv", dtype=str, nrows=100)
    book = tmp_path / "two.xlsx"
    with pd.ExcelWriter(book) as writer:
        table.to_excel(writer, sheet_name="A", index=False)
        table.to_excel(writer, sheet_name="B", index=False)
    assert main(["validate", str(book)]) == EXIT_BAD_INPUT
    assert "choose one with sheet=" in capsys.readouterr().err
    assert main(["validate", str(book), "--sheet", "B"]) == EXIT_OK


# The defects of issue 14, one test each.


def test_summary_of_an_unknown_force_is_an_error_not_zeros(capsys):
    assert main(["summary", "--force", "Staffs"]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""  # no table of zeros
    assert captured.err.count("\n") == 1 and "unknown police force 'Staffs'" in captured.err


def test_status_into_a_closed_pipe_is_not_an_error(tmp_path):
    import subprocess
    import sys

    store = tmp_path / "store"
    assert main(["refresh", str(TEST_DATA / "police-uk" / "mixed-2022-06"), "--store", str(store), "--quiet"]) == 0
    # `crimestats status | head -0`: the reader goes away before crimestats writes.
    command = "import crimestats.cli, sys; sys.exit(crimestats.cli.main(sys.argv[1:]))"
    reader = subprocess.Popen(
        [sys.executable, "-c", command, "status", "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    reader.stdout.close()
    err = reader.stderr.read().decode()
    assert reader.wait(timeout=120) == EXIT_OK
    assert "BrokenPipeError" not in err and "Traceback" not in err


def test_a_failed_refresh_leaves_no_empty_store_folder(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    store = tmp_path / "new-store"
    assert main(["refresh", str(bad), "--store", str(store)]) == EXIT_BAD_INPUT
    assert not store.exists()


def test_readme_read_extract_line_works_from_any_folder(tmp_path, monkeypatch):
    import crimestats as cs

    readme = (REPO / "README.md").read_text()
    line = next(x for x in readme.splitlines() if x.startswith("extract = cs.read_extract("))
    assert "datasets.path(" in line and "data/raw" not in line
    monkeypatch.chdir(tmp_path)
    scope = {"cs": cs}
    exec(line.split("#")[0], scope)
    assert int(scope["extract"]["count"].sum()) == 439787


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["snapshot", "--area", "Wolverhampton"], EXIT_USAGE, "missing SOURCE"),
        (["snapshot", "--demo", "--formats", "doc"], EXIT_USAGE, "--formats 'doc'"),
        (["snapshot", "--demo", "--year", "2019/20"], EXIT_BAD_INPUT, "2019/20 is not in the data"),
        (["snapshot", "--demo", "--area", "Wolverhamton"], EXIT_BAD_INPUT, "did you mean 'Wolverhampton'"),
        (["status", "--store", "no-such-store"], EXIT_BAD_INPUT, "not a crimestats store"),
        (["validate", "no-such-file.csv"], EXIT_BAD_INPUT, "no-such-file.csv"),
        (["summary", "--force", "Narnia"], EXIT_BAD_INPUT, "unknown police force"),
    ],
)
def test_every_cli_error_is_one_line_with_its_exit_code(argv, code, says, capsys, tmp_path):
    assert main([*argv, *(["--out", str(tmp_path)] if argv[0] == "snapshot" else [])]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and "Traceback" not in err


REORGANISED = TEST_DATA / "police-uk" / "reorganised-2022-06"


def _areas_in_validation(capsys, argv: list[str]) -> tuple[set[str], set[str]]:
    assert main(["validate", str(REORGANISED), "--json", *argv]) == EXIT_OK
    files = json.loads(capsys.readouterr().out)[0]["files"]
    return {f["details"]["boundaries"] for f in files}, {f["file"].rsplit("/", 1)[-1] for f in files}


def test_validate_counts_police_uk_files_on_the_boundaries_asked_for(capsys):
    assert _areas_in_validation(capsys, [])[0] == {"2024"}
    boundaries, files = _areas_in_validation(capsys, ["--boundaries", "2019"])
    assert boundaries == {"2019"} and files == {"2022-06-dorset-street.csv", "2022-06-northamptonshire-street.csv"}
    assert main(["validate", str(REORGANISED), "--boundaries", "2020"]) == EXIT_USAGE  # not a shipped vintage


def test_snapshot_reads_police_uk_files_on_the_boundaries_asked_for(tmp_path, monkeypatch):
    # The sample is one month: the areas the snapshot is handed are checked, not a report made.
    class Handed(Exception):
        pass

    areas = []

    def snapshot(counts, **_):
        areas.append(set(counts["area_name"].dropna()))
        raise Handed

    monkeypatch.setattr("crimestats.snapshot.performance_snapshot", snapshot)
    argv = ["snapshot", str(REORGANISED), "--year", "2022", "--peers", "Northamptonshire", "--out", str(tmp_path)]
    with pytest.raises(Handed):
        main([*argv, "--area", "Corby", "--boundaries", "2019"])
    with pytest.raises(Handed):
        main([*argv, "--area", "North Northamptonshire"])
    # Corby was merged into North Northamptonshire in 2021: it exists only on 2019 boundaries.
    assert "Corby" in areas[0] and "North Northamptonshire" not in areas[0]
    assert "North Northamptonshire" in areas[1] and "Corby" not in areas[1]


def test_boundaries_cannot_be_asked_of_a_store(tmp_path, capsys):
    store = tmp_path / "store"
    cs.Store(store).refresh([REORGANISED])
    argv = ["snapshot", str(store), "--area", "Corby", "--year", "2022", "--peers", "Northamptonshire"]
    assert main([*argv, "--boundaries", "2019", "--out", str(tmp_path / "out")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--boundaries applies to police.uk files read directly" in err
