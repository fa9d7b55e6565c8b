from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimestats as cs

HEADER = (
    "Financial Year,Financial Quarter,Force Name,CSP Name,Offence Description,Offence Group,"
    "Offence Subgroup,Offence Code,Number of Offences\n"
)


def trc(counts, **where):
    rows = counts
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return int(cs.select(rows, "total recorded crime")["count"].sum())


def test_real_force_table_gives_west_midlands_total(home_office_pfa):
    assert trc(home_office_pfa, force="West Midlands") == 233393
    assert set(home_office_pfa["period_months"]) == {3}
    assert home_office_pfa["period_start"].min() == pd.Timestamp("2017-04-01")
    assert home_office_pfa["period_start"].max() == pd.Timestamp("2018-01-01")


def test_fraud_bodies_are_kept_outside_total_recorded_crime(home_office_pfa):
    fraud = home_office_pfa[home_office_pfa["category"] == "Fraud"]
    assert set(fraud["force"]) == {"Action Fraud", "CIFAS", "UK Finance", "Financial Fraud Action UK"}
    assert fraud["count"].sum() == 277033 + 276997 + 59367 + 24961
    assert trc(home_office_pfa, force="Action Fraud") == 0


def test_outcome_only_codes_and_negative_adjustments_are_kept(home_office_pfa):
    # "(outcome only)" codes are nearly always 0; the 2017/18 table has one such row holding 1.
    outcome_codes = ["28A", "28B", "28C", "28D", "29", "30A", "30B", "31"]
    outcome_only = home_office_pfa[home_office_pfa["offence_code"].isin(outcome_codes)]
    assert len(outcome_only) > 700
    assert outcome_only["count"].sum() == 1
    quality = home_office_pfa.quality[0]
    assert quality["negative_adjustments"] == {"rows": 36, "offences": -115}
    assert quality["rows_read"] == 23068


def test_scenario_csp_table_gives_wolverhampton_totals(scenario_csp):
    wolves = scenario_csp[scenario_csp["area_name"] == "Wolverhampton"]
    by_year = (
        cs.select(wolves, "total recorded crime")
        .groupby(cs.periods.financial_year_label(wolves["period_start"]))["count"]
        .sum()
    )
    assert by_year.to_dict() == {"2016/17": 18684, "2017/18": 21225}
    assert set(wolves["area_code"]) == {"E22000341"}


def _write_new_vintage(tmp_path: Path, suffix: str, areas: list[str] | None = None) -> Path:
    """The CSP table as a newer edition: renamed columns, one sheet per year, a notes sheet."""
    table = pd.read_csv(cs.datasets.path("scenario-csp"), dtype=str)
    if areas is not None:
        table = table[table["CSP Name"].isin(areas)]
    table = table.rename(columns={"Force Name": "Police Force", "Number of Offences": "Offence Count"})
    table["Offence Count"] = table["Offence Count"].astype(int)
    path = tmp_path / f"prc-csp{suffix}"
    engine = "odf" if suffix == ".ods" else "openpyxl"
    with pd.ExcelWriter(path, engine=engine) as writer:
        pd.DataFrame({"Notes": ["Police recorded crime, CSP level", "Source: Home Office"]}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        for year, part in table.groupby("Financial Year"):
            part.to_excel(writer, sheet_name=year.replace("/", "-"), index=False, startrow=2)
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_spreadsheet_editions_with_new_column_names_read_the_same(tmp_path, scenario_csp, suffix):
    # Two CSPs keep the .ods case quick (odfpy writes and reads slowly); the layout is the same.
    areas = ["Wolverhampton", "Dudley"]
    counts = cs.read_home_office(_write_new_vintage(tmp_path, suffix, areas))
    expected = scenario_csp[scenario_csp["area_name"].isin(areas)]
    pd.testing.assert_frame_equal(counts.reset_index(drop=True), expected.reset_index(drop=True), check_like=False)


def test_missing_or_renamed_column_names_the_file_and_column(tmp_path):
    path = tmp_path / "renamed.csv"
    path.write_text(HEADER.replace("Offence Code", "Crime Code") + "2017/18,1,West Midlands,Dudley,x,y,z,8N,3\n")
    with pytest.raises(cs.SourceFormatError, match=r"renamed\.csv.*offence_code.*'Offence Code'"):
        cs.read_home_office(path)


def test_non_numeric_count_names_its_row(tmp_path):
    path = tmp_path / "bad-count.csv"
    path.write_text(
        HEADER + "2017/18,1,West Midlands,Dudley,x,y,z,8N,3\n" + "2017/18,1,West Midlands,Dudley,x,y,z,45,three\n"
    )
    with pytest.raises(cs.SourceFormatError, match=r"bad-count\.csv, row 3, column 'Number of Offences'.*'three'"):
        cs.read_home_office(path)


@pytest.mark.parametrize("content", ["", HEADER])
def test_empty_file_or_header_only_raises(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(cs.SourceFormatError, match=r"empty\.csv"):
        cs.read_home_office(path)


def test_spreadsheet_without_the_table_raises(tmp_path):
    path = tmp_path / "notes.xlsx"
    pd.DataFrame({"Notes": ["nothing here"]}).to_excel(path, index=False)
    with pytest.raises(cs.SourceFormatError, match="no sheet holds a Home Office offence table"):
        cs.read_home_office(path)


def test_bad_quarter_and_year_raise(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "2017/18,5,West Midlands,Dudley,x,y,z,8N,3\n")
    with pytest.raises(cs.SourceFormatError, match=r"row 2.*quarter '5'"):
        cs.read_home_office(path)
    path.write_text(HEADER + "2017/19,1,West Midlands,Dudley,x,y,z,8N,3\n")
    with pytest.raises(cs.SourceFormatError, match="not a financial year"):
        cs.read_home_office(path)


rows = st.lists(
    st.tuples(
        st.sampled_from(["2016/17", "2017/18"]),
        st.integers(1, 4),
        st.sampled_from(["West Midlands", "Kent", "Atlantis Constabulary"]),
        st.sampled_from(["Wolverhampton", "Dudley", "Nowhere CSP", ""]),
        st.sampled_from(["8N", "45", "28E", "UK Finance", "ZZ9", "105A"]),
        st.integers(-3, 5000),
    ),
    min_size=1,
    max_size=60,
    # A published table lists each year, quarter, force, area and code once (repeats are refused).
    unique_by=lambda row: row[:5],
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_sum_of_counts_out_equals_sum_in_whatever_is_unknown(tmp_path_factory, table):
    path = tmp_path_factory.mktemp("ho") / "rows.csv"
    lines = [f"{y},{q},{f},{a},desc,grp,sub,{c}, {n} \n" for y, q, f, a, c, n in table]
    path.write_text(HEADER + "".join(lines))
    counts = cs.read_home_office(path)
    assert counts["count"].sum() == sum(n for *_, n in table)
    quality = counts.quality[0]
    unknown_code_total = sum(n for *_, c, n in table if c == "ZZ9")
    assert quality["unknown_offence_codes"].get("ZZ9", 0) == unknown_code_total
    assert counts.loc[counts["category"] == "Unclassified", "count"].sum() == unknown_code_total
    assert quality["unknown_forces"].get("Atlantis Constabulary", 0) == sum(
        n for _, _, f, *_, n in table if f.startswith("Atlantis")
    )


# Bad input (issue 16): duplicated rows and sheets are refused, never summed; counts are digits.

SAMPLE = cs.datasets.path("home-office-pfa-2017-18")


def _sample_lines(n=400):
    return SAMPLE.read_text().splitlines(keepends=True)[:n]


def test_duplicated_rows_are_refused_naming_the_row_and_the_row_repeated(tmp_path):
    lines = _sample_lines()
    path = tmp_path / "dup-rows.csv"
    path.write_text("".join(lines + lines[200:210]))
    with pytest.raises(cs.SourceFormatError, match=r"dup-rows\.csv, row 401: repeats .* of row 201 \(10 such rows\)"):
        cs.read_home_office(path)


def test_the_combined_homicide_code_may_repeat_once_per_code_it_combines(tmp_path):
    lines = _sample_lines()
    homicide = [line for line in lines[1:] if "1/4.1/4.10/4.2" in line]
    assert len(homicide) >= 4
    path = tmp_path / "ok.csv"
    path.write_text("".join(lines))
    assert cs.read_home_office(path)["count"].sum() > 0
    path.write_text("".join(lines + homicide[:1]))
    with pytest.raises(cs.SourceFormatError, match=r"row 401: repeats"):
        cs.read_home_office(path)


def test_same_table_on_two_sheets_is_refused_unless_a_sheet_is_chosen(tmp_path):
    table = pd.read_csv(SAMPLE, dtype=str, nrows=300)
    path = tmp_path / "two-sheets.xlsx"
    with pd.ExcelWriter(path) as writer:
        table.to_excel(writer, sheet_name="2017-18", index=False)
        table.to_excel(writer, sheet_name="Copy", index=False)
    with pytest.raises(cs.SourceFormatError, match=r"two-sheets\.xlsx: sheets '2017-18' and 'Copy' hold the same rows"):
        cs.read_home_office(path)
    one = cs.read_home_office(path, sheet="Copy")
    expected = pd.to_numeric(table["Number of Offences"].str.strip()).sum()
    assert one["count"].sum() == expected
    with pytest.raises(cs.SourceFormatError, match=r"no sheet 'Nope'"):
        cs.read_home_office(path, sheet="Nope")


@pytest.mark.parametrize("written", ["1e3", "1E3", "inf", "0x10", "1_000"])
def test_count_in_scientific_or_other_notation_is_refused(tmp_path, written):
    path = tmp_path / "sci.csv"
    path.write_text(
        HEADER + "2017/18,1,West Midlands,Dudley,x,y,z,8N,3\n" + f"2017/18,1,West Midlands,Dudley,x,y,z,45,{written}\n"
    )
    with pytest.raises(cs.SourceFormatError, match=rf"sci\.csv, row 3, column 'Number of Offences': count '{written}'"):
        cs.read_home_office(path)


def test_thousands_commas_and_decimal_zero_counts_still_read(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(
        HEADER + '2017/18,1,West Midlands,Dudley,x,y,z,8N," 1,234 "\n2017/18,1,West Midlands,Dudley,x,y,z,45,9.0\n'
    )
    assert cs.read_home_office(path)["count"].sum() == 1243


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t[: t.rfind(",") + 3], r"row 400: the last line has no line break \(file truncated\?\)"),
        (lambda t: t[: t.rfind(",")], r"row 400: 7 fields, expected 8 as in the header \(file truncated\?\)"),
        (lambda t: t.replace("\n", ",x\n", 3).replace(",x\n", "\n", 2), r"row 3: 9 fields, expected 8"),
        (lambda t: t.replace("Avon and Somerset", '"Avon and Somerset', 1), r"row \d+: a quoted field runs on"),
    ],
    ids=["cut-in-count", "cut-before-count", "extra-field", "unclosed-quote"],
)
def test_structural_faults_name_the_file_and_line(tmp_path, edit, message):
    path = tmp_path / "faulty.csv"
    path.write_text(edit("".join(_sample_lines())))
    with pytest.raises(cs.SourceFormatError, match=r"faulty\.csv, " + message):
        cs.read_home_office(path)


HO_2019_20 = (
    Path(__file__).resolve().parents[1] / "data" / "home-office" / "prc-pfa-2019-20-west-midlands-fraud-avon.csv"
)


def _check_2019_20(counts):
    assert trc(counts, force="West Midlands") == 260829
    quality = counts.quality[0]
    assert quality.details["fractional_counts"] == {"UK Finance": 4}
    assert quality.details["fractional_rounding"]["UK Finance"] == pytest.approx(-0.690824, abs=1e-6)
    assert "UK Finance: 4 fractional published counts rounded" in cs.quality_report(counts).to_text()
    uk_finance = counts[counts["force"] == "UK Finance"]
    assert (uk_finance["category"] == "Fraud").all() and trc(counts, force="UK Finance") == 0
    assert "Avon and Somerset" in set(counts["force"]) and "Avon & Somerset" not in set(counts["force"])
    assert not quality.unknown.get("forces")


def test_the_2019_20_sheet_with_fractional_uk_finance_counts_loads():
    _check_2019_20(cs.read_home_office(HO_2019_20))


@pytest.mark.shared
def test_the_real_2019_20_sheet_loads():
    from tests.conftest import shared_path

    counts = cs.read_home_office(shared_path("real", "home-office", "prc-pfa-mar2013-onwards-tables-2019-20-sheet.csv"))
    _check_2019_20(counts)
    assert counts["force"].nunique() == 47


def test_a_fraction_for_a_police_force_is_still_an_error_naming_its_row(tmp_path):
    path = tmp_path / "fraction.csv"
    path.write_text(HEADER + "2019/20,1,West Midlands,Dudley,x,y,z,8N,3.5\n")
    with pytest.raises(cs.SourceFormatError, match=r"row 2.*'3\.5' is not a whole number"):
        cs.read_home_office(path)


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_one_sheet_per_year_with_fractional_counts_is_read_in_one_call(tmp_path, suffix):
    newer = pd.read_csv(HO_2019_20, dtype=str)
    older = pd.read_csv(cs.datasets.path("home-office-pfa-2017-18"), dtype=str)
    older = older[older["Force Name"].str.strip().isin(["West Midlands", "UK Finance"])]
    path = tmp_path / f"prc-pfa{suffix}"
    with pd.ExcelWriter(path, engine="odf" if suffix == ".ods" else "openpyxl") as writer:
        pd.DataFrame({"Contents": ["2017-18", "2019-20"]}).to_excel(writer, sheet_name="Contents", index=False)
        for name, table in (("2017-18", older), ("2019-20", newer)):
            table = table.rename(columns={"Force Name": "Police Force", "Number of Offences": "Offence Count"})
            table["Offence Count"] = table["Offence Count"].str.strip().astype(float)
            table.to_excel(writer, sheet_name=name, index=False)
    counts = cs.read_home_office(path)
    assert trc(counts, force="West Midlands", period_months=3) == 233393 + 260829
    assert counts.quality[0].details["fractional_counts"] == {"UK Finance": 4}
