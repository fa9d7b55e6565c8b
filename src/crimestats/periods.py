"""Months, financial years (April to March), their quarters, and rolling 12-month windows.

A financial year is written "2017/18" by default; "2017-18" and "2016-2017" parse too, and any
label can be written in the style a report uses. Periods as report authors say them:

- ``"2017/18"`` a financial year, ``"2017"`` a calendar year;
- ``"2017/18 Q3"`` (or ``"Q3 2017/18"``) a quarter of a financial year (Q1 is April to June);
- ``"12m:2018-03"`` the 12 months to March 2018;
- ``"latest"`` the latest complete financial year in the data and ``"latest-12-months"`` the
  latest 12 complete months in the data (:func:`resolve_period`, which needs the counts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from .exceptions import PeriodError

YearStyle = Literal["slash", "dash", "long", "long-slash"]

_FY_PATTERN = re.compile(r"^\s*(?:FY\s*)?(\d{4})\s*[/\-–]\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)
_MONTH_PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-01)?\s*$")
_QUARTER_PATTERNS = (
    re.compile(r"^\s*(?P<year>\S+?)\s*[ :]\s*Q(?P<q>[1-4])\s*$", re.IGNORECASE),
    re.compile(r"^\s*Q(?P<q>[1-4])\s*[ :]\s*(?P<year>\S+)\s*$", re.IGNORECASE),
)
#: The periods that depend on the data, resolved by :func:`resolve_period`.
LATEST_YEAR, LATEST_12_MONTHS = "latest", "latest-12-months"


@dataclass(frozen=True, order=True)
class FinancialYear:
    """A UK financial year, April of ``start_year`` to March of the next.

    Examples
    --------
    >>> fy = FinancialYear.parse("2016-2017")
    >>> fy.label(), fy.label("long"), str(fy.start.date()), str(fy.end.date())
    ('2016/17', '2016-2017', '2016-04-01', '2017-04-01')
    """

    start_year: int

    @classmethod
    def parse(cls, label: str | FinancialYear) -> FinancialYear:
        """Parse "2017/18", "2017-18", "2016-2017", "2016/2017" or "FY2017/18"."""
        if isinstance(label, FinancialYear):
            return label
        match = _FY_PATTERN.match(str(label))
        if not match:
            raise PeriodError(f"{label!r} is not a financial year (expected e.g. '2017/18' or '2016-2017')")
        first, second = int(match.group(1)), match.group(2)
        expected = first + 1
        ok = int(second) == expected if len(second) == 4 else int(second) == expected % 100
        if not ok:
            raise PeriodError(f"{label!r} is not a financial year: the second year must follow {first}")
        return cls(first)

    @classmethod
    def containing(cls, date: pd.Timestamp | str) -> FinancialYear:
        """The financial year a date falls in."""
        date = pd.Timestamp(date)
        return cls(date.year if date.month >= 4 else date.year - 1)

    @property
    def start(self) -> pd.Timestamp:
        """First day (1 April)."""
        return pd.Timestamp(self.start_year, 4, 1)

    @property
    def end(self) -> pd.Timestamp:
        """First day after the year (1 April of the next year): ranges are half-open."""
        return pd.Timestamp(self.start_year + 1, 4, 1)

    def label(self, style: YearStyle = "slash") -> str:
        """Write the year as "2017/18" (slash), "2017-18" (dash), "2017-2018" (long) or "2017/2018"."""
        end = self.start_year + 1
        if style == "slash":
            return f"{self.start_year}/{end % 100:02d}"
        if style == "dash":
            return f"{self.start_year}-{end % 100:02d}"
        if style == "long":
            return f"{self.start_year}-{end}"
        if style == "long-slash":
            return f"{self.start_year}/{end}"
        raise PeriodError(f"unknown financial-year style {style!r}")

    def quarter_start(self, quarter: int) -> pd.Timestamp:
        """First day of quarter 1-4 of this year (Q1 is April to June)."""
        if quarter not in (1, 2, 3, 4):
            raise PeriodError(f"financial quarter must be 1 to 4, not {quarter!r}")
        return self.start + pd.DateOffset(months=3 * (quarter - 1))

    def previous(self) -> FinancialYear:
        """The year before."""
        return FinancialYear(self.start_year - 1)

    def __str__(self) -> str:
        return self.label()


def parse_month(label: str | pd.Timestamp) -> pd.Timestamp:
    """Parse a month label "2017-01" (as data.police.uk writes it) to its first day.

    Examples
    --------
    >>> parse_month("2018-07")
    Timestamp('2018-07-01 00:00:00')
    """
    if isinstance(label, pd.Timestamp):
        return label.normalize().replace(day=1)
    match = _MONTH_PATTERN.match(str(label))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PeriodError(f"{label!r} is not a month (expected YYYY-MM)")
    return pd.Timestamp(int(match.group(1)), int(match.group(2)), 1)


def month_label(month: pd.Timestamp) -> str:
    """The "YYYY-MM" label of a month (what ``f"{month:%Y-%m}"`` gives, at a tenth of strftime's cost).

    Examples
    --------
    >>> month_label(parse_month("2018-07"))
    '2018-07'
    """
    return f"{month.year:04d}-{month.month:02d}"


@dataclass(frozen=True)
class Window:
    """A half-open date range [start, end) made of whole months, with a label for text and charts."""

    start: pd.Timestamp
    end: pd.Timestamp
    label: str

    @property
    def months(self) -> int:
        """Length in whole months."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month


def rolling_12_months(end_month: str | pd.Timestamp) -> Window:
    """The 12 months ending with (and including) ``end_month``.

    Examples
    --------
    >>> w = rolling_12_months("2018-03")
    >>> str(w.start.date()), str(w.end.date()), w.label
    ('2017-04-01', '2018-04-01', '12 months to March 2018')
    """
    last = parse_month(end_month)
    end = last + pd.DateOffset(months=1)
    start = end - pd.DateOffset(months=12)
    return Window(start, end, f"12 months to {last:%B %Y}")


def to_window(period: str | FinancialYear | Window | tuple[str, str], *, kind: str = "auto") -> Window:
    """Turn a period description into a :class:`Window`.

    ``period`` may be a financial year ("2017/18"), a calendar year ("2017"), a quarter of a
    financial year ("2017/18 Q3"), a rolling 12-month window ending in a month ("12m:2018-03", or
    a month with ``kind="rolling"``), a (start, end) pair of months inclusive, or a Window.
    "latest" and "latest-12-months" depend on the data: see :func:`resolve_period`.

    Examples
    --------
    >>> to_window("2017/18 Q3").label
    'Q3 2017/18'
    >>> str(to_window("Q1 2016-17").start.date()), to_window("Q1 2016-17").months
    ('2016-04-01', 3)
    """
    if isinstance(period, Window):
        return period
    if isinstance(period, FinancialYear):
        return Window(period.start, period.end, period.label())
    if isinstance(period, tuple):
        first, last = (parse_month(p) for p in period)
        if last < first:
            raise PeriodError(f"period {period!r} ends before it starts")
        return Window(first, last + pd.DateOffset(months=1), f"{first:%b %Y} to {last:%b %Y}")
    text = str(period).strip()
    if text.lower() in (LATEST_YEAR, LATEST_12_MONTHS):
        raise PeriodError(f"{text!r} depends on the data: use resolve_period(period, counts)")
    quarter = next((m for m in (p.match(text) for p in _QUARTER_PATTERNS) if m), None)
    if quarter is not None:
        fy = FinancialYear.parse(quarter.group("year"))
        q = int(quarter.group("q"))
        start = fy.quarter_start(q)
        return Window(start, start + pd.DateOffset(months=3), f"Q{q} {fy.label()}")
    if kind == "rolling" or text.lower().startswith("12m:"):
        return rolling_12_months(text.split(":", 1)[-1])
    if re.fullmatch(r"\d{4}", text) and kind in ("auto", "calendar"):
        year = int(text)
        return Window(pd.Timestamp(year, 1, 1), pd.Timestamp(year + 1, 1, 1), text)
    fy = FinancialYear.parse(text)
    return Window(fy.start, fy.end, fy.label())


def financial_year_label(dates: pd.Series, style: YearStyle = "slash") -> pd.Series:
    """Label each date with its financial year ("2017/18"), vectorised."""
    start_year = dates.dt.year - (dates.dt.month < 4).astype(int)
    labels = {year: FinancialYear(int(year)).label(style) for year in start_year.dropna().unique()}
    return start_year.map(labels).astype("string")


def data_months(counts: pd.DataFrame) -> pd.DatetimeIndex:
    """Every month some row of ``counts`` falls in (a quarterly row gives its three months), in order.

    Examples
    --------
    >>> frame = pd.DataFrame({"period_start": pd.to_datetime(["2017-01-01", "2017-04-01"]), "period_months": [3, 1]})
    >>> [f"{m:%Y-%m}" for m in data_months(frame)]
    ['2017-01', '2017-02', '2017-03', '2017-04']
    """
    spans = counts[["period_start", "period_months"]].drop_duplicates()
    months: set[pd.Timestamp] = set()
    for start, length in zip(spans["period_start"], spans["period_months"], strict=True):
        months.update(pd.date_range(start, periods=int(length), freq="MS"))
    return pd.DatetimeIndex(sorted(months))


def complete_financial_years(months: pd.DatetimeIndex) -> list[FinancialYear]:
    """The financial years of which every month is in ``months``, in order."""
    have = set(months)
    years = sorted({FinancialYear.containing(m) for m in months})
    return [fy for fy in years if all(m in have for m in pd.date_range(fy.start, periods=12, freq="MS"))]


def describe_data_periods(months: pd.DatetimeIndex) -> str:
    """What periods ``months`` can answer, for an error message: "April 2016 to March 2018 (2016/17, 2017/18)"."""
    if len(months) == 0:
        return "no months at all"
    years = complete_financial_years(months)
    span = f"{months.min():%B %Y} to {months.max():%B %Y}"
    listed = ", ".join(fy.label() for fy in years) if years else "no complete financial year"
    return f"{span} (financial years: {listed})"


def resolve_period(period: str | FinancialYear | Window | tuple[str, str], counts: pd.DataFrame) -> Window:
    """A period as :func:`to_window` reads it, with "latest" and "latest-12-months" taken from the data.

    - ``"latest"``: the latest financial year of which the data holds every month;
    - ``"latest-12-months"``: the 12 months ending with the latest month in the data.

    Any other period must lie inside the data's months: a period the data does not hold is a
    :class:`PeriodError` naming the years that exist.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> resolve_period("latest", counts).label
    '2017/18'
    >>> resolve_period("latest-12-months", counts).label
    '12 months to March 2018'
    >>> resolve_period("2019/20", counts)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crimestats.exceptions.PeriodError: 2019/20 is not in the data, which holds April 2016 to March 2018 (...)
    """
    months = data_months(counts)
    text = period.strip().lower() if isinstance(period, str) else None
    if text == LATEST_YEAR:
        years = complete_financial_years(months)
        if not years:
            raise PeriodError(f"no complete financial year in the data, which holds {describe_data_periods(months)}")
        return to_window(years[-1])
    if text == LATEST_12_MONTHS:
        if len(months) == 0:
            raise PeriodError("the data holds no months")
        return rolling_12_months(months.max())
    window = to_window(period)
    check_in_data(window, months)
    return window


def check_in_data(window: Window, months: pd.DatetimeIndex, *, role: str = "") -> None:
    """Raise :class:`PeriodError` unless every month of ``window`` is in ``months``, naming what exists."""
    wanted = pd.date_range(window.start, periods=window.months, freq="MS")
    absent = wanted.difference(months)
    if len(absent) == len(wanted):
        raise PeriodError(f"{role}{window.label} is not in the data, which holds {describe_data_periods(months)}")
    if len(absent):
        raise PeriodError(
            f"{role}{window.label} is only partly in the data (no {', '.join(f'{m:%Y-%m}' for m in absent[:6])}"
            f"{', ...' if len(absent) > 6 else ''}); the data holds {describe_data_periods(months)}"
        )
