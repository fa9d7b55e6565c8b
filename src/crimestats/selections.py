"""Named selections ("total recorded crime", "vehicle offences", ONS reporting lines) and ``select()``.

A selection is a rule on canonical columns, not a new column: rows match when their category,
offence group, subgroup or code is listed (less any excluded codes), or when a flag is set.
Selections finer than the harmonised category refuse counts that lack the needed detail
(e.g. "violence with injury" from data.police.uk) rather than silently returning a partial sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from .exceptions import SelectionError, UnknownSelectionError
from .schema import FLAGS
from .taxonomy import ANTI_SOCIAL_BEHAVIOUR, CATEGORIES, FRAUD, P1Line, _offences, categories_where, p1_lines


@dataclass(frozen=True)
class Selection:
    """A named rule selecting rows of a counts frame."""

    name: str
    description: str
    categories: frozenset[str] = field(default_factory=frozenset)
    groups: frozenset[str] = field(default_factory=frozenset)
    subgroups: frozenset[str] = field(default_factory=frozenset)
    codes: frozenset[str] = field(default_factory=frozenset)
    exclude_codes: frozenset[str] = field(default_factory=frozenset)
    flag: str | None = None

    def mask(self, counts: pd.DataFrame) -> pd.Series:
        """Boolean mask of the rows this selection takes; raises if the counts lack the detail."""
        if self.flag is not None:
            self._check_flag(counts)
            return counts[self.flag].fillna(False).astype(bool)
        self._check_detail(counts)
        mask = pd.Series(False, index=counts.index)
        for column, values in (
            ("category", self.categories),
            ("offence_group", self.groups),
            ("offence_subgroup", self.subgroups),
            ("offence_code", self.codes),
        ):
            if values:
                mask |= counts[column].isin(values).fillna(False).astype(bool)
        if self.exclude_codes:
            mask &= ~counts["offence_code"].isin(self.exclude_codes).fillna(False).astype(bool)
        return mask

    def _check_flag(self, counts: pd.DataFrame) -> None:
        """A source or force whose rows never carry the flag cannot make this selection: an error, not zero rows.

        Checked per source and force: one force's extract without the column must not read as
        that force having no flagged offences.
        """
        if counts.empty:
            return
        keys = [counts["source"].astype("string"), counts["force"].astype("string")]
        lacking = counts[self.flag].isna().groupby(keys, observed=True).all()
        lacking = sorted(lacking[lacking].index)
        if lacking:
            which = "; ".join(f"{source} for {force}" for source, force in lacking[:5])
            raise SelectionError(
                f"selection {self.name!r} needs the {self.flag} flag, which the source(s) do not carry: {which} "
                f"(a force extract with a {self.flag} column does)"
            )

    def _check_detail(self, counts: pd.DataFrame) -> None:
        finer = [(c, v) for c, v in (("offence_group", self.groups), ("offence_subgroup", self.subgroups)) if v]
        if self.codes and not (self.groups or self.subgroups):
            finer.append(("offence_code", self.codes))
        if not finer:
            return
        # Categories that hold at least one offence this selection takes: rows there must say which.
        table = _offences()
        hit = pd.Series(False, index=table.index)
        for column, values in finer:
            hit |= table[column].isin(values)
        hit |= table["offence_code"].isin(self.codes)
        candidates = set(table.loc[hit, "category"])
        needed = [column for column, _ in finer]
        lacking = counts["category"].isin(candidates) & counts[needed].isna().all(axis=1)
        if "offence_group" not in needed:
            # A row whose group rules it out (P1's "Sexual offences" for "homicide") is not ambiguous.
            groups = set(table.loc[hit, "offence_group"])
            lacking &= counts["offence_group"].isna() | counts["offence_group"].isin(groups)
        if lacking.any():
            sources = sorted(counts.loc[lacking, "source"].dropna().unique())
            raise SelectionError(
                f"selection {self.name!r} needs {' or '.join(needed)}, which {lacking.sum()} rows "
                f"(source: {', '.join(sources)}) do not carry; select a harmonised category instead"
            )


def _sel(name: str, description: str, **rules: Iterable[str] | str | None) -> Selection:
    frozen = {key: (frozenset(value) if key != "flag" else value) for key, value in rules.items()}
    return Selection(name=name, description=description, **frozen)  # type: ignore[arg-type]


_RULES = {"category": "categories", "offence_group": "groups", "offence_subgroup": "subgroups"}


def _p1_selection(line: P1Line) -> Selection:
    """The selection of an ONS P1 line, from its row in ``data/ons_lines.csv``."""
    if line.select_by in _RULES:
        rules: dict[str, Iterable[str]] = {_RULES[line.select_by]: (getattr(line, line.select_by),)}
    else:  # a Category flag: "in_total_recorded_crime", "theft"
        rules = {"categories": categories_where(line.select_by)}
    taken = frozenset().union(*(other.codes for other in p1_lines() if other.codes_taken_from == line.name))
    return _sel(line.name, line.description, codes=line.codes, exclude_codes=taken, **rules)


_TOTAL = categories_where("in_total_recorded_crime")

SELECTIONS: dict[str, Selection] = {
    s.name: s
    for s in (
        *(_p1_selection(line) for line in p1_lines()),
        _sel(
            "total recorded crime including fraud",
            "total recorded crime plus fraud recorded by national bodies",
            categories=(*_TOTAL, FRAUD),
        ),
        _sel(
            "victim-based crime",
            "offences with a direct victim (ONS definition)",
            categories=categories_where("victim_based"),
        ),
        _sel(
            "other crimes against society",
            "drugs, weapons, public order and miscellaneous crimes",
            categories=categories_where("victim_based", False),
        ),
        _sel("rape", "rape offences", subgroups=("Rape offences",)),
        _sel("fraud", "fraud recorded by Action Fraud, CIFAS and UK Finance", categories=(FRAUD,)),
        _sel(
            "anti-social behaviour",
            "anti-social behaviour incidents (data.police.uk)",
            categories=(ANTI_SOCIAL_BEHAVIOUR,),
        ),
        _sel(
            "knife or sharp instrument offences",
            "offences flagged as involving a knife or sharp instrument",
            flag="knife",
        ),
        _sel("business crime", "offences flagged as business crime", flag="business"),
        _sel("domestic abuse", "offences flagged as domestic abuse related", flag="domestic"),
    )
}
_ALIASES = {
    "trc": "total recorded crime",
    "knife crime": "knife or sharp instrument offences",
    "knife": "knife or sharp instrument offences",
    "business": "business crime",
    "domestic": "domestic abuse",
    # A P1 line is also known by its P1 heading ("miscellaneous crimes") and, when it is one Home
    # Office subgroup, by that subgroup's name ("domestic burglary" for "residential burglary").
    **{line.label: line.name for line in p1_lines() if line.label != line.name},
    **{
        line.offence_subgroup.lower(): line.name
        for line in p1_lines()
        if line.select_by == "offence_subgroup" and line.offence_subgroup and line.offence_subgroup.lower() != line.name
    },
}


def resolve_selection(selection: str | Selection | Iterable[str]) -> Selection:
    """Turn a selection name, category, offence group, subgroup, code, flag or code list into a rule.

    Examples
    --------
    >>> resolve_selection("Vehicle offences").categories
    frozenset({'Vehicle crime'})
    """
    if isinstance(selection, Selection):
        return selection
    if not isinstance(selection, str):
        if not isinstance(selection, Iterable):
            raise UnknownSelectionError(f"{selection!r} is not a selection name or a list of offence codes")
        codes = [str(code) for code in selection]
        if not codes:
            raise SelectionError("an empty list of offence codes selects nothing; give at least one code")
        unknown = sorted(set(codes) - set(_offences()["offence_code"]))
        if unknown:
            raise UnknownSelectionError(f"unknown offence codes {unknown}")
        return _sel(", ".join(codes), "offence codes", codes=codes)
    key = selection.strip().lower()
    key = _ALIASES.get(key, key)
    if key in SELECTIONS:
        return SELECTIONS[key]
    if key in FLAGS:
        return _sel(key, f"{key} flag", flag=key)
    lower = {name.lower(): name for name in CATEGORIES}
    if key in lower:
        return _sel(lower[key], "harmonised category", categories=(lower[key],))
    table = _offences()
    for column, rule in (("offence_group", "groups"), ("offence_subgroup", "subgroups"), ("offence_code", "codes")):
        names = {value.lower(): value for value in table[column].unique()}
        if key in names:
            return _sel(names[key], column.replace("_", " "), **{rule: (names[key],)})
    raise UnknownSelectionError(
        f"{selection!r} is not a selection, category, offence group, subgroup, offence code or flag; "
        f"selections: {', '.join(sorted(SELECTIONS))}"
    )


def select(counts: pd.DataFrame, selection: str | Selection | Iterable[str]) -> pd.DataFrame:
    """Return the rows of ``counts`` in a named selection.

    Parameters
    ----------
    counts
        Canonical counts.
    selection
        A named selection ("total recorded crime", "vehicle offences", an ONS P1 line), a
        harmonised category ("Burglary"), an offence group or subgroup, an offence code
        ("8N"), a list of offence codes, or a flag ("knife", "business", "domestic").

    Returns
    -------
    pandas.DataFrame
        The matching rows, unchanged.

    Raises
    ------
    UnknownSelectionError
        When the name matches nothing.
    SelectionError
        When the selection needs offence detail that some rows do not carry.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> int(cs.select(counts, "vehicle offences")["count"].sum()) > 0
    True
    """
    rule = resolve_selection(selection)
    return counts.loc[rule.mask(counts)]


#: The leaf reporting lines of ONS table P1, which partition total recorded crime.
ONS_LEAF_LINES: tuple[str, ...] = tuple(line.name for line in p1_lines() if line.leaf)


def ons_lines(counts: pd.DataFrame) -> pd.Series:
    """The ONS P1 leaf line of each row ("violence with injury", "vehicle offences", ...).

    Rows outside those lines (fraud, anti-social behaviour, unclassified, legacy police.uk types)
    get their category. Raises :class:`SelectionError` where the counts lack the detail a line
    needs (data.police.uk rows cannot be split into violence with or without injury).
    """
    lines = pd.Series(pd.NA, index=counts.index, dtype="string")
    for name in ONS_LEAF_LINES:
        mask = SELECTIONS[name].mask(counts)
        clash = mask & lines.notna()
        if clash.any():  # the lines must partition the offences; a clash is a taxonomy bug
            raise SelectionError(f"rows fall in both {name!r} and {lines[clash].iloc[0]!r}")
        lines[mask] = name
    return lines.fillna(counts["category"].astype("string"))
