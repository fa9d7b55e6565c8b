"""Peer groups: any group the user names, keeps in a file, or asks crimestats to find.

A peer group is given as

- a list of areas (``["Wolverhampton", "Walsall"]``) or one string of names separated by commas
  (``"Wolverhampton,Walsall,Sandwell,Dudley"``);
- the name of a group in a file the user keeps (``groups.toml`` or ``groups.csv``, see
  :func:`read_peer_groups`): an iQuanta most similar group, a county's districts, a report's own
  comparators;
- a police force area (its CSPs), ``"region:<name>"`` (its CSPs, or its forces at force level), or at
  force level ``"England"`` / ``"England and Wales"`` (the territorial forces of the nation).

:func:`similar_areas` finds a group when the user has none: the ``k`` areas nearest to an area on
population, crime rate and offence mix (the method is in ``docs/peers.md``).
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .areas import TERRITORIAL, _did_you_mean, _forces, area_name, force_name, peer_areas, population
from .exceptions import PopulationError, SourceFormatError, UnknownAreaError

#: Peer groups at force level that name a nation.
NATIONS = {"england": ("England",), "england and wales": ("England", "Wales")}
CSP, FORCE = "csp", "force"


def read_peer_groups(path: str | Path) -> dict[str, list[str]]:
    r"""Named peer groups from a TOML or CSV file the user keeps.

    TOML: each group is a key whose value is a list of names, at the top level or under a
    ``[groups]`` table::

        [groups]
        "my MSG" = ["Wolverhampton", "Walsall", "Sandwell", "Dudley"]

    CSV: two columns ``group,area``, one row per member.

    Raises
    ------
    SourceFormatError
        For a file that is neither, or a group that is not a list of names.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "groups.toml").write_text('"my MSG" = ["Wolverhampton", "Walsall"]')
    >>> read_peer_groups(folder / "groups.toml")
    {'my MSG': ['Wolverhampton', 'Walsall']}
    """
    path = Path(path)
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise SourceFormatError(path, f"not valid TOML: {error}") from error
        data = data.get("groups", data)
        groups = {}
        for name, members in data.items():
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise SourceFormatError(path, f'group {name!r} must be a list of area names, e.g. ["Walsall"]')
            groups[str(name)] = [m.strip() for m in members]
        return groups
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or {"group", "area"} - {f.strip().lower() for f in reader.fieldnames}:
                raise SourceFormatError(path, f"needs columns group,area; found {reader.fieldnames}")
            groups: dict[str, list[str]] = {}
            for number, row in enumerate(reader, start=2):
                row = {key.strip().lower(): (value or "").strip() for key, value in row.items()}
                if not row["group"] or not row["area"]:
                    raise SourceFormatError(path, "group and area must both be given", row=number)
                groups.setdefault(row["group"], []).append(row["area"])
        return groups
    raise SourceFormatError(path, "a peer groups file is .toml or .csv")


def resolve_peer_group(
    peers: str | Sequence[str],
    *,
    level: str = CSP,
    groups: Mapping[str, Sequence[str]] | str | Path | None = None,
) -> tuple[str | list[str], list[str]]:
    """The peer group as the user named it (for sentences) and its canonical members.

    Parameters
    ----------
    peers
        A list of names, a comma-separated string of names, a group name in ``groups``, a force
        area, ``"region:<name>"``, or at force level ``"England"`` / ``"England and Wales"``.
    level
        "csp" (members are CSPs) or "force" (members are police force areas).
    groups
        Named groups: a mapping, or the path of a file for :func:`read_peer_groups`.

    Returns
    -------
    tuple
        The label (a force, ``"region:<name>"``, the group's name, or the list of members) and the
        members, canonical.

    Raises
    ------
    UnknownAreaError
        An unknown group, force, region or area (suggesting the closest names).

    Examples
    --------
    >>> resolve_peer_group("Wolverhampton, walsall,Sandwell")
    (['Wolverhampton', 'Walsall', 'Sandwell'], ['Wolverhampton', 'Walsall', 'Sandwell'])
    >>> resolve_peer_group("my MSG", groups={"my MSG": ["City of Wolverhampton", "Dudley"]})
    ('my MSG', ['Wolverhampton', 'Dudley'])
    >>> resolve_peer_group("region:west midlands", level="force")[1]
    ['Staffordshire', 'Warwickshire', 'West Mercia', 'West Midlands']
    """
    if level not in (CSP, FORCE):
        raise UnknownAreaError(f"unknown peer level {level!r}; levels: {CSP}, {FORCE}")
    member = force_name if level == FORCE else area_name
    named = read_peer_groups(groups) if isinstance(groups, (str, Path)) else dict(groups or {})
    if not isinstance(peers, str):
        names = _unique([member(n) for n in peers])
        return names, names
    text = peers.strip()
    if text in named:
        return text, _unique([member(n) for n in named[text]])
    if "," in text:
        names = _unique([member(n) for n in text.split(",") if n.strip()])
        return names, names
    if level == FORCE and text.lower() in NATIONS:
        table = _forces()
        wanted = NATIONS[text.lower()]
        territorial = table[table["kind"] == TERRITORIAL]
        english = territorial["region"] != "Wales"
        keep = english if wanted == ("England",) else pd.Series(True, index=territorial.index)
        return text.title().replace(" And ", " and "), sorted(territorial.loc[keep, "force"])
    if text.lower().startswith("region:"):
        names = peer_areas(text, level=level)
        region = text.split(":", 1)[1].strip().lower()
        canonical = next(r for r in _forces()["region"].dropna().unique() if r.lower() == region)
        return f"region:{canonical}", names
    try:
        force = force_name(text)
    except UnknownAreaError:
        if named:
            raise UnknownAreaError(
                f"unknown peer group {text!r}: not a group of the peers file ({', '.join(named)}), a force or "
                f"region:<name>{_did_you_mean(text.lower(), {k.lower(): k for k in named})}"
            ) from None
        raise
    return force, peer_areas(force, level=level)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def similar_areas(
    area: str,
    *,
    k: int = 5,
    counts: pd.DataFrame | None = None,
    year: str = "2017/18",
    level: str | None = None,
    candidates: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The ``k`` areas most like ``area`` on population, crime rate and offence mix.

    A transparent nearest-neighbour method (``docs/peers.md``): each candidate is described by
    three blocks of features, each standardised across the candidates (z-scores) and given equal
    weight: (1) log10 of the mid-year population, (2) total recorded crime per 1,000 residents,
    (3) the shares of total recorded crime in each harmonised category (the block's z-scores are
    divided by the square root of the number of categories, so the mix counts as much as each of
    the other two). The distance is Euclidean; the nearest ``k`` are returned.

    Parameters
    ----------
    area
        A CSP, or a police force area at force level.
    k
        How many similar areas.
    counts
        Counts covering ``year`` for the candidates; default the bundled Home Office 2017/18
        force table (force level).
    year
        The year described.
    level
        "csp" or "force"; default "force" when ``area`` is a force, else "csp".
    candidates
        Areas to choose from; default every area (or territorial force) in ``counts``.

    Returns
    -------
    pandas.DataFrame
        The area itself first (distance 0), then its ``k`` nearest: ``<by>, distance, population,
        rate`` and one ``share_<category>`` column per category. ``attrs["no_population"]`` lists
        candidates left out because the shipped populations do not cover them.

    Examples
    --------
    >>> table = similar_areas("West Midlands", k=3)
    >>> table["force"].iloc[0], len(table)
    ('West Midlands', 4)
    """
    from .datasets import path
    from .io import read_home_office
    from .metrics import rates, window_rows
    from .periods import to_window
    from .selections import select

    if level is None:
        try:
            force_name(area)
            level = FORCE
        except UnknownAreaError:
            level = CSP
    by = "force" if level == FORCE else "area_name"
    area = force_name(area) if level == FORCE else area_name(area)
    if counts is None:
        counts = read_home_office(path("home-office-pfa-2017-18"))
    if candidates is None:
        pool = counts[by].dropna().unique()
        if level == FORCE:
            territorial = set(_forces().loc[_forces()["kind"] == TERRITORIAL, "force"])
            pool = [name for name in pool if name in territorial]
    else:
        pool = [force_name(n) if level == FORCE else area_name(n) for n in candidates]
    window = to_window(year)
    pool = sorted(set(pool) | {area})
    known, no_population = [], []
    for name in pool:
        try:
            population(name, window.start.year)
            known.append(name)
        except PopulationError:
            no_population.append(name)  # reported in attrs, never compared on a guessed population
    scope = counts[counts[by].isin(known)]
    table = rates(scope, year=window, by=by).set_index(by)
    rows = window_rows(select(scope, "total recorded crime"), window)
    mix = rows.pivot_table(index=by, columns="category", values="count", aggfunc="sum", fill_value=0)
    shares = mix.div(mix.sum(axis=1), axis=0).reindex(table.index, fill_value=0.0)
    shares.columns = [f"share_{c}" for c in shares.columns]
    features = pd.DataFrame({"log_population": np.log10(table["population"].astype(float)), "rate": table["rate"]})

    def z(frame: pd.DataFrame) -> pd.DataFrame:
        spread = frame.std(ddof=0).replace(0, 1.0)
        return (frame - frame.mean()) / spread

    scaled = pd.concat([z(features), z(shares) / np.sqrt(max(shares.shape[1], 1))], axis=1)
    distance = np.sqrt(((scaled - scaled.loc[area]) ** 2).sum(axis=1))
    result = pd.concat([distance.rename("distance"), table[["population", "rate"]], shares], axis=1)
    result = result.sort_values(["distance"]).head(k + 1)
    result.index.name = by
    result = result.reset_index()
    result.attrs = {"year": window.label, "level": level, "candidates": len(known), "no_population": no_population}
    return result
