import gzip
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import crimestats as cs
from crimestats.periods import financial_year_label
from tests.conftest import REPO

MAPPING = REPO / "data" / "raw" / "mappings" / "west-midlands-extract.toml"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The first 3,000 rows of the scenario extract, as a plain CSV."""
    table = pd.read_csv(cs.datasets.path("scenario-extract"), dtype=str, nrows=3000)
    path = tmp_path_factory.mktemp("extract") / "sample.csv"
    table.to_csv(path, index=False)
    return path


def by_year(counts, selection, area="Wolverhampton"):
    rows = cs.select(counts[counts["area_name"] == area], selection)
    return rows.groupby(financial_year_label(rows["period_start"]))["count"].sum().to_dict()


def test_scenario_extract_reproduces_wolverhampton(scenario_extract):
    assert scenario_extract["count"].sum() == 439787
    assert by_year(scenario_extract, "total recorded crime") == {"2016/17": 18684, "2017/18": 21225}
    assert by_year(scenario_extract, "knife or sharp instrument offences") == {"2016/17": 182, "2017/18": 212}


def test_extract_agrees_with_the_csp_table_by_offence_and_quarter(scenario_extract, scenario_csp):
    def quarterly(counts):
        quarter = counts["period_start"].dt.to_period("Q-MAR").dt.start_time
        return counts.groupby([quarter, "area_name", "offence_code"])["count"].sum()

    table = quarterly(scenario_csp)
    extract = quarterly(scenario_extract)
    pd.testing.assert_series_equal(extract, table.loc[table != 0], check_names=False)


def test_shipped_mapping_is_the_documented_example():
    packaged = cs.datasets.path("scenario-extract-mapping").read_bytes()
    assert packaged == MAPPING.read_bytes()


def test_dict_mapping_equals_toml_mapping(sample):
    as_dict = tomllib.loads(MAPPING.read_text())
    pd.testing.assert_frame_equal(cs.read_extract(sample, as_dict), cs.read_extract(sample, MAPPING))


def test_gzip_and_xlsx_read_the_same(sample, tmp_path):
    gz = tmp_path / "sample.csv.gz"
    gz.write_bytes(gzip.compress(sample.read_bytes()))
    xlsx = tmp_path / "sample.xlsx"
    pd.read_csv(sample, dtype=str).to_excel(xlsx, index=False)
    plain = cs.read_extract(sample, MAPPING)
    pd.testing.assert_frame_equal(cs.read_extract(gz, MAPPING), plain)
    pd.testing.assert_frame_equal(cs.read_extract(xlsx, MAPPING), plain)


@pytest.mark.parametrize("method", ["lsoa_code", "ward"])
def test_area_by_lsoa_or_ward_places_crimes_in_the_same_csps(sample, method):
    mapping = tomllib.loads(MAPPING.read_text())
    mapping["area"]["by"] = method
    by_csp = cs.read_extract(sample, MAPPING).groupby("area_name")["count"].sum()
    other = cs.read_extract(sample, mapping)
    assert other.groupby("area_name")["count"].sum().to_dict() == by_csp.to_dict()


def test_unreadable_date_names_file_row_and_column(sample, tmp_path):
    table = pd.read_csv(sample, dtype=str)
    table.loc[41, "Date Recorded"] = "31/02/2017"
    path = tmp_path / "bad-date.csv"
    table.to_csv(path, index=False)
    with pytest.raises(cs.SourceFormatError, match=r"bad-date\.csv, row 43, column 'Date Recorded'.*'31/02/2017'"):
        cs.read_extract(path, MAPPING)


def test_mapping_naming_a_missing_column(sample):
    mapping = tomllib.loads(MAPPING.read_text())
    mapping["columns"]["knife"] = "Knife Flag"
    with pytest.raises(cs.SourceFormatError, match=r"sample\.csv: mapping <dict> names columns .*'Knife Flag'"):
        cs.read_extract(sample, mapping)


def test_bad_mappings_are_refused(sample):
    mapping = tomllib.loads(MAPPING.read_text())
    mapping["columns"]["colour"] = "Colour"
    with pytest.raises(cs.SourceFormatError, match="unknown meanings"):
        cs.read_extract(sample, mapping)
    mapping = tomllib.loads(MAPPING.read_text())
    mapping["area"]["by"] = "postcode"
    with pytest.raises(cs.SourceFormatError, match="by = 'postcode'"):
        cs.read_extract(sample, mapping)


def test_unknown_codes_flags_and_areas_are_counted_and_reported(sample, tmp_path):
    table = pd.read_csv(sample, dtype=str)
    table.loc[:4, "Offence Code"] = "ZZ1"
    table.loc[:4, "Offence Description"] = "Something new"
    table.loc[5:6, "Knife Or Sharp Instrument"] = "maybe"
    table.loc[7:9, "CSP"] = "Atlantis"
    path = tmp_path / "odd.csv"
    table.to_csv(path, index=False)
    counts = cs.read_extract(path, MAPPING)
    assert counts["count"].sum() == 3000
    quality = counts.quality[0]
    assert quality["unknown_offence_codes"] == {"ZZ1": 5}
    assert quality["unknown_flag_values"] == {"Knife Or Sharp Instrument": {"maybe": 2}}
    assert quality["rows_no_area"] == {"unknown CSP": 3}
    assert counts.loc[counts["category"] == "Unclassified", "count"].sum() == 5
    assert counts.loc[counts["area_name"].isna(), "count"].sum() == 3


def test_empty_extract(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(cs.SourceFormatError, match="empty"):
        cs.read_extract(path, MAPPING)


# Bad input (issue 16): dates checked against the mapping, structure checked, faults named.


def _us_dates(table: pd.DataFrame) -> pd.DataFrame:
    """The sample as a month-first file whose every day is 12 or less (so %d/%m/%Y parses every row)."""
    dates = pd.to_datetime(table["Date Recorded"], format="%d/%m/%Y")
    table = table[dates.dt.day <= 12].copy()
    table["Date Recorded"] = pd.to_datetime(table["Date Recorded"], format="%d/%m/%Y").dt.strftime("%m/%d/%Y")
    return table


def test_us_format_dates_outside_the_declared_coverage_are_refused(sample, tmp_path):
    table = _us_dates(pd.read_csv(sample, dtype=str))
    path = tmp_path / "us-dates.csv"
    table.to_csv(path, index=False)
    with pytest.raises(
        cs.SourceFormatError,
        match=r"us-dates\.csv, row \d+, column 'Date Recorded': [\d,]+ dates fall outside the months the mapping "
        r"covers \(2016-04 to 2018-03\).*day and month swapped",
    ):
        cs.read_extract(path, MAPPING)


def test_us_format_dates_without_coverage_are_reported_as_ambiguous(sample, tmp_path):
    table = _us_dates(pd.read_csv(sample, dtype=str))
    path = tmp_path / "us-dates.csv"
    table.to_csv(path, index=False)
    mapping = tomllib.loads(MAPPING.read_text())
    del mapping["extract"]["covers"]
    counts = cs.read_extract(path, mapping)
    assert counts["count"].sum() == len(table)
    assert "every day in column 'Date Recorded' is 12 or less" in counts.quality[0]["dates_ambiguous"]
    # A genuine day-first file does not trigger it.
    assert "dates_ambiguous" not in cs.read_extract(sample, mapping).quality[0].details


@pytest.mark.parametrize("covers", [["2016-13", "2018-03"], ["2018-03", "2016-04"], "2016-04"])
def test_malformed_coverage_is_refused(sample, covers):
    mapping = tomllib.loads(MAPPING.read_text())
    mapping["extract"]["covers"] = covers
    with pytest.raises(cs.SourceFormatError, match=r"\[extract\] covers"):
        cs.read_extract(sample, mapping)


def test_unclosed_quote_swallowing_lines_is_refused(sample, tmp_path):
    lines = sample.read_text().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if line.count('"') == 2)
    closing = lines[number].rindex('"')
    lines[number] = lines[number][:closing] + lines[number][closing + 1 :]  # a closing quote removed
    path = tmp_path / "quote.csv"
    path.write_text("".join(lines))
    with pytest.raises(
        cs.SourceFormatError, match=rf"quote\.csv, row {number + 1}: a quoted field runs on past the end"
    ):
        cs.read_extract(path, MAPPING)


def test_truncated_gzip_and_unreadable_files_name_the_file(sample, tmp_path):
    data = gzip.compress(sample.read_bytes())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(cs.SourceFormatError, match=r"cut\.csv\.gz: compressed data ends early"):
        cs.read_extract(cut, MAPPING)
    garbled = tmp_path / "garbled.csv.gz"
    garbled.write_bytes(data[:40] + bytes(200) + data[240:])
    with pytest.raises(cs.SourceFormatError, match=r"garbled\.csv\.gz: "):
        cs.read_extract(garbled, MAPPING)
    renamed = tmp_path / "not-a-workbook.xlsx"
    renamed.write_bytes(sample.read_bytes())
    with pytest.raises(cs.SourceFormatError, match=r"not-a-workbook\.xlsx: not a readable xlsx workbook"):
        cs.read_extract(renamed, MAPPING)


def test_blank_lines_are_reported_and_rows_accounted(sample, tmp_path):
    lines = sample.read_text().splitlines(keepends=True)
    path = tmp_path / "blank.csv"
    path.write_text("".join([*lines[:50], "\n", "\n", *lines[50:]]))
    counts = cs.read_extract(path, MAPPING)
    assert counts["count"].sum() == len(lines) - 1
    assert counts.quality[0]["blank_lines"] == 2


def test_quoted_line_breaks_are_refused_unless_the_mapping_allows_them(sample, tmp_path):
    table = pd.read_csv(sample, dtype=str)
    table.loc[10, "Ward"] = "Two\nlines"
    path = tmp_path / "free-text.csv"
    table.to_csv(path, index=False)
    with pytest.raises(cs.SourceFormatError, match=r"free-text\.csv, row 12: a quoted field runs on"):
        cs.read_extract(path, MAPPING)
    mapping = tomllib.loads(MAPPING.read_text())
    mapping["extract"]["multiline_fields"] = True
    assert cs.read_extract(path, mapping)["count"].sum() == len(table)
