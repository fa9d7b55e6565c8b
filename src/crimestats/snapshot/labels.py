"""How the snapshot names things in words: selections, peer groups, base years and sources."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..periods import FinancialYear, Window
from ..sources import label as source_label
from ..text import join_words, place

#: How a selection is named in a sentence (the subject when it opens one).
SENTENCE_LABELS = {
    "total recorded crime": "total recorded crime",
    "knife or sharp instrument offences": "offences involving a knife or sharp instrument",
    "victim-based crime": "victim-based crime",
    "vehicle offences": "vehicle offences",
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
