"""How the snapshot names things in words: selections, peer groups, base years and sources."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from ..periods import FinancialYear, Window
from ..sources import label as source_label
from ..text import join_words, place

#: How a selection is named in a sentence (the subject when it opens one).
#: Only names that read differently are listed (the P1 lines are written once, in package data).
SENTENCE_LABELS = {
    "knife or sharp instrument offences": "offences involving a knife or sharp instrument",
}


#: Source names as a chart's source line writes them.
def selection_label(selection: str) -> str:
    """A selection as a sentence names it ("offences involving a knife or sharp instrument").

    Examples
    --------
    >>> selection_label("knife or sharp instrument offences")
    'offences involving a knife or sharp instrument'
    >>> selection_label("Burglary")
    'Burglary'
    """
    return SENTENCE_LABELS.get(selection.lower(), selection)


def peers_phrase(peers: str | Sequence[str]) -> str:
    """A peer group as it reads after "across": "the West Midlands", "its peer areas".

    Examples
    --------
    >>> peers_phrase("West Midlands"), peers_phrase(["Dudley", "Walsall"])
    ('the West Midlands', 'its peer areas')
    """
    return place(peers) if isinstance(peers, str) else "its peer areas"


def report_label(window: Window) -> str:
    """A base year as reports write it after "since": "2016-2017".

    Examples
    --------
    >>> from crimestats.periods import to_window
    >>> report_label(to_window("2016/17")), report_label(to_window("2017"))
    ('2016-2017', '2017')
    """
    if window.months == 12 and window.start.month == 4:
        return FinancialYear(window.start.year).label("long")
    return window.label


def _is_rolling(window: Window) -> bool:
    return window.label.startswith("12 months to ")


def period_phrase(base: Window, current: Window) -> str:
    """The comparison as a report words it after "saw a 13.6% upturn in total recorded crime".

    "since 2016-2017" for financial or calendar years; "in the 12 months to March 2024 compared
    with the previous 12 months" for rolling windows; "in Q3 2017/18 compared with Q3 2016/17"
    otherwise.

    Examples
    --------
    >>> from crimestats.periods import to_window
    >>> period_phrase(to_window("2016/17"), to_window("2017/18"))
    'since 2016-2017'
    >>> period_phrase(to_window("12m:2023-03"), to_window("12m:2024-03"))
    'in the 12 months to March 2024 compared with the previous 12 months'
    >>> period_phrase(to_window("12m:2022-03"), to_window("12m:2024-03"))
    'in the 12 months to March 2024 compared with the 12 months to March 2022'
    >>> period_phrase(to_window("2016/17 Q3"), to_window("2017/18 Q3"))
    'in Q3 2017/18 compared with Q3 2016/17'
    """
    years = base.months == current.months == 12 and not _is_rolling(base) and not _is_rolling(current)
    if years and base.start.month == current.start.month:
        return f"since {report_label(base)}"
    if _is_rolling(current):
        before = "the previous 12 months" if base.end == current.start else f"the {base.label}"
        return f"in the {current.label} compared with {before}"
    return f"in {report_label(current)} compared with {report_label(base)}"


def period_title(base: Window, current: Window) -> str:
    """The comparison in a chart title, short enough not to wrap: "2016/17 to 2017/18".

    Examples
    --------
    >>> from crimestats.periods import to_window
    >>> period_title(to_window("12m:2017-12"), to_window("12m:2018-12"))
    '12 months to Dec 2018 vs the 12 before'
    >>> period_title(to_window("2016/17"), to_window("2017/18"))
    '2016/17 to 2017/18'
    """
    if _is_rolling(base) and _is_rolling(current):
        last = f"12 months to {current.end - pd.DateOffset(days=1):%b %Y}"
        before = "the 12 before" if base.end == current.start else f"to {base.end - pd.DateOffset(days=1):%b %Y}"
        return f"{last} vs {before}"
    return f"{base.label} to {current.label}"


def source_note(sources: Iterable[str]) -> str:
    """The source line under every chart, naming the counts' sources.

    Labels come from the source registry, so a registered source is named without other changes.

    Examples
    --------
    >>> source_note(["police.uk", "home-office"]).split(". ")[0]
    'Source: Home Office police recorded crime and data.police.uk'
    """
    names = [source_label(s) for s in sorted(set(sources))]
    return f"Source: {join_words(names)}. Open Government Licence v3.0. Produced with crimestats."
