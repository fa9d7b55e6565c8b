import pandas as pd
import pytest

import crimestats as cs
from crimestats.schema import COLUMN_NAMES, aggregate


def _row(**overrides):
    row = {
        "period_start": pd.Timestamp("2017-04-01"),
        "period_months": 12,
        "force": "West Midlands",
        "area_code": "E22000341",
        "area_name": "Wolverhampton",
        "category": "Robbery",
        "offence_group": "Robbery",
        "offence_subgroup": None,
        "offence_code": None,
        "is_crime": True,
        "knife": None,
        "business": None,
        "domestic": None,
        "count": 5,
        "source": "extract",
    }
    row.update(overrides)
    return row


def test_valid_frame_passes_and_is_coerced_to_canonical_dtypes():
    frame = pd.DataFrame([_row()])
    out = cs.validate(frame)
    assert list(out.columns) == list(COLUMN_NAMES)
    assert str(out["count"].dtype) == "int64"
    assert str(out["knife"].dtype) == "boolean"


def test_validate_reports_every_problem_at_once():
    frame = pd.DataFrame(
        [
            _row(category="Not a category", count=-1, period_start=pd.Timestamp("2017-04-15")),
            _row(period_months=7, source="somewhere", force=None),
        ]
    ).drop(columns="is_crime")
    with pytest.raises(cs.SchemaError) as error:
        cs.validate(frame, source="bad.csv")
    cases = error.value.failure_cases
    checks = set(zip(cases["column"], cases["check"], strict=True))
    assert ("is_crime", "missing column") in checks
    assert ("category", "not a harmonised category") in checks
    assert ("count", "negative count from a record-level source") in checks
    assert ("period_start", "not the first day of a month") in checks
    assert ("period_months", "not 1, 3 or 12") in checks
    assert ("force", "missing value") in checks
    # The unknown source is reported once, on the row and with the value that is wrong.
    source = cases[cases["column"] == "source"]
    assert list(source["row"]) == [1]
    assert list(source["value"]) == ["somewhere"]
    assert source["check"].iloc[0].startswith("not a registered source")
    # Every problem once, nothing else: seven problems in the frame, seven failure cases.
    assert len(cases) == 7
    assert str(error.value).startswith("bad.csv:")


def test_a_date_of_another_dtype_is_still_checked_for_the_first_of_the_month():
    # A time zone's dates are not the canonical dtype, and one of them is mid-month: both said.
    starts = pd.to_datetime(["2017-04-15", "2017-05-01"]).tz_localize("Europe/London")
    frame = pd.DataFrame([_row(), _row()]).assign(period_start=starts)
    with pytest.raises(cs.SchemaError) as error:
        cs.validate(frame)
    cases = error.value.failure_cases
    dtype = f"dtype {frame['period_start'].dtype} is not datetime64[ns]"
    assert set(cases["check"]) == {dtype, "not the first day of a month"}
    assert list(cases.loc[cases["check"] == "not the first day of a month", "row"]) == [0]


def test_columns_already_of_their_dtype_are_taken_as_they_are():
    frame = cs.validate(pd.DataFrame([_row(), _row(category="Burglary")]))
    again = cs.validate(frame)
    pd.testing.assert_frame_equal(again, frame)
    assert again["category"].dtype == frame["category"].dtype


def test_negative_adjustments_are_allowed_for_published_tables():
    cs.validate(pd.DataFrame([_row(count=-2, source="home-office")]))


def test_aggregate_sums_counts_over_identical_dimensions_including_missing_values():
    frame = cs.validate(pd.DataFrame([_row(count=2), _row(count=3), _row(count=4, area_name=None)]))
    out = aggregate(frame)
    assert sorted(out["count"]) == [4, 5]
