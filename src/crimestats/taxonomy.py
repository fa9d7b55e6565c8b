"""Offence taxonomy: Home Office codes -> subgroup -> group, and the harmonised categories.

The harmonised ``category`` is the level at which data.police.uk and the Home Office tables can be
compared: data.police.uk's crime types, plus ``Fraud`` (recorded by national bodies, never in total
recorded crime), a legacy police.uk type, the knife special collection and ``Unclassified``.
See ``docs/taxonomy.md`` for the full mapping and why.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources

import pandas as pd

from .exceptions import UnknownSelectionError

UNCLASSIFIED = "Unclassified"
ANTI_SOCIAL_BEHAVIOUR = "Anti-social behaviour"
FRAUD = "Fraud"
KNIFE_COLLECTION = "Knife or sharp instrument offences"


@dataclass(frozen=True)
class Category:
    """A harmonised category and how it counts.

    ``victim_based`` is True for ONS "victim-based crime", False for "other crimes against
    society" and None for categories in neither (fraud, the knife collection, anti-social
    behaviour, unclassified); ``theft`` marks the categories of the ONS "theft offences" line.
    """

    name: str
    is_crime: bool
    in_total_recorded_crime: bool
    victim_based: bool | None
    description: str
    theft: bool = False


# The category table is written here, as code, rather than as package data: it is a handful of
# typed flags that schema validation and the selections read at import, and it changes only with
# a decision recorded in docs/taxonomy.md, never by rebuilding from a published file.
_CATEGORY_LIST: tuple[Category, ...] = (
    Category("Violence and sexual offences", True, True, True, "violence against the person and sexual offences"),
    Category("Robbery", True, True, True, "robbery of personal or business property"),
    Category("Burglary", True, True, True, "residential (domestic) and non-residential burglary", theft=True),
    Category("Vehicle crime", True, True, True, "theft of or from a vehicle, vehicle interference", theft=True),
    Category("Theft from the person", True, True, True, "theft from the person", theft=True),
    Category("Bicycle theft", True, True, True, "theft or unauthorised taking of a pedal cycle", theft=True),
    Category("Shoplifting", True, True, True, "shoplifting", theft=True),
    Category("Other theft", True, True, True, "other theft offences", theft=True),
    Category("Criminal damage and arson", True, True, True, "criminal damage and arson"),
    Category("Drugs", True, True, False, "possession and trafficking of drugs"),
    Category("Possession of weapons", True, True, False, "possession of weapons offences"),
    Category("Public order", True, True, False, "public order offences"),
    Category("Other crime", True, True, False, "miscellaneous crimes against society"),
    Category(
        "Public disorder and weapons",
        True,
        True,
        False,
        "data.police.uk type used until April 2013, since split into public order and weapons",
    ),
    Category(UNCLASSIFIED, True, True, None, "recorded crime whose offence code or type is not in the taxonomy"),
    Category(
        FRAUD, True, False, None, "fraud recorded by Action Fraud, CIFAS, UK Finance: not in total recorded crime"
    ),
    Category(
        KNIFE_COLLECTION,
        True,
        False,
        None,
        "selected offences involving a knife or sharp instrument (ONS special collection): overlaps other categories",
    ),
    Category(ANTI_SOCIAL_BEHAVIOUR, False, False, None, "anti-social behaviour incidents: not crimes"),
)

CATEGORIES: dict[str, Category] = {category.name: category for category in _CATEGORY_LIST}

#: The Category attributes that name a set of categories (``categories_where``).
CATEGORY_FLAGS: tuple[str, ...] = tuple(f.name for f in fields(Category) if f.name not in ("name", "description"))


def categories_where(flag: str, value: bool = True) -> tuple[str, ...]:
    """Names of the categories whose attribute ``flag`` equals ``value``, in table order.

    Examples
    --------
    >>> categories_where("theft")[:2]
    ('Burglary', 'Vehicle crime')
    >>> categories_where("victim_based", False)[:2]
    ('Drugs', 'Possession of weapons')
    """
    if flag not in CATEGORY_FLAGS:
        raise UnknownSelectionError(f"{flag!r} is not a category flag; flags: {', '.join(CATEGORY_FLAGS)}")
    return tuple(c.name for c in _CATEGORY_LIST if getattr(c, flag) is value)


#: data.police.uk crime types (current and historical) -> harmonised category.
POLICE_UK_CRIME_TYPES: dict[str, str] = {
    "Anti-social behaviour": ANTI_SOCIAL_BEHAVIOUR,
    "Bicycle theft": "Bicycle theft",
    "Burglary": "Burglary",
    "Criminal damage and arson": "Criminal damage and arson",
    "Drugs": "Drugs",
    "Other crime": "Other crime",
    "Other theft": "Other theft",
    "Possession of weapons": "Possession of weapons",
    "Public order": "Public order",
    "Robbery": "Robbery",
    "Shoplifting": "Shoplifting",
    "Theft from the person": "Theft from the person",
    "Vehicle crime": "Vehicle crime",
    "Violence and sexual offences": "Violence and sexual offences",
    # Types used before May 2013.
    "Violent crime": "Violence and sexual offences",
    "Public disorder and weapons": "Public disorder and weapons",
}


@dataclass(frozen=True)
class P1Line:
    """A reporting line of ONS table P1 (a row of ``data/ons_lines.csv``).

    ``label`` is the P1 column heading (footnotes stripped, lower case). A leaf line becomes
    canonical rows carrying ``category``, ``offence_group`` and ``offence_subgroup``; the leaves
    partition total recorded crime. An aggregate line is the sum of the leaves whose ``part_of``
    names it. ``select_by`` says how the named selection of the same name matches rows: a
    canonical column (its value is this line's value of that column) or a :class:`Category` flag
    (the categories with that flag). ``codes`` are offence codes the line takes whatever subgroup
    a source files them under, and ``codes_taken_from`` the line they are then taken out of.
    ``variants`` are other headings the same line has carried in other editions and tables
    (``"miscellaneous crimes against society"``, the CSP tables' ``"all other theft offences"``):
    the vocabulary :mod:`crimestats.io.ons_grid` matches headings by.
    """

    name: str
    label: str
    leaf: bool
    part_of: tuple[str, ...]
    select_by: str
    category: str | None
    offence_group: str | None
    offence_subgroup: str | None
    codes: frozenset[str]
    codes_taken_from: str | None
    description: str
    variants: tuple[str, ...] = ()


@cache
def p1_lines() -> tuple[P1Line, ...]:
    """The ONS table P1 reporting lines, leaves in table order, then the aggregates.

    Examples
    --------
    >>> [line.name for line in p1_lines() if not line.leaf]
    ['total recorded crime', 'violence against the person', 'theft offences', 'burglary']
    """
    text = resources.files("crimestats.data").joinpath("ons_lines.csv").read_text(encoding="utf-8")
    lines = []
    for row in csv.DictReader(io.StringIO(text)):
        lines.append(
            P1Line(
                name=row["line"],
                label=row["p1_label"],
                leaf=row["level"] == "leaf",
                part_of=tuple(filter(None, row["part_of"].split(";"))),
                select_by=row["select_by"],
                category=row["category"] or None,
                offence_group=row["offence_group"] or None,
                offence_subgroup=row["offence_subgroup"] or None,
                codes=frozenset(filter(None, row["codes"].split(";"))),
                codes_taken_from=row["codes_taken_from"] or None,
                description=row["description"],
                variants=tuple(filter(None, (row.get("variants") or "").split(";"))),
            )
        )
    return tuple(lines)


def offences() -> pd.DataFrame:
    """The Home Office offence codes with description, subgroup, group and harmonised category.

    Built from the Home Office police recorded crime open data tables (see
    ``scripts/build_reference_data.py``). Each call returns a fresh copy: changing it does not
    change the taxonomy.

    Examples
    --------
    >>> import crimestats as cs
    >>> cs.offences().set_index("offence_code").loc["8N", "offence_subgroup"]
    'Violence with injury'
    """
    return _offences().copy()


@cache
def _offences() -> pd.DataFrame:
    """The cached offence table: internal, never handed to callers (they get copies)."""
    with resources.files("crimestats.data").joinpath("offences.csv").open("rb") as handle:
        table = pd.read_csv(handle, dtype="string", keep_default_na=False)
    return table


def hidden_harm_codes() -> pd.DataFrame:
    """Offence codes of traditionally hidden crimes, with why each is hidden (``data/hidden_harm.csv``).

    Crimes whose victims rarely report them (modern slavery, trafficking, sexual exploitation):
    a change in their recorded numbers says as much about recognition and recording as about
    offending. Female genital mutilation has no code of its own in the Home Office open data
    tables the taxonomy is built from, so it cannot be counted here (``docs/taxonomy.md``).

    Examples
    --------
    >>> hidden_harm_codes().set_index("offence_code").loc["106", "offence_description"]
    'Modern slavery'
    """
    with resources.files("crimestats.data").joinpath("hidden_harm.csv").open("rb") as handle:
        table = pd.read_csv(handle, dtype="string", keep_default_na=False)
    return table.merge(_offences()[["offence_code", "offence_description"]], on="offence_code", how="left")


@cache
def _known_codes() -> dict[str, str]:
    return {code.upper(): code for code in _offences()["offence_code"]}


@cache
def _by_code() -> pd.DataFrame:
    return _offences().set_index("offence_code")


def normalise_code(codes: pd.Series) -> pd.Series:
    """Normalise offence codes as written by different sources ("008N", " 8n ") to the HO form.

    Known codes come back exactly as the Home Office writes them ("UK Finance", "8N"); unknown
    codes come back stripped, otherwise unchanged, so they can be reported as found.
    """
    text = codes.astype("string").str.strip()
    # Leading zeros appear in some force systems ("008N"); the HO tables never write them.
    key = text.str.upper().str.replace(r"^0+(?=\d)", "", regex=True)
    return key.map(_known_codes()).fillna(text).astype("string")


def classify_codes(codes: pd.Series) -> pd.DataFrame:
    """Look up group, subgroup and category for each offence code; unknown codes are Unclassified.

    Returns a frame aligned with ``codes`` with columns ``offence_code`` (normalised),
    ``offence_group``, ``offence_subgroup``, ``category`` and ``known`` (bool).
    """
    table = _by_code()
    normalised = normalise_code(codes)
    out = pd.DataFrame({"offence_code": normalised}, index=codes.index)
    for column in ("offence_group", "offence_subgroup", "category"):
        out[column] = normalised.map(table[column]).astype("string")
    out["known"] = out["category"].notna()
    out["category"] = out["category"].fillna(UNCLASSIFIED)
    return out


def category_of_crime_type(crime_types: pd.Series) -> pd.Series:
    """Map data.police.uk ``Crime type`` values to harmonised categories (unknown -> <NA>)."""
    categories = {value: police_uk_category(value) for value in crime_types.dropna().unique()}
    return crime_types.map(categories).astype("string")


def police_uk_category(crime_type: str) -> str | None:
    """The harmonised category of one data.police.uk ``Crime type`` as written (None when unknown).

    Examples
    --------
    >>> police_uk_category(" Burglary "), police_uk_category("Witchcraft")
    ('Burglary', None)
    """
    return POLICE_UK_CRIME_TYPES.get(str(crime_type).strip())


def is_crime(categories: pd.Series) -> pd.Series:
    """Whether rows of these categories are crimes (False only for anti-social behaviour).

    Examples
    --------
    >>> is_crime(pd.Series(["Burglary", "Anti-social behaviour", None], dtype="string")).tolist()
    [True, False, True]
    """
    not_crime = [name for name, category in CATEGORIES.items() if not category.is_crime]
    found = categories.isin(not_crime).to_numpy(dtype=bool)  # isin: vectorised, where map is per value
    return pd.Series(~found, index=categories.index, name=categories.name)


# --- data.police.uk category sets and the levels at which they compare (issue 11) -----------------


@dataclass(frozen=True)
class CrimeTypeSet:
    """A set of data.police.uk crime types, in use from ``first_month`` until the next set.

    ``groups`` maps every harmonised category to the group it is comparable as with data
    published in this set (categories the set did not publish separately fall in the group
    that held them).
    """

    name: str
    first_month: str
    crime_types: tuple[str, ...]
    groups: dict[str, str]

    def group_of(self, categories: pd.Series) -> pd.Series:
        """The comparable group of each category at this set's level (unlisted categories as they are)."""
        return categories.map(lambda c: self.groups.get(c, c) if isinstance(c, str) else c).astype("string")


_CRIME_TYPES_2010 = ("Anti-social behaviour", "Burglary", "Robbery", "Vehicle crime", "Violent crime", "Other crime")
_CRIME_TYPES_2011 = (
    *_CRIME_TYPES_2010,
    "Criminal damage and arson",
    "Drugs",
    "Other theft",
    "Public disorder and weapons",
    "Shoplifting",
)
# "Other theft" before May 2013 included bicycle theft and theft from the person; "Public
# disorder and weapons" was split into public order and possession of weapons; "Violent crime"
# became "Violence and sexual offences" (the same offences).
_GROUPS_2011 = {
    "Bicycle theft": "Other theft",
    "Theft from the person": "Other theft",
    "Public order": "Public disorder and weapons",
    "Possession of weapons": "Public disorder and weapons",
}
# December 2010: everything but burglary, robbery, vehicle crime and violence was "Other crime".
_GROUPS_2010 = {
    name: "Other crime"
    for name in (
        "Criminal damage and arson",
        "Drugs",
        "Other theft",
        "Shoplifting",
        "Bicycle theft",
        "Theft from the person",
        "Public order",
        "Possession of weapons",
        "Public disorder and weapons",
    )
}

#: data.police.uk's crime-type sets, oldest first: 6 types (December 2010), 11 (September 2011), 14 (May 2013).
POLICE_UK_CRIME_TYPE_SETS: tuple[CrimeTypeSet, ...] = (
    CrimeTypeSet("December 2010", "2010-12", _CRIME_TYPES_2010, _GROUPS_2010),
    CrimeTypeSet("September 2011", "2011-09", _CRIME_TYPES_2011, _GROUPS_2011),
    CrimeTypeSet(
        "May 2013",
        "2013-05",
        tuple(t for t in POLICE_UK_CRIME_TYPES if t not in ("Violent crime", "Public disorder and weapons")),
        {},
    ),
)


def crime_type_set(month: pd.Timestamp | str) -> CrimeTypeSet:
    """The data.police.uk crime-type set in use in a month (the oldest for months before December 2010).

    Examples
    --------
    >>> [crime_type_set(month).name for month in ("2011-02", "2012-01", "2024-01")]
    ['December 2010', 'September 2011', 'May 2013']
    """
    when = pd.Timestamp(month)
    current = POLICE_UK_CRIME_TYPE_SETS[0]
    for candidate in POLICE_UK_CRIME_TYPE_SETS:
        if when >= pd.Timestamp(candidate.first_month):
            current = candidate
    return current
