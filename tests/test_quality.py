import pandas as pd

import crimestats as cs
from crimestats.quality import period_coverage
from tests.conftest import TEST_DATA

CITY = TEST_DATA / "police-uk" / "city-of-london"


def test_report_has_a_row_per_file_with_rows_read_and_counted():
    report = cs.quality_report(cs.read_police_uk(CITY))
    assert len(report.files) == 3
    assert (report.files["rows_read"] == report.files["rows_counted"]).all()
    assert report.files["asb_share"].between(0, 1).all()


def test_missing_months_are_reported_per_force():
    counts = cs.read_police_uk(CITY)
    gappy = cs.read_police_uk(CITY, months=["2017-01", "2017-03"])  # February's file not read: not covered
    assert (
        period_coverage(counts[counts["period_start"] != pd.Timestamp("2017-02-01")])["periods_missing"].iloc[0] == []
    )
    coverage = period_coverage(gappy).set_index("force")
    assert coverage.loc["London, City of", "periods_missing"] == ["2017-02"]
    assert (
        "missing 2017-02" in cs.QualityReport(cs.quality_report(counts).files, period_coverage(gappy), None).to_text()
    )


def test_home_office_report_lists_unknown_values(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "Financial Year,Financial Quarter,Force Name,Offence Code,Number of Offences\n"
        "2017/18,1,Kent,ZZ9,4\n2017/18,1,Kent,8N,5\n"
    )
    report = cs.quality_report(cs.read_home_office(path))
    assert report.files.loc[0, "unknown_values"] == {"unknown_offence_codes": {"ZZ9": 4}}


def test_a_missing_month_that_is_a_published_gap_is_named():
    frame = cs.validate(
        pd.DataFrame(
            {
                "period_start": pd.to_datetime(["2019-06-01", "2019-08-01"]),
                "period_months": 1,
                "force": "Greater Manchester",
                "category": "Burglary",
                "count": [5, 6],
                "source": "police.uk",
                "is_crime": True,
            }
        )
    )
    row = period_coverage(frame).iloc[0]
    assert row["periods_missing"] == ["2019-07"]
    assert "IT system" in row["known_gaps"]["2019-07"]
    text = cs.QualityReport(pd.DataFrame(), period_coverage(frame), None).to_text()
    assert "missing 2019-07 (known gaps: Greater Manchester Police" in text


def test_findings_a_reader_read_past_are_in_the_text_report(tmp_path):
    # Issue 16: rows of another force or month, bad coordinates and blank lines are reported, not silent.
    source = cs.datasets.path("police-uk-city-of-london-2017-01").read_text().splitlines(keepends=True)
    for number in range(1, 6):
        source[number] = source[number].replace(
            "City of London Police,City of London Police", "City of London Police,Metropolitan Police Service"
        )
    fields = source[10].split(",")
    fields[5] = "north"
    source[10] = ",".join(fields)
    path = tmp_path / "2017-01-city-of-london-street.csv"
    path.write_text("".join([*source[:20], "\n", *source[20:]]))
    report = cs.quality_report(cs.read_police_uk(path))
    text = report.to_text()
    assert "rows of other forces than the file's: {'Metropolitan Police': 5}" in text
    assert "coordinates that are not numbers (missing in records): {'Latitude': {'rows': 1, 'first_row': 11}}" in text
    assert "blank lines (skipped): 1" in text
