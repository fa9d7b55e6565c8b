"""What each source's files look like (the recognisers and the skip rule), without pandas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import crimestats as cs
from crimestats.io import layouts
from crimestats.sources import Probe


@pytest.mark.parametrize(
    ("name", "skipped"),
    [
        ("2024-01-west-midlands-outcomes.csv", True),
        ("2024-01-west-midlands-stop-and-search.csv", True),
        ("2024-01-WEST-MIDLANDS-OUTCOMES.CSV", True),
        ("2024-01-west-midlands-street.csv", False),
        ("outcomes-summary.xlsx", False),
    ],
)
def test_the_police_uk_download_files_skipped(name, skipped):
    reason = layouts.police_uk_companion(Path("2024-01") / name)
    assert (reason is not None) == skipped
    assert reason is None or "outcomes or stop-and-search" in reason


@pytest.mark.parametrize(
    ("header", "score"),
    [
        (
            "Financial Year,Financial Quarter,Force Name,Offence Description,Offence Group,Offence Subgroup,"
            "Offence Code,Number of Offences",
            1,
        ),
        ("Police Force,Offence Code,Offence Count", 1),  # an older edition's names
        ("police_force,offence-code,NUMBER OF OFFENCES", 1),  # compared as keys
        ("Force Name,Offence Code", 0),  # no count column
        ("Crime ID,Month,Falls within,Crime type", 0),
    ],
)
def test_a_home_office_table_is_told_by_its_header(tmp_path, header, score):
    path = tmp_path / "table.csv"
    path.write_text(header + "\n")
    assert layouts.home_office(Probe(path)) == score


def test_street_files_are_told_by_name_or_header(tmp_path):
    named = tmp_path / "2024-01-west-midlands-street.csv"
    named.write_text("x\n")
    plain = tmp_path / "export.csv"
    plain.write_text("Crime ID,Month,Reported by,Falls within,Crime type\n")
    other = tmp_path / "other.csv"
    other.write_text("a,b\n")
    assert [layouts.police_uk(Probe(p)) for p in (named, plain, other, tmp_path)] == [1, 1, 0, 1]
    assert layouts.STREET_FILE.search(named.name).groups() == ("2024-01", "west-midlands")


def test_every_bundled_dataset_is_recognised_as_before():
    expected = {
        "police-uk-city-of-london-2017-01": "police.uk",
        "home-office-pfa-2017-18": "home-office",
        "ons-pfa-2018": "ons",
        "scenario-csp": "home-office",
    }
    assert {name: cs.sources.resolve(cs.datasets.path(name)).name for name in expected} == expected


def test_recognising_a_file_imports_no_reader():
    # (openpyxl, which lists a workbook's sheets, imports numpy itself when it is installed.)
    code = (
        "import json, sys, crimestats as cs\n"
        "names = [cs.sources.resolve(cs.datasets.path(n)).name for n in "
        "('police-uk-city-of-london-2017-01', 'home-office-pfa-2017-18', 'ons-pfa-2018')]\n"
        "print(json.dumps([names, sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules)]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [["police.uk", "home-office", "ons"], []]
