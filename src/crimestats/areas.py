"""Area registry: police force areas, CSPs and local authorities, regions, populations, LSOA lookup.

Canonical area is the Community Safety Partnership (CSP) as named by ONS in the December 2016
LAD -> CSP -> PFA lookup (which covers every LSOA's 2018 local authority); the 2019 lookup is kept
as a later vintage for names and codes that changed. Forces use the Home Office spelling
("London, City of", "Metropolitan Police", "Devon and Cornwall").

The reference tables are read once and cached; the public functions hand each caller a copy,
so changing what they return never changes the registry.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

import pandas as pd

from .boundaries import boundary_csps, csp_lookup, find_area, population_estimate
from .exceptions import PopulationError, UnknownAreaError

AREA_VINTAGE = "2016-12"
#: Council boundaries of the shipped ONS mid-year series (``population.csv``, revised after Census 2021).
SERIES_BOUNDARIES = "2023"

#: Kinds of police force (``kind`` in ``data/forces.csv``).
TERRITORIAL = "territorial"  # the 43 police force areas of England and Wales
NATIONAL = "national"  # a national force with no area of its own (British Transport Police)
OUTSIDE_ENGLAND_AND_WALES = "outside England and Wales"  # on data.police.uk, outside the ONS geography
FRAUD_BODY = "fraud body"  # national bodies recording fraud (Action Fraud, CIFAS, UK Finance)
FORCE_KINDS: tuple[str, ...] = (TERRITORIAL, NATIONAL, OUTSIDE_ENGLAND_AND_WALES, FRAUD_BODY)


def _read(name: str, **kwargs: object) -> pd.DataFrame:
    with resources.files("crimestats.data").joinpath(name).open("rb") as handle:
        if name.endswith(".parquet"):
            return pd.read_parquet(handle)
        return pd.read_csv(handle, **kwargs)  # type: ignore[arg-type]


def forces() -> pd.DataFrame:
    """Police forces: canonical name, PFA code, region, kind and aliases.

    ``kind`` is one of :data:`FORCE_KINDS`. Each call returns a fresh copy.

    Examples
    --------
    >>> import crimestats as cs
    >>> cs.forces().set_index("force").loc["West Midlands", "pfa_code"]
    'E23000014'
    """
    return _forces().copy()


@cache
def _forces() -> pd.DataFrame:
    # From the same rows as the look-ups (forces.csv read once, one way): blank cells missing.
    return pd.DataFrame(list(_force_rows()), dtype="string").replace("", pd.NA)


@cache
def _force_rows() -> tuple[dict[str, str], ...]:
    """The rows of ``forces.csv``, read with the csv module.

    What the look-ups a read starts with need, without pandas' CSV parser (a tenth of a second
    in a new process).
    """
    with resources.files("crimestats.data").joinpath("forces.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def force_kind(force: str) -> str:
    """The kind of a police force (one of :data:`FORCE_KINDS`), from any of its usual spellings.

    Raises
    ------
    UnknownAreaError
        When the force is not known.

    Examples
    --------
    >>> force_kind("West Midlands Police"), force_kind("BTP"), force_kind("PSNI")
    ('territorial', 'national', 'outside England and Wales')
    """
    return _forces().set_index("force").at[force_name(force), "kind"]


@cache
def forces_of_kind(kind: str) -> frozenset[str]:
    """Canonical names of the forces of one kind.

    Raises
    ------
    UnknownAreaError
        When ``kind`` is not one of :data:`FORCE_KINDS`.

    Examples
    --------
    >>> sorted(forces_of_kind(FRAUD_BODY))
    ['Action Fraud', 'CIFAS', 'Financial Fraud Action UK', 'UK Finance']
    >>> len(forces_of_kind(TERRITORIAL))
    43
    """
    if kind not in FORCE_KINDS:
        raise UnknownAreaError(f"unknown kind of force {kind!r}; kinds: {', '.join(FORCE_KINDS)}")
    return frozenset(row["force"] for row in _force_rows() if row["kind"] == kind)


def _force_key(name: str) -> str:
    key = name.lower().replace("&", "and").strip()
    key = re.sub(r"^police service of ", "", key)
    key = re.sub(r"\s+(police service|police|constabulary)$", "", key)
    return re.sub(r"[^a-z0-9]+", " ", key).strip()


@cache
def _force_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for row in _force_rows():
        for name in [row["force"], *(row["aliases"].split(";") if row["aliases"] else [])]:
            keys[_force_key(name)] = row["force"]
    return keys


def force_name(name: str) -> str:
    """Canonical name of a police force from any of its usual spellings, in any case.

    Raises
    ------
    UnknownAreaError
        For a name that is no force's, suggesting the closest known forces.

    Examples
    --------
    >>> force_name("City of London Police"), force_name("Devon & Cornwall Police")
    ('London, City of', 'Devon and Cornwall')
    >>> force_name("west midlands")
    'West Midlands'
    """
    key = _force_key(str(name))
    keys = _force_keys()
    if key not in keys:
        raise UnknownAreaError(f"unknown police force {name!r}{_did_you_mean(key, keys)}")
    return keys[key]


def _did_you_mean(key: str, known: Mapping[str, str]) -> str:
    """The "; did you mean 'Wolverhampton'?" naming the canonical names spelt closest to ``key``.

    ``known`` maps normalised spellings (names, aliases) to canonical names; empty when nothing is close.
    """
    close = difflib.get_close_matches(key, list(known), n=8, cutoff=0.75)
    names = list(dict.fromkeys(known[spelling] for spelling in close))[:3]
    if not names:
        return ""
    return f"; did you mean {' or '.join(repr(n) for n in names)}?"


def force_names(names: pd.Series) -> pd.Series:
    """Vectorised :func:`force_name`: unknown names become <NA> (callers count and report them)."""
    unique = names.dropna().unique()
    mapping = {name: known_force(str(name)) for name in unique}
    return names.map(mapping).astype("string")


def known_force(name: str) -> str | None:
    """Canonical name of a police force from any of its usual spellings, or None for no force's name.

    Examples
    --------
    >>> known_force("Avon & Somerset Constabulary"), known_force("Atlantis")
    ('Avon and Somerset', None)
    """
    return _force_keys().get(_force_key(name))


def local_authorities(vintage: str = AREA_VINTAGE) -> pd.DataFrame:
    """Local authority districts with their CSP, police force area and region for a vintage.

    Vintages: "2016-12" (covers all LSOA 2011 -> LAD 2018 codes) and "2019". Each call returns
    a fresh copy.

    Examples
    --------
    >>> import crimestats as cs
    >>> cs.local_authorities().set_index("lad_name").loc["Wolverhampton", "csp_name"]
    'Wolverhampton'
    """
    return _local_authorities(vintage).copy()


@cache
def _local_authorities(vintage: str = AREA_VINTAGE) -> pd.DataFrame:
    table = _read("areas.csv", dtype="string")
    if vintage not in set(table["vintage"]):
        raise UnknownAreaError(f"unknown area vintage {vintage!r}; have {sorted(set(table['vintage']))}")
    return table[table["vintage"] == vintage].reset_index(drop=True)


def csps(vintage: str = AREA_VINTAGE) -> pd.DataFrame:
    """Community Safety Partnerships: code, name, force and region. Each call returns a fresh copy.

    Examples
    --------
    >>> import crimestats as cs
    >>> sorted(cs.csps().query("force == 'West Midlands'")["csp_name"])[:3]
    ['Birmingham', 'Coventry', 'Dudley']
    """
    return _csps(vintage).copy()


@cache
def _csps(vintage: str = AREA_VINTAGE) -> pd.DataFrame:
    table = _local_authorities(vintage)
    return (
        table.drop_duplicates("csp_code")[["csp_code", "csp_name", "force", "region"]]
        .sort_values(["force", "csp_name"])
        .reset_index(drop=True)
    )


@cache
def _area_aliases() -> dict[str, str]:
    aliases = _read("area_aliases.csv", dtype="string")
    return {alias.lower(): name for alias, name in zip(aliases["alias"], aliases["area_name"], strict=True)}


@cache
def _csp_index() -> dict[str, tuple[str, str]]:
    """Lower-case CSP or LAD name (any vintage) -> (CSP code, CSP name) in the canonical vintage."""
    all_vintages = _read("areas.csv", dtype="string")
    current = _local_authorities(AREA_VINTAGE)
    index: dict[str, tuple[str, str]] = {}
    # Later vintages first so the canonical vintage wins for names present in both.
    for vintage in sorted(set(all_vintages["vintage"]) - {AREA_VINTAGE}, reverse=True):
        table = all_vintages[all_vintages["vintage"] == vintage]
        for row in table.itertuples():
            index[str(row.csp_name).lower()] = (str(row.csp_code), str(row.csp_name))
    for row in current.itertuples():
        index[str(row.lad_name).lower()] = (str(row.csp_code), str(row.csp_name))
        index[str(row.csp_name).lower()] = (str(row.csp_code), str(row.csp_name))
    return index


def area_name(name: str) -> str:
    """Canonical CSP name for a CSP, local authority or alias ("City of Wolverhampton"), in any case.

    Raises
    ------
    UnknownAreaError
        For a name that is no CSP's, local authority's or alias, suggesting the closest known names.

    Examples
    --------
    >>> area_name("City of Wolverhampton"), area_name("  wolverhampton ")
    ('Wolverhampton', 'Wolverhampton')
    """
    code_name = _lookup_area(name)
    if code_name is None:
        known = {spelling: csp for spelling, (_, csp) in _csp_index().items()} | _area_aliases()
        suggestion = _did_you_mean(_area_key(name), known)
        raise UnknownAreaError(f"unknown area {name!r} (not a CSP, local authority or known alias){suggestion}")
    return code_name[1]


def _area_key(name: str) -> str:
    """An area name as the lookups hold it: lower case, single spaces."""
    return re.sub(r"\s+", " ", str(name)).strip().lower()


def _lookup_area(name: str) -> tuple[str, str] | None:
    key = _area_key(name)
    key = _area_aliases().get(key, key).lower()
    index = _csp_index()
    if key in index:
        return index[key]
    # "City of X" <-> "X, City of"; "X Council" / "X City Council"
    flipped = re.sub(r"^(city|county) of (.+)$", r"\2, \1 of", key)
    for candidate in (flipped, re.sub(r"\s+(city\s+)?(metropolitan\s+borough\s+)?council$", "", key)):
        if candidate in index:
            return index[candidate]
    # Names and codes of other boundary vintages (councils formed since 2019, old and new codes).
    found = find_area(key)
    return None if found is None else found[:2]


def area_codes(names: pd.Series) -> pd.DataFrame:
    """Vectorised area lookup: columns ``area_code`` and ``area_name`` (<NA> where unknown)."""
    unique = names.dropna().unique()
    found = {name: _lookup_area(name) for name in unique}
    codes = names.map({n: v[0] for n, v in found.items() if v}).astype("string")
    canonical = names.map({n: v[1] for n, v in found.items() if v}).astype("string")
    return pd.DataFrame({"area_code": codes, "area_name": canonical}, index=names.index)


def regions() -> list[str]:
    """Names of the English regions and Wales as ONS tables write them."""
    return sorted(_forces()["region"].dropna().unique())


def peer_areas(peers: str | Sequence[str], *, level: str = "csp", boundaries: str | int | None = None) -> list[str]:
    """The areas of a peer group.

    Parameters
    ----------
    peers
        A police force area ("West Midlands": its CSPs), a region prefixed ``"region:"``
        ("region:West Midlands": its CSPs, or its forces with ``level="force"``), or a list of
        area names (returned canonicalised).
    level
        "csp" for CSPs, "force" for police force areas.
    boundaries
        The boundary vintage of the CSPs ("2019", "2024", ...: :mod:`crimestats.boundaries`);
        default the canonical December 2016 CSPs.

    Examples
    --------
    >>> peer_areas("Northamptonshire", boundaries="2024")
    ['North Northamptonshire', 'West Northamptonshire']
    >>> peer_areas("West Midlands")
    ['Birmingham', 'Coventry', 'Dudley', 'Sandwell', 'Solihull', 'Walsall', 'Wolverhampton']
    >>> peer_areas("region:West Midlands", level="force")
    ['Staffordshire', 'Warwickshire', 'West Mercia', 'West Midlands']
    """
    if not isinstance(peers, str):
        names = list(peers)
        return [force_name(n) for n in names] if level == "force" else [area_name(n) for n in names]
    text = peers.strip()
    if text.lower().startswith("region:"):
        region = text.split(":", 1)[1].strip()
        matching = [r for r in regions() if r.lower() == region.lower()]
        if not matching:
            raise UnknownAreaError(f"unknown region {region!r}; regions: {', '.join(regions())}")
        if level == "force":
            table = _forces()
            return sorted(table.loc[table["region"] == matching[0], "force"])
        table = _peer_csps(boundaries)
        return sorted(table.loc[table["region"] == matching[0], "csp_name"])
    force = force_name(text)
    if level == "force":
        return [force]
    table = _peer_csps(boundaries)
    names = sorted(table.loc[table["force"] == force, "csp_name"])
    if not names:
        raise UnknownAreaError(f"police force {force!r} has no local areas in the registry")
    return names


def _peer_csps(boundaries: str | int | None) -> pd.DataFrame:
    if boundaries is None:
        return _csps()
    return boundary_csps(boundaries).merge(_forces()[["force", "region"]], on="force", how="left")


def lsoa_lookup() -> pd.DataFrame:
    """LSOA (2011) -> ward (2018) -> local authority (2018) -> CSP -> force, England and Wales.

    Each call returns a fresh copy.

    Examples
    --------
    >>> lsoa_lookup().set_index("lsoa_code").loc["E01010410", "csp_name"]
    'Wolverhampton'
    """
    return _lsoa_lookup().copy()


@cache
def _lsoa_lookup() -> pd.DataFrame:
    lsoa = _read("lsoa_lookup.parquet")
    lads = _local_authorities(AREA_VINTAGE)[["lad_code", "lad_name", "csp_code", "csp_name", "force"]]
    table = lsoa.merge(lads, on="lad_code", how="left", validate="many_to_one")
    return table.astype("string")


@cache
def _population() -> pd.DataFrame:
    return _read("population.csv", dtype={"area_name": "string", "lad_code": "string", "geography": "string"})


def population(area: str, year: int) -> int:
    """Mid-year population estimate of an area (CSP, local authority, force area, region) in a year.

    A CSP or force area is the sum of its local authorities; an error is raised when no estimate
    covers the area's boundaries rather than returning a partial sum. The ONS series on 2023
    councils is used where the area is a union of those councils, otherwise the estimate published
    on the year's own councils (mid-2019, mid-2020: Kettering), see :mod:`crimestats.boundaries`.
    Regions and countries are named with a ``region:`` prefix ("region:West Midlands", "region:England").

    Examples
    --------
    >>> population("Wolverhampton", 2017), population("Kettering", 2019)
    (260648, 101776)
    """
    return population_and_boundaries(area, year)[0]


def population_and_boundaries(area: str, year: int) -> tuple[int, str]:
    """:func:`population` and the boundaries of the councils the estimate was published on.

    Examples
    --------
    >>> population_and_boundaries("Kettering", 2020)
    (102211, '2020')
    """
    # A function of the shipped tables alone: each area and year is looked up once per session
    # (a snapshot asks for the same peers' populations about thirty times). Errors are not kept.
    try:
        hash((area, year))
    except TypeError:
        return _population_and_boundaries.__wrapped__(area, year)
    return _population_and_boundaries(area, year)


@cache
def _population_and_boundaries(area: str, year: int) -> tuple[int, str]:
    table = _population()
    at_year = table[table["year"] == int(year)]
    if at_year.empty:
        raise PopulationError(f"no mid-year population for {year}; have {sorted(table['year'].unique())}")
    name = str(area).strip()
    # A force area takes precedence over the region of the same name ("West Midlands"), as in
    # peer_areas(); regions and countries are asked for as "region:West Midlands".
    if name.lower().startswith("region:"):
        wanted, geographies = name.split(":", 1)[1].strip().lower(), ("Region", "Country")
    else:
        wanted, geographies = name.lower(), None
    direct = at_year[at_year["area_name"].str.lower() == wanted]
    if geographies is not None:
        direct = direct[direct["geography"].isin(geographies)]
        if len(direct) != 1:
            raise PopulationError(f"no {year} mid-year population for region or country {name!r}")
        return int(direct["population"].iloc[0]), SERIES_BOUNDARIES
    lads = _local_authorities(AREA_VINTAGE)
    force: str | None = None
    try:
        force = force_name(name)
        parts = lads.loc[lads["force"] == force, "lad_code"]
    except UnknownAreaError:
        local = direct[~direct["geography"].isin(["Region", "Country"])]
        if len(local) == 1:
            return int(local["population"].iloc[0]), SERIES_BOUNDARIES
        code_name = _lookup_area(name)
        if code_name is None:
            raise PopulationError(f"no population for unknown area {area!r}") from None
        parts = lads.loc[lads["csp_code"] == code_name[0], "lad_code"]
    found = at_year.dropna(subset=["lad_code"]).drop_duplicates("lad_code").set_index("lad_code")["population"]
    missing = sorted(set(parts) - set(found.index))
    if missing or parts.empty:
        # Councils changed since 2016: the estimate published on boundaries matching the area's
        # (mid-2019 and mid-2020 on their own councils), or PopulationError naming what exists.
        if force is not None:
            estimate = population_estimate(force, int(year), level="force")
        else:
            estimate = population_estimate(code_name[0], int(year), boundaries=_vintage_of(code_name[0]))
        return estimate.population, estimate.boundaries
    return int(found.loc[list(parts)].sum()), SERIES_BOUNDARIES


def _vintage_of(csp_code: str) -> str | None:
    """The boundary vintage a CSP code resolved here is read on.

    The canonical 2016 one where it is a 2016 code (codes are reused: E22000367 Dorset held
    Christchurch until 2019), else 2019, else (None) the latest it exists in.
    """
    for vintage in ("2016", "2019"):
        if csp_code in set(csp_lookup(vintage)["csp_code"]):
            return vintage
    return None
