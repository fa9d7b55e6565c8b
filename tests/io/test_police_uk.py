import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import crimestats as cs
from crimestats.counts import quality_of
from crimestats.io.police_uk import RECORD_COLUMNS
from tests.conftest import TEST_DATA, shared_path

CITY = TEST_DATA / "police-uk" / "city-of-london"
MIXED = TEST_DATA / "police-uk" / "mixed-2022-06"


def data_rows(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip()) - 1


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*.csv")):
            archive.write(file, file.relative_to(folder))
    return target


def monthly_totals(counts: pd.DataFrame) -> dict[str, int]:
    return {f"{k:%Y-%m}": int(v) for k, v in counts.groupby("period_start")["count"].sum().items()}


def test_folder_tree_gives_each_months_row_count():
    counts = cs.read_police_uk(CITY)
    expected = {p.name[:7]: data_rows(p) for p in CITY.rglob("*-street.csv")}
    assert monthly_totals(counts) == expected
    assert set(counts["force"]) == {"London, City of"}
    assert set(counts["period_months"]) == {1}


def test_zip_gives_identical_counts_to_the_folder(tmp_path):
    folder = cs.read_police_uk(CITY)
    zipped = cs.read_police_uk(zip_folder(CITY, tmp_path / "download.zip"))
    pd.testing.assert_frame_equal(folder, zipped)


def test_asb_is_not_crime_and_every_city_lsoa_gets_a_local_area():
    counts = cs.read_police_uk(CITY)
    asb = counts[counts["category"] == "Anti-social behaviour"]
    assert len(asb) and not asb["is_crime"].any()
    report = cs.quality_report(counts)
    assert report.area_coverage == 1.0
    no_lsoa = sum(q["rows_no_area"].get("no_lsoa", 0) for q in counts.quality)
    assert counts.loc[counts["area_name"].isna(), "count"].sum() == no_lsoa


def test_btp_and_northern_ireland_are_kept_with_no_local_area_and_named_in_the_report():
    counts = cs.read_police_uk(MIXED)
    assert counts["count"].sum() == 900
    by_force = counts.groupby("force")["count"].sum()
    assert by_force.to_dict() == {"British Transport Police": 300, "Kent": 300, "Northern Ireland": 300}
    unplaced = counts[counts["area_name"].isna()].groupby("force")["count"].sum()
    assert unplaced["British Transport Police"] == 300
    assert unplaced["Northern Ireland"] == 300
    text = cs.quality_report(counts).to_text()
    assert "British Transport Police: a national force" in text
    assert "Northern Ireland: no English or Welsh LSOA" in text
    kent = counts[counts["force"] == "Kent"]
    kent_quality = next(q for q in counts.quality if "kent" in q["file"])
    assert kent.loc[kent["area_name"].isna(), "count"].sum() == kent_quality["rows_no_area"].get("no_lsoa", 0)
    assert kent.loc[kent["area_name"].notna(), "area_code"].str.startswith("E22").all()


def test_outcomes_and_stop_and_search_files_are_ignored_and_listed(tmp_path):
    folder = tmp_path / "download"
    shutil.copytree(CITY, folder)
    street = folder / "2017-01" / "2017-01-city-of-london-street.csv"
    lines = street.read_text().splitlines()
    header = lines[0].rsplit(",", 2)[0].replace("Crime type", "Outcome type")
    (folder / "2017-01" / "2017-01-city-of-london-outcomes.csv").write_text(
        header + "\n" + "\n".join(line.rsplit(",", 2)[0] for line in lines[1:50]) + "\n"
    )
    (folder / "2017-01" / "2017-01-city-of-london-stop-and-search.csv").write_text("Type,Date\nPerson search,x\n")
    counts = cs.read_police_uk(folder)
    assert counts["count"].sum() == cs.read_police_uk(CITY)["count"].sum()
    assert len(counts.attrs["ignored_files"]) == 2


def test_bom_crlf_and_quoted_commas(tmp_path):
    source = CITY / "2017-01" / "2017-01-city-of-london-street.csv"
    lines = source.read_text().splitlines()
    fields = lines[1].split(",")
    fields[10] = '"Under investigation, pending"'
    fields[6] = '"On or near Fleet Street, EC4"'
    lines[1] = ",".join(fields)
    path = tmp_path / "2017-01-city-of-london-street.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    counts = cs.read_police_uk(path)
    assert counts["count"].sum() == len(lines) - 1
    records = cs.read_police_uk_records(path)
    assert records.loc[0, "outcome"] == "Under investigation, pending"
    assert records.loc[0, "location"] == "On or near Fleet Street, EC4"


def test_records_have_the_documented_columns():
    records = cs.read_police_uk_records(MIXED)
    assert list(records.columns) == RECORD_COLUMNS
    assert len(records) == 900
    assert records["longitude"].dtype == "float64"
    asb = records[records["category"] == "Anti-social behaviour"]
    assert asb["crime_id"].isna().all()
    assert records.loc[records["force"] == "Northern Ireland", "lsoa_code"].isna().all()


def test_month_and_force_filters():
    assert monthly_totals(cs.read_police_uk(CITY, months=["2017-02"])).keys() == {"2017-02"}
    kent = cs.read_police_uk(MIXED, forces=["Kent Police"])
    assert set(kent["force"]) == {"Kent"}
    assert cs.read_police_uk_records(MIXED, forces=["Kent"])["force"].eq("Kent").all()


def _copy_with(tmp_path, edit, name="2017-01-city-of-london-street.csv"):
    text = (CITY / "2017-01" / "2017-01-city-of-london-street.csv").read_text()
    path = tmp_path / name
    path.write_text(edit(text))
    return path


def test_truncated_file_names_file_and_row(tmp_path):
    path = _copy_with(tmp_path, lambda t: t[: len(t) // 2].rsplit(",", 6)[0])
    with pytest.raises(cs.SourceFormatError, match=r"2017-01-city-of-london-street\.csv, row \d+: .*truncated"):
        cs.read_police_uk(path)


def test_wrong_header(tmp_path):
    path = _copy_with(tmp_path, lambda t: t.replace("Crime type", "Offence type", 1))
    with pytest.raises(cs.SourceFormatError, match=r"wrong header: missing \['Crime type'\]"):
        cs.read_police_uk(path)


def test_malformed_month(tmp_path):
    def edit(text):
        lines = text.splitlines()
        lines[5] = lines[5].replace(",2017-01,", ",2017-13,")
        return "\n".join(lines) + "\n"

    path = _copy_with(tmp_path, edit)
    with pytest.raises(cs.SourceFormatError, match=r"row 6, column 'Month': malformed month '2017-13'"):
        cs.read_police_uk(path)


def test_unknown_crime_type_is_counted_and_reported(tmp_path, caplog):
    path = _copy_with(tmp_path, lambda t: t.replace(",Other theft,", ",Cyber nuisance,", 3))
    counts = cs.read_police_uk(path)
    assert counts["count"].sum() == 483
    assert counts.loc[counts["category"] == "Unclassified", "count"].sum() == 3
    assert counts.quality[0]["unknown_crime_types"] == {"Cyber nuisance": 3}
    assert "unknown crime types {'Cyber nuisance': 3}" in caplog.text
    caplog.clear()
    result = cs.Store(tmp_path / "store").refresh([path])  # a refresh reads it in a batch: it says so too
    assert result.ok and "unknown crime types {'Cyber nuisance': 3}" in caplog.text


def test_zip_without_street_files(tmp_path):
    target = tmp_path / "outcomes-only.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("2017-01/2017-01-city-of-london-outcomes.csv", "Crime ID,Month\n")
    with pytest.raises(cs.SourceFormatError, match=r"outcomes-only\.zip: holds no data.police.uk street files"):
        cs.read_police_uk(target)


@pytest.mark.shared
def test_all_forces_one_month_loads_in_one_call_with_every_row_counted():
    folder = shared_path("real", "police-uk", "all-forces-2022-06")
    counts = cs.read_police_uk(folder)
    assert counts["count"].sum() == sum(data_rows(p) for p in folder.glob("*.csv")) == 364201
    assert counts["force"].nunique() == 39
    report = cs.quality_report(counts)
    assert report.area_coverage == 1.0
    no_area = counts[counts["area_name"].isna()].groupby("force")["count"].sum()
    assert no_area["Northern Ireland"] == counts.loc[counts["force"] == "Northern Ireland", "count"].sum()
    assert (
        no_area["British Transport Police"] == counts.loc[counts["force"] == "British Transport Police", "count"].sum()
    )
    assert "British Transport Police: a national force" in report.to_text()


@pytest.mark.shared
def test_city_of_london_24_months_folder_and_zip(tmp_path):
    folder = shared_path("real", "police-uk", "city-of-london-2017-2018")
    counts = cs.read_police_uk(folder)
    assert monthly_totals(counts) == {p.name[:7]: data_rows(p) for p in folder.glob("*-street.csv")}
    assert len(monthly_totals(counts)) == 24
    pd.testing.assert_frame_equal(counts, cs.read_police_uk(zip_folder(folder, tmp_path / "col.zip")))


# Bad input (issue 16): every fault refused naming the file and line, or loaded with every row accounted.

STREET = CITY / "2017-01" / "2017-01-city-of-london-street.csv"


def _lines() -> list[str]:
    return STREET.read_text().splitlines(keepends=True)


def _write(tmp_path, content, name="2017-01-city-of-london-street.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _cut_after(text: str, marker: str) -> str:
    """The file cut just after ``marker`` in its middle row (no line break after)."""
    middle = text.index("\n", len(text) // 2) + 1
    return text[: text.index(marker, middle) + len(marker)]


@pytest.mark.parametrize(
    "cut",
    [
        lambda t: _cut_after(t, ",Other theft"),  # after the Crime type field: 10 of 12 fields
        lambda t: _cut_after(t, ",Other the"),  # inside Crime type ("unknown crime type 'Theft from'")
        lambda t: _cut_after(t, ",E01"),  # inside the LSOA code
    ],
    ids=["after-crime-type", "inside-crime-type", "inside-lsoa"],
)
def test_file_cut_mid_row_is_refused_naming_the_line(tmp_path, cut):
    text = STREET.read_text()
    path = _write(tmp_path, cut(text))
    line = path.read_text().count("\n") + 1
    with pytest.raises(
        cs.SourceFormatError,
        match=rf"street\.csv, row {line}: \d+ fields, expected 12 as in the header \(file truncated\?\)",
    ):
        cs.read_police_uk(path)


def test_removed_closing_quote_swallowing_lines_is_refused(tmp_path):
    lines = _lines()
    fields = lines[10].split(",")
    fields[10] = '"Under investigation, pending'  # opened, never closed on its line
    lines[10] = ",".join(fields)
    lines[20] = lines[20].replace(",Other theft,", ',"Other theft",', 1)
    path = _write(tmp_path, "".join(lines))
    with pytest.raises(cs.SourceFormatError, match=r"street\.csv, row 11: a quoted field runs on past the end"):
        cs.read_police_uk(path)
    with pytest.raises(cs.SourceFormatError, match=r"row 11: a quoted field"):
        cs.read_police_uk_records(path)


def test_row_with_one_field_too_many_is_refused(tmp_path):
    lines = _lines()
    lines[10] = lines[10].rstrip("\n") + ",extra\n"
    with pytest.raises(cs.SourceFormatError, match=r"street\.csv, row 11: 13 fields, expected 12 as in the header"):
        cs.read_police_uk(_write(tmp_path, "".join(lines)))


def test_nul_bytes_are_refused_naming_the_line(tmp_path):
    text = STREET.read_bytes()
    at = text.index(b"\n", 1000) + 1
    path = _write(tmp_path, text[:at] + bytes(4096) + text[at:])
    line = text[:at].count(b"\n") + 1
    with pytest.raises(cs.SourceFormatError, match=rf"street\.csv, row {line}: 4,096 NUL bytes"):
        cs.read_police_uk(path)


def test_header_without_crime_id_over_rows_with_it_is_refused(tmp_path):
    lines = _lines()
    lines[0] = lines[0].replace("Crime ID,", "", 1)
    with pytest.raises(cs.SourceFormatError, match=r"street\.csv, row 2: 12 fields, expected 11 as in the header"):
        cs.read_police_uk(_write(tmp_path, "".join(lines)))


def test_file_without_the_crime_id_column_reads_the_same_as_records(tmp_path):
    path = _write(tmp_path, "".join(line.split(",", 1)[1] for line in _lines()))
    counts = cs.read_police_uk(path)
    records = cs.read_police_uk_records(path)
    assert counts["count"].sum() == len(records) == 483
    assert records["crime_id"].isna().all()


def test_file_named_for_another_month_is_refused_unless_content_is_trusted(tmp_path):
    path = _write(tmp_path, STREET.read_text(), name="2017-02-city-of-london-street.csv")
    with pytest.raises(
        cs.SourceFormatError,
        match=r"2017-02-city-of-london-street\.csv, row 2, column 'Month': the file name says month 2017-02 but "
        r"483 of 483 rows say 2017-01",
    ):
        cs.read_police_uk(path)
    with pytest.raises(cs.SourceFormatError, match="the file name says month 2017-02"):
        cs.read_police_uk_records(path)
    counts = cs.read_police_uk(path, trust_content=True)
    assert monthly_totals(counts) == {"2017-01": 483}
    assert counts.quality[0]["name_month_disagrees"] == {"named": "2017-02", "rows": {"2017-01": 483}}


def test_file_named_for_another_force_is_refused(tmp_path):
    text = STREET.read_text().replace("City of London Police", "Metropolitan Police Service")
    path = _write(tmp_path, text)
    with pytest.raises(
        cs.SourceFormatError,
        match=r"column 'Falls within': the file name says force London, City of but 483 of 483 rows say Metropolitan",
    ):
        cs.read_police_uk(path)


def test_rows_of_another_month_or_force_inside_a_file_are_reported(tmp_path):
    lines = _lines()
    for number in range(1, 51):
        lines[number] = lines[number].replace(
            "City of London Police,City of London Police", "City of London Police,Metropolitan Police Service"
        )
    for number in range(100, 110):
        lines[number] = lines[number].replace(",2017-01,", ",2017-02,", 1)
    counts = cs.read_police_uk(_write(tmp_path, "".join(lines)))
    quality = counts.quality[0]
    assert quality["rows_other_forces"] == {"Metropolitan Police": 50}
    assert quality["rows_other_months"] == {"2017-02": 10}
    assert counts["count"].sum() == 483
    assert counts.groupby("force")["count"].sum().to_dict() == {"London, City of": 433, "Metropolitan Police": 50}


def test_non_numeric_coordinates_are_counted(tmp_path):
    lines = _lines()
    for number in (5, 6, 7):
        fields = lines[number].split(",")
        fields[4] = "not-a-number"
        lines[number] = ",".join(fields)
    path = _write(tmp_path, "".join(lines))
    quality = cs.read_police_uk(path).quality[0]
    assert quality["non_numeric_coordinates"] == {"Longitude": {"rows": 3, "first_row": 6}}
    records = cs.read_police_uk_records(path)
    assert records["longitude"].isna().sum() >= 3
    assert records.quality[0]["non_numeric_coordinates"]["Longitude"]["rows"] == 3


def test_same_file_twice_in_a_folder_tree_is_read_once_and_reported(tmp_path):
    folder = tmp_path / "download"
    shutil.copytree(CITY / "2017-01", folder / "2017-01")
    shutil.copytree(CITY / "2017-01", folder / "copy" / "2017-01")
    counts = cs.read_police_uk(folder)
    assert counts["count"].sum() == 483
    assert len(counts.quality) == 1
    [duplicate] = counts.attrs["duplicate_files"]
    assert duplicate["file"].endswith("copy/2017-01/2017-01-city-of-london-street.csv")
    assert duplicate["same_as"].endswith("download/2017-01/2017-01-city-of-london-street.csv")
    assert len(cs.read_police_uk_records(folder)) == 483


def test_corrupted_zip_member_names_the_member(tmp_path):
    target = zip_folder(CITY, tmp_path / "download.zip")
    data = bytearray(target.read_bytes())
    start = data.index(b"2017-01-city-of-london-street.csv") + 60
    data[start : start + 64] = b"\xff" * 64
    target.write_bytes(bytes(data))
    with pytest.raises(
        cs.SourceFormatError,
        match=r"download\.zip!2017-01/2017-01-city-of-london-street\.csv: (compressed data|not a readable zip)",
    ):
        cs.read_police_uk(target)


def test_unreadable_file_is_a_read_error_naming_it(tmp_path, monkeypatch):
    path = _write(tmp_path, STREET.read_text())
    real_open = open

    def refuse(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(cs.SourceReadError, match=r"street\.csv: cannot be read: Permission denied"):
        cs.read_police_uk(path)


@pytest.mark.parametrize("group_rows", [0, 1, 10**9])
def test_counts_are_the_same_however_rows_are_grouped_before_canonicalising(tmp_path, monkeypatch, group_rows):
    # Months arrive in order from a monthly tree; from folders named otherwise they may not.
    expected = cs.read_police_uk(CITY)
    files = sorted(CITY.rglob("*-street.csv"), reverse=True)
    for number, file in enumerate(files):
        (tmp_path / f"part-{number}").mkdir()
        shutil.copy(file, tmp_path / f"part-{number}" / file.name)
    monkeypatch.setattr("crimestats.io.street_counts.GROUP_ROWS", group_rows)
    pd.testing.assert_frame_equal(cs.read_police_uk(CITY), expected)
    shuffled = cs.read_police_uk(tmp_path)
    assert quality_of(shuffled)[0].file.endswith(files[0].name)  # the latest month came first
    pd.testing.assert_frame_equal(shuffled, expected)
