from __future__ import annotations

import csv
import io
import re
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats import synthetic
from crimestats.io.street_files import force_of_slug
from crimestats.taxonomy import POLICE_UK_CRIME_TYPES, crime_type_set
from tests.conftest import shared_path

ROWS = 20_000
# One month either side of data.police.uk's switch to 2021 LSOA codes (June 2023).
OPTIONS = {"start_month": "2023-05", "rows_per_month": 10_000, "seed": 7}
HEX_ID = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    synthetic.write_street_files(root, ROWS, **OPTIONS)
    return root


@pytest.fixture(scope="module")
def rows(folder: Path) -> dict[Path, list[list[str]]]:
    """Every file's data rows as the csv module parses them (quotes removed)."""
    parsed = {}
    for path in sorted(folder.rglob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            parsed[path] = list(csv.reader(handle))
    return parsed


def _real_header() -> bytes:
    sample = resources.files("crimestats.data").joinpath("samples/2017-01-city-of-london-street.csv")
    return sample.read_bytes().splitlines()[0]


def test_layout_and_header_are_the_real_ones(folder: Path, rows: dict[Path, list[list[str]]]) -> None:
    files = sorted(folder.rglob("*.csv"))
    assert {p.parent.name for p in files} == {"2023-05", "2023-06"}
    for path in files:
        match = re.fullmatch(r"(\d{4}-\d{2})-([a-z-]+)-street\.csv", path.name)
        assert match and match.group(1) == path.parent.name, path.name
        assert path.read_bytes().splitlines()[0] == _real_header() == synthetic.HEADER.encode()
        # The file's name names the force its rows are for, as data.police.uk's names do.
        forces = {cs.force_name(row[3]) for row in rows[path][1:]}
        assert forces == {force_of_slug(match.group(2))}, path.name
        assert {row[1] for row in rows[path][1:]} == {path.parent.name}
    # Every territorial force and British Transport Police, once a month.
    expected = {f for f in cs.forces().query("kind in ['territorial', 'national']")["force"]}
    assert {force_of_slug(p.name[8:-11]) for p in files if p.parent.name == "2023-05"} == expected


def test_fields_are_quoted_as_data_police_uk_quotes_them(folder: Path, rows: dict[Path, list[list[str]]]) -> None:
    # data.police.uk quotes a field only when it holds a comma (minimal quoting): writing the parsed
    # rows back with the csv module's minimal quoting gives the file's bytes exactly.
    quoted = 0
    for path, parsed in rows.items():
        raw = path.read_bytes()
        eol = "\r\n" if raw.endswith(b"\r\n") else "\n"
        out = io.StringIO()
        csv.writer(out, lineterminator=eol).writerows(parsed)
        assert out.getvalue().encode() == raw, path.name
        assert all(len(row) == 12 for row in parsed)
        quoted += raw.count(b'"')
    assert quoted > 0
    # Commas inside quoted fields occur in names (merged councils), locations and outcomes.
    fields = [f for parsed in rows.values() for row in parsed[1:] for f in (row[6], row[8], row[10])]
    assert any(", Christchurch and Poole" in f for f in fields)
    assert any(f.startswith("On or near ") and "," in f for f in fields)
    assert any("," in f for f in (row[10] for parsed in rows.values() for row in parsed[1:]))
    assert any(";" in f for f in (row[10] for parsed in rows.values() for row in parsed[1:]))


@pytest.mark.shared
def test_real_files_quote_the_same_way() -> None:
    # The rule the test above holds synthetic files to is the real files' rule.
    folder = shared_path("real", "police-uk", "all-forces-2024-01")
    for path in sorted(folder.rglob("*-street.csv"))[:6]:
        raw = path.read_bytes()
        with path.open(newline="", encoding="utf-8") as handle:
            parsed = list(csv.reader(handle))
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(parsed)
        assert out.getvalue().encode() == raw, path.name


def test_blank_fields_are_where_real_files_have_them(rows: dict[Path, list[list[str]]]) -> None:
    asb = crimes = no_location = 0
    for path, parsed in rows.items():
        national = "-btp-" in path.name
        for crime_id, _, reported, within, lon, lat, location, code, name, crime_type, outcome, context in parsed[1:]:
            assert reported == within and context == ""
            if crime_type == "Anti-social behaviour":
                asb += 1
                assert crime_id == "" and outcome == "" and not national
            elif national:  # British Transport Police: no crime IDs, no outcomes
                assert crime_id == "" and outcome == ""
            else:
                crimes += 1
                assert HEX_ID.fullmatch(crime_id) and outcome
            if code == "":
                no_location += 1
                assert (lon, lat, location, name) == ("", "", "No Location", "")
            else:
                assert location.startswith("On or near ") and name and float(lon) and float(lat)
            assert crime_type in crime_type_set(path.parent.name + "-01").crime_types
    assert asb / ROWS == pytest.approx(1 / 3, abs=0.02)
    assert no_location / ROWS == pytest.approx(0.03, abs=0.01)
    assert crimes > 0


def test_some_forces_have_crlf_line_ends(folder: Path) -> None:
    ends = {}
    for path in folder.rglob("*.csv"):
        raw = path.read_bytes()
        crlf = raw.count(b"\r\n")
        assert crlf in (0, raw.count(b"\n")), path.name  # one kind of line end per file
        ends[path.name[8:]] = crlf > 0
    assert any(ends.values()) and not all(ends.values())


def test_files_load_through_the_reader_with_a_clean_quality_report(folder: Path) -> None:
    counts = cs.read_police_uk(folder)
    assert int(counts["count"].sum()) == ROWS
    assert set(counts["category"]) <= set(POLICE_UK_CRIME_TYPES.values())
    for quality in counts.quality:
        assert quality.rows_read == quality.rows_counted
        assert quality.unknown == {}
        assert set(quality.rows_no_area) <= {"no_lsoa", "national_force"}
        assert quality.details["lsoa_name_fallback"] == 0
        # 2011 LSOA codes before June 2023, 2021 codes from then, as data.police.uk.
        assert quality.details["lsoa_vintage"] == ("2021" if quality.months == ["2023-06"] else "2011")
    placed = counts.dropna(subset=["area_code"])
    assert placed["count"].sum() > 0.9 * ROWS
    report = cs.quality_report(counts)
    assert report.files["unknown_values"].map(len).sum() == 0


def test_the_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    def contents(seed: int, where: str) -> dict[str, bytes]:
        files = synthetic.write_street_files(tmp_path / where, 3_000, seed=seed, rows_per_month=1_500)
        return {p.relative_to(tmp_path / where).as_posix(): p.read_bytes() for p in files}

    first = contents(1, "a")
    assert first == contents(1, "b")
    other = contents(2, "c")
    assert other.keys() == first.keys() and other != first


def test_months_before_the_14_crime_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(cs.PeriodError, match="May 2013"):
        synthetic.write_street_files(tmp_path, 10, start_month="2012-01")
    with pytest.raises(cs.PeriodError):
        synthetic.write_street_files(tmp_path, 10, start_month="January")
    with pytest.raises(cs.PeriodError):
        synthetic.plan(0)


def test_crime_types_are_the_police_uk_ones() -> None:
    assert set(synthetic.CRIME_SHARES) | {"Anti-social behaviour"} == set(crime_type_set("2024-01").crime_types)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 3_000_000), per_month=st.integers(10_000, 600_000))
def test_plan_splits_every_row_once(rows: int, per_month: int) -> None:
    files = synthetic.plan(rows, rows_per_month=per_month, start_month="2022-11")
    assert int(files["rows"].sum()) == rows
    assert (files["rows"] > 0).all()
    months = files.groupby("month")["rows"].sum()
    assert len(months) == -(-rows // per_month)
    assert months.max() - months.min() <= 1  # months evenly filled
    assert months.index[0] == "2022-11"
    assert not files.duplicated(["month", "force"]).any()


def test_forces_get_rows_by_their_size() -> None:
    month = synthetic.plan(500_000).set_index("force")["rows"]
    assert month.idxmax() == "Metropolitan Police"
    assert month["West Midlands"] > month["Warwickshire"] > month["London, City of"]
    assert month["British Transport Police"] == 5_000
