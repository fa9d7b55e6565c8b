"""Offence taxonomy: Home Office codes -> subgroup -> group, and the harmonised categories.

The harmonised ``category`` is the level at which data.police.uk and the Home Office tables can be
compared: data.police.uk's crime types, plus ``Fraud`` (recorded by national bodies, never in total
recorded crime), a legacy police.uk type, the knife special collection and ``Unclassified``.
See ``docs/taxonomy.md`` for the full mapping and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

UNCLASSIFIED = "Unclassified"
ANTI_SOCIAL_BEHAVIOUR = "Anti-social behaviour"
FRAUD = "Fraud"
KNIFE_COLLECTION = "Knife or sharp instrument offences"


@dataclass(frozen=True)
class Category:
    """A harmonised category and how it counts."""

    name: str
    is_crime: bool
    in_total_recorded_crime: bool
    victim_based: bool | None
    description: str


_CATEGORY_LIST: tuple[Category, ...] = (
    Category("Violence and sexual offences", True, True, True, "violence against the person and sexual offences"),
    Category("Robbery", True, True, True, "robbery of personal or business property"),
    Category("Burglary", True, True, True, "residential (domestic) and non-residential burglary"),
    Category("Vehicle crime", True, True, True, "theft of or from a vehicle, vehicle interference"),
    Category("Theft from the person", True, True, True, "theft from the person"),
    Category("Bicycle theft", True, True, True, "theft or unauthorised taking of a pedal cycle"),
    Category("Shoplifting", True, True, True, "shoplifting"),
    Category("Other theft", True, True, True, "other theft offences"),
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


@cache
def offences() -> pd.DataFrame:
    """The Home Office offence codes with description, subgroup, group and harmonised category.

    Built from the Home Office police recorded crime open data tables (see
    ``scripts/build_reference_data.py``).

    Examples
    --------
    >>> import crimestats as cs
    >>> cs.offences().set_index("offence_code").loc["8N", "offence_subgroup"]
    'Violence with injury'
    """
    with resources.files("crimestats.data").joinpath("offences.csv").open("rb") as handle:
        table = pd.read_csv(handle, dtype="string", keep_default_na=False)
    return table


def normalise_code(codes: pd.Series) -> pd.Series:
    """Normalise offence codes as written by different sources ("008N", " 8n ") to the HO form.

    Known codes come back exactly as the Home Office writes them ("UK Finance", "8N"); unknown
    codes come back stripped, otherwise unchanged, so they can be reported as found.
    """
    text = codes.astype("string").str.strip()
    # Leading zeros appear in some force systems ("008N"); the HO tables never write them.
    key = text.str.upper().str.replace(r"^0+(?=\d)", "", regex=True)
    known = {code.upper(): code for code in offences()["offence_code"]}
    return key.map(known).fillna(text).astype("string")


def classify_codes(codes: pd.Series) -> pd.DataFrame:
    """Look up group, subgroup and category for each offence code; unknown codes are Unclassified.

    Returns a frame aligned with ``codes`` with columns ``offence_code`` (normalised),
    ``offence_group``, ``offence_subgroup``, ``category`` and ``known`` (bool).
    """
    table = offences().set_index("offence_code")
    normalised = normalise_code(codes)
    out = pd.DataFrame({"offence_code": normalised}, index=codes.index)
    for column in ("offence_group", "offence_subgroup", "category"):
        out[column] = normalised.map(table[column]).astype("string")
    out["known"] = out["category"].notna()
    out["category"] = out["category"].fillna(UNCLASSIFIED)
    return out


def category_of_crime_type(crime_types: pd.Series) -> pd.Series:
    """Map data.police.uk ``Crime type`` values to harmonised categories (unknown -> <NA>)."""
    return crime_types.astype("string").str.strip().map(POLICE_UK_CRIME_TYPES).astype("string")


def is_crime(categories: pd.Series) -> pd.Series:
    """Whether rows of these categories are crimes (False only for anti-social behaviour)."""
    return categories.map({name: c.is_crime for name, c in CATEGORIES.items()}).astype(bool)


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
