import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crimestats.exceptions import PeriodError
from crimestats.periods import FinancialYear, parse_month, rolling_12_months, to_window

years = st.integers(min_value=1990, max_value=2098)
styles = st.sampled_from(["slash", "dash", "long", "long-slash"])


@given(years, styles)
def test_financial_year_label_round_trips(start_year, style):
    fy = FinancialYear(start_year)
    assert FinancialYear.parse(fy.label(style)) == fy


@given(st.dates(min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2090-12-31").date()))
def test_every_date_falls_in_the_financial_year_containing_it(date):
    fy = FinancialYear.containing(pd.Timestamp(date))
    assert fy.start <= pd.Timestamp(date) < fy.end


@given(st.integers(min_value=1990, max_value=2090), st.integers(min_value=1, max_value=12))
def test_month_parse_round_trips_and_rolling_window_is_twelve_months(year, month):
    label = f"{year:04d}-{month:02d}"
    assert parse_month(label) == pd.Timestamp(year, month, 1)
    window = rolling_12_months(label)
    assert window.months == 12
    assert window.end == pd.Timestamp(year, month, 1) + pd.DateOffset(months=1)


def test_report_spellings():
    assert FinancialYear.parse("2016-2017").label() == "2016/17"
    assert FinancialYear.parse("2017-18").label("long") == "2017-2018"
    assert FinancialYear(2017).quarter_start(4) == pd.Timestamp("2018-01-01")


@pytest.mark.parametrize("bad", ["2017/19", "2017", "17/18", "2017-2019", "abc", ""])
def test_bad_financial_years_raise(bad):
    with pytest.raises(PeriodError):
        FinancialYear.parse(bad)


@pytest.mark.parametrize("bad", ["2017-13", "2017/01", "Jan 2017", "2017-00"])
def test_bad_months_raise(bad):
    with pytest.raises(PeriodError):
        parse_month(bad)


def test_windows_for_calendar_and_month_ranges():
    assert to_window("2017").months == 12
    assert to_window(("2017-01", "2017-06")).months == 6
    assert to_window("12m:2018-03").start == pd.Timestamp("2017-04-01")
    with pytest.raises(PeriodError):
        FinancialYear(2017).quarter_start(5)
