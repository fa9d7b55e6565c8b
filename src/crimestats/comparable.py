"""Comparisons across data.police.uk's category changes (December 2010, September 2011, May 2013).

data.police.uk published 6 crime types from December 2010, 11 from September 2011 and 14 from May
2013 (see :data:`crimestats.taxonomy.POLICE_UK_CRIME_TYPE_SETS`). A comparison whose police.uk
rows fall in more than one set is made at the level of the oldest set involved: categories are
merged into the groups that set published ("Public order" + "Possession of weapons" = "Public
disorder and weapons"; before May 2013 "Other theft" includes bicycle theft and theft from the
person). A selection that is a union of whole groups at that level is comparable; one that is not
("Possession of weapons" against 2012) raises :class:`~crimestats.exceptions.SelectionError`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pandas as pd

from .exceptions import SelectionError
from .periods import Window
from .selections import Selection, resolve_selection
from .taxonomy import CATEGORIES, POLICE_UK_CRIME_TYPE_SETS, POLICE_UK_CRIME_TYPES, CrimeTypeSet, crime_type_set

logger = logging.getLogger(__name__)


def comparable_level(counts: pd.DataFrame, windows: Iterable[Window]) -> CrimeTypeSet | None:
    """The crime-type set a comparison of these windows must be made at, or None when no break is crossed.

    Only data.police.uk rows count: Home Office and ONS tables carry offence codes, whose
    categories do not change with data.police.uk's publication sets.

    Examples
    --------
    >>> import crimestats as cs
    >>> from crimestats.periods import to_window
    >>> counts = cs.read_police_uk(cs.datasets.path("police-uk-city-of-london-2017-01"))
    >>> comparable_level(counts, [to_window(("2017-01", "2017-01"))]) is None
    True
    """
    from .sources import all_sources

    # Only the months of the police.uk rows matter: the other columns are not copied.
    police_uk = counts.loc[counts["source"].isin({s.name for s in all_sources() if s.crime_types}), "period_start"]
    months = set()
    for window in windows:
        inside = police_uk.between(window.start, window.end, inclusive="left")
        months |= set(police_uk[inside].unique())
    sets = {crime_type_set(month).first_month: crime_type_set(month) for month in months}
    if len(sets) < 2:
        return None
    return sets[min(sets)]


def select_comparable(
    counts: pd.DataFrame, selection: str | Selection | Iterable[str], windows: Iterable[Window]
) -> tuple[pd.DataFrame, CrimeTypeSet | None]:
    """The rows of a selection, at the comparable level of the windows' category sets.

    Returns the selected rows (with ``category`` replaced by its comparable group when a break is
    crossed) and the level used (None: no break crossed, rows unchanged).

    Raises
    ------
    SelectionError
        When the selection cannot be made comparable: it splits a group of the older set, or
        needs offence detail (groups, codes, flags) that data.police.uk never carried.

    Examples
    --------
    >>> import crimestats as cs
    >>> from crimestats.periods import to_window
    >>> rows = pd.DataFrame({"period_start": pd.to_datetime(["2011-02-01", "2014-02-01"]), "source": "police.uk",
    ...                      "category": ["Violence and sexual offences", "Violence and sexual offences"], "count": 1})
    >>> chosen, level = select_comparable(rows, "Violence and sexual offences",
    ...                                   [to_window(("2011-02", "2011-02")), to_window(("2014-02", "2014-02"))])
    >>> len(chosen), level.name
    (2, 'December 2010')
    """
    windows = list(windows)
    rule = resolve_selection(selection)
    level = comparable_level(counts, windows)
    if level is None:
        return counts.loc[rule.mask(counts)], None
    if rule.flag is not None or rule.groups or rule.subgroups or rule.codes or not rule.categories:
        raise SelectionError(
            f"selection {rule.name!r} needs offence detail that data.police.uk rows do not carry, so it cannot be "
            f"compared across the {level.name} category set; select harmonised categories instead"
        )
    wanted = {level.groups.get(c, c) for c in rule.categories}
    members = {c for c in CATEGORIES if level.groups.get(c, c) in wanted}
    # A legacy category ("Public disorder and weapons") names its whole group; a current one
    # whose old namesake was wider ("Other theft" before May 2013) does not.
    current = {POLICE_UK_CRIME_TYPES[t] for t in POLICE_UK_CRIME_TYPE_SETS[-1].crime_types}
    selected = set(rule.categories) | {c for c in members if level.groups.get(c, c) in set(rule.categories) - current}
    partial = sorted(members - selected)
    if partial:
        groups = sorted({level.groups.get(c, c) for c in partial})
        whole = sorted(c for c in members if level.groups.get(c, c) in groups and c in current)
        legacy = [g for g in groups if g not in current]
        remedy = (
            f"select {', '.join(repr(g) for g in legacy)} instead"
            if legacy
            else f"compare them together instead (a crimestats.selections.Selection of the categories {whole})"
        )
        raise SelectionError(
            f"selection {rule.name!r} cannot be compared across data.police.uk's category changes: in the "
            f"{level.name} set it was counted within {', '.join(repr(g) for g in groups)} (with "
            f"{', '.join(c for c in partial if c in current)}); {remedy}"
        )
    grouped = counts.assign(category=level.group_of(counts["category"]))
    chosen = grouped.loc[grouped["category"].isin(wanted)]
    if sorted(wanted) != sorted(rule.categories):
        logger.info("comparing %s at the %s category level: %s", rule.name, level.name, sorted(wanted))
    return chosen, level
