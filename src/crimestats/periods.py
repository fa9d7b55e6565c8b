"""Months, financial years (April to March), their quarters, and rolling 12-month windows.

A financial year is written "2017/18" by default; "2017-18" and "2016-2017" parse too, and any
label can be written in the style a report uses.
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

    ``period`` may be a financial year ("2017/18"), a calendar year ("2017"), a rolling
    12-month window ending in a month ("12m:2018-03", or a month with ``kind="rolling"``),
    a (start, end) pair of months inclusive, or a Window.
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
