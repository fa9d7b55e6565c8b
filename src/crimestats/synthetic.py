"""Synthetic data.police.uk street files at any size, for benchmarks and scale tests.

:func:`write_street_files` writes the real layout (``YYYY-MM/YYYY-MM-<force>-street.csv``, the
real header, quoting and blank fields) with real force names and real LSOA codes, deterministically
from a seed. Rows are assembled as bytes with numpy, a block of rows at a time, so 20 million rows
(about 4 GB) take minutes, not hours.

What is real and what is made up:

- forces, their police.uk spellings and file names; LSOA codes of each force (2011 codes before
  June 2023, 2021 codes from then, as data.police.uk switched); 2011 LSOA names;
- crime types and their shares (those of June 2022, with anti-social behaviour set by
  ``asb_share``), outcome categories and their shares, blank Crime ID and outcome on anti-social
  behaviour; British Transport Police rows with no anti-social behaviour, no Crime ID and no
  outcome, located at stations; blank LSOA with blank coordinates
  and "No Location", CRLF or LF line ends;
- made up: coordinates (random points, not inside the LSOA), street names, the size of each
  LSOA's share of its force's rows, and 2021 LSOA names (not shipped: the council's current
  name with the 2011 name's number, so merged councils such as "Bournemouth, Christchurch and
  Poole" appear quoted as in real files). One rare outcome with a comma is made up too: no real
  outcome category has one, but the issue asks that quoting of outcomes be exercised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .areas import NATIONAL, TERRITORIAL, forces, forces_of_kind, lsoa_lookup
from .boundaries import LSOA_2021_FROM, boundary_csps, csp_lookup, lsoa_areas, lsoa_changes
from .exceptions import PeriodError
from .periods import parse_month
from .taxonomy import ANTI_SOCIAL_BEHAVIOUR

#: The header of every data.police.uk street file since 2013.
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
#: Crime types (May 2013 onwards) and their shares of crimes, June 2022 (all forces but five).
CRIME_SHARES: dict[str, float] = {
    "Violence and sexual offences": 0.4440,
    "Public order": 0.1139,
    "Criminal damage and arson": 0.1065,
    "Other theft": 0.0836,
    "Shoplifting": 0.0625,
    "Vehicle crime": 0.0539,
    "Burglary": 0.0438,
    "Drugs": 0.0281,
    "Other crime": 0.0219,
    "Bicycle theft": 0.0149,
    "Theft from the person": 0.0099,
    "Possession of weapons": 0.0093,
    "Robbery": 0.0075,
}
#: Last outcome categories of crimes and their shares (2017-2024 samples); the last is made up (see above).
OUTCOME_SHARES: dict[str, float] = {
    "Unable to prosecute suspect": 0.300,
    "Investigation complete; no suspect identified": 0.270,
    "Status update unavailable": 0.090,
    "Under investigation": 0.090,
    "Awaiting court outcome": 0.060,
    "Local resolution": 0.030,
    "Action to be taken by another organisation": 0.020,
    "Offender given a caution": 0.012,
    "Further investigation is not in the public interest": 0.011,
    "Court result unavailable": 0.009,
    "Further action is not in the public interest": 0.007,
    "Formal action is not in the public interest": 0.007,
    "Offender sent to prison": 0.004,
    "Offender given community sentence": 0.003,
    "Offender given a drugs possession warning": 0.003,
    "Offender fined": 0.002,
    "Suspect charged as part of another case": 0.002,
    "Defendant found not guilty": 0.002,
    "Offender given penalty notice": 0.001,
    "Offender given conditional discharge": 0.001,
    "Offender given suspended prison sentence": 0.001,
    "Court case unable to proceed": 0.001,
    "Offender otherwise dealt with, no further action": 0.001,
}
# Street names of the anonymised map points ("On or near ..."); some real ones carry a comma.
_STREETS = (
    "High Street", "Station Road", "Main Street", "Church Street", "Church Road", "Park Road", "London Road",
    "Victoria Road", "Green Lane", "Manor Road", "Mill Lane", "Queens Road", "New Road", "Kings Road",
    "School Lane", "Grange Road", "North Street", "Castle Street", "Market Place", "Chapel Street",
    "Parking Area", "Supermarket", "Petrol Station", "Shopping Area", "Sports/Recreation Area", "Nightclub",
    "Hospital", "Police Station", "Further/Higher Educational Building", "Theatre/Concert Hall",
    "Asda, Thurmaston",
)  # fmt: skip
# Share of map points on a street whose name has a comma (real files: a few in 100,000 rows).
_COMMA_STREET_SHARE = 0.002
# police.uk spells most forces "<name> Police"; these are "<name> Constabulary", and a few are irregular.
_CONSTABULARIES = frozenset(
    "Avon and Somerset,Cambridgeshire,Cheshire,Cumbria,Derbyshire,Durham,Gloucestershire,Hampshire,"
    "Hertfordshire,Lancashire,Norfolk,Suffolk".split(",")
)
_SPELLINGS = {
    "London, City of": "City of London Police",
    "Metropolitan Police": "Metropolitan Police Service",
    "Devon and Cornwall": "Devon & Cornwall Police",
}
_SLUGS = {"London, City of": "city-of-london", "Metropolitan Police": "metropolitan"}
#: British Transport Police's share of a national month (about 5,000 of 500,000 rows).
NATIONAL_SHARE = 0.01
_POINTS_PER_LSOA = 3
_BLOCK_ROWS = 65_536


@dataclass(frozen=True)
class _Pool:
    """Byte strings padded into one 2-D array, with their lengths: gathered by index, then unpadded."""

    padded: np.ndarray  # (n, width) uint8
    lengths: np.ndarray  # (n,) int64

    @classmethod
    def of(cls, texts: Sequence[str]) -> _Pool:
        encoded = [t.encode() for t in texts]
        width = max(len(e) for e in encoded)
        padded = np.zeros((len(encoded), width), dtype=np.uint8)
        for i, e in enumerate(encoded):
            padded[i, : len(e)] = np.frombuffer(e, dtype=np.uint8)
        return cls(padded, np.array([len(e) for e in encoded], dtype=np.int64))


def _quote(text: str) -> str:
    """A CSV field as data.police.uk writes it: quoted only when it holds a comma or a quote."""
    return '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text


def police_uk_spelling(force: str) -> str:
    """How data.police.uk's ``Reported by`` and ``Falls within`` spell a force (canonical name in).

    Examples
    --------
    >>> police_uk_spelling("Kent"), police_uk_spelling("Devon and Cornwall"), police_uk_spelling("Durham")
    ('Kent Police', 'Devon & Cornwall Police', 'Durham Constabulary')
    """
    if force in _SPELLINGS:
        return _SPELLINGS[force]
    if force.endswith(" Police"):  # British Transport Police
        return force
    return f"{force} Constabulary" if force in _CONSTABULARIES else f"{force} Police"


def force_slug(force: str) -> str:
    """The force part of a data.police.uk file name ("2022-06-<slug>-street.csv").

    Examples
    --------
    >>> force_slug("London, City of"), force_slug("Avon and Somerset"), force_slug("British Transport Police")
    ('city-of-london', 'avon-and-somerset', 'btp')
    """
    if force in _SLUGS:
        return _SLUGS[force]
    if force in forces_of_kind(NATIONAL):  # named by its abbreviation: "btp"
        aliases = forces().set_index("force").loc[force, "aliases"]
        return str(aliases).split(";")[0].lower()
    return force.lower().replace(" ", "-")


@cache
def _lsoas(vintage: str) -> pd.DataFrame:
    """``lsoa_code, lsoa_name, force`` of every LSOA of a vintage ("2011" or "2021")."""
    named11 = lsoa_lookup()[["lsoa_code", "lsoa_name"]]
    if vintage == "2011":
        table = named11
    else:
        changes = lsoa_changes()
        parent = changes.sort_values(["lsoa21_code", "best_fit"], ascending=[True, False]).drop_duplicates(
            "lsoa21_code"
        )
        table = parent.rename(columns={"lsoa21_code": "lsoa_code"})[["lsoa_code", "lsoa11_code"]]
        table = table.merge(named11.rename(columns={"lsoa_code": "lsoa11_code"}), on="lsoa11_code", how="left")
        # 2021 names are not shipped: the council of 2024 with the 2011 name's MSOA number and a letter
        # free within that number, so each name is unique and merged councils are named as now.
        lad = csp_lookup("2024").drop_duplicates("district_code").set_index("district_code")["lad_name"]
        council = table["lsoa11_code"].map(lsoa_lookup().set_index("lsoa_code")["lad_code"].map(lad))
        number = table["lsoa_name"].str.extract(r"(\d{3})[A-Z]$", expand=False).fillna("001")
        prefix = council.fillna(table["lsoa_name"].str.replace(r"\s+\d{3}[A-Z]$", "", regex=True)) + " " + number
        letter = table.groupby(prefix, sort=False).cumcount()
        table["lsoa_name"] = prefix + letter.map(lambda i: chr(ord("A") + i % 26) * (1 + i // 26))
        table = table[["lsoa_code", "lsoa_name"]]
    table = table.dropna().sort_values("lsoa_code").reset_index(drop=True)
    csp_force = boundary_csps("2024").set_index("csp_code")["force"]
    table["force"] = lsoa_areas(table["lsoa_code"], boundaries="2024")["area_code"].map(csp_force)
    return table.dropna().reset_index(drop=True)


def _forces_written() -> list[str]:
    table = forces()
    return [*table.loc[table["kind"] == TERRITORIAL, "force"], *table.loc[table["kind"] == NATIONAL, "force"]]


def _weights(forces_: list[str]) -> np.ndarray:
    """Each force's share of a national month.

    Territorial forces by their number of LSOAs (about population), British Transport Police
    :data:`NATIONAL_SHARE`.
    """
    per_force = _lsoas("2021")["force"].value_counts()
    sizes = np.array([float(per_force.get(f, 0)) for f in forces_])
    national = np.array([f not in per_force.index for f in forces_])
    sizes = sizes / sizes[~national].sum() * (1 - NATIONAL_SHARE * national.sum())
    sizes[national] = NATIONAL_SHARE
    return sizes


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (largest remainders), summing exactly to ``total``."""
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    extra = total - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:extra]] += 1
    return counts


def plan(rows: int, *, start_month: str = "2021-01", rows_per_month: int = 500_000) -> pd.DataFrame:
    """How :func:`write_street_files` spreads ``rows`` over months and forces.

    Returns one row per file: ``month`` ("YYYY-MM"), ``force`` (canonical) and ``rows``; months run
    on from ``start_month``, as many as ``rows / rows_per_month`` (rounded up), and the rows of a
    month are split between forces by their size.

    Examples
    --------
    >>> files = plan(1_000_000)
    >>> int(files["rows"].sum()), sorted(files["month"].unique())
    (1000000, ['2021-01', '2021-02'])
    """
    if rows < 1 or rows_per_month < 1:
        raise PeriodError(
            f"no months to write: rows and rows_per_month must be positive, got {rows} and {rows_per_month}"
        )
    first = parse_month(start_month)
    if first < pd.Timestamp("2013-05-01"):
        raise PeriodError(f"start_month {start_month!r}: synthetic files use the 14 crime types of May 2013 on")
    n_months = math.ceil(rows / rows_per_month)
    per_month = _split(rows, np.ones(n_months))
    forces_ = _forces_written()
    weights = _weights(forces_)
    months = pd.period_range(first, periods=n_months, freq="M").strftime("%Y-%m")
    table = pd.DataFrame(
        {
            "month": np.repeat(np.asarray(months, dtype=object), len(forces_)),
            "force": np.tile(np.asarray(forces_, dtype=object), n_months),
            "rows": np.concatenate([_split(int(month_rows), weights) for month_rows in per_month]),
        }
    )
    return table[table["rows"] > 0].reset_index(drop=True)


@dataclass(frozen=True)
class _Places:
    """Map points of a vintage: "lon,lat,Location,LSOA code,LSOA name" per point, by force."""

    points: _Pool  # last entry: the blank-LSOA point ",,No Location,,"
    station_points: _Pool  # the same LSOAs, British Transport Police style: "On or near <place> (Station)"
    by_force: dict[str, np.ndarray]  # force -> indices of its LSOAs' points
    weights: dict[str, np.ndarray]  # force -> probability of each of those points


@cache
def _places(vintage: str, seed: int) -> _Places:
    lsoas = _lsoas(vintage)
    rng = np.random.default_rng([seed, int(vintage)])
    n = len(lsoas) * _POINTS_PER_LSOA
    lon = np.round(rng.uniform(-4.5, 1.6, n), 6)
    lat = np.round(rng.uniform(50.3, 54.9, n), 6)
    comma = np.array(["," in s for s in _STREETS])
    street_p = np.where(comma, _COMMA_STREET_SHARE / comma.sum(), (1 - _COMMA_STREET_SHARE) / (~comma).sum())
    street = rng.choice(len(_STREETS), size=n, p=street_p)
    codes = np.repeat(lsoas["lsoa_code"].to_numpy(dtype=object), _POINTS_PER_LSOA)
    names = np.repeat(lsoas["lsoa_name"].to_numpy(dtype=object), _POINTS_PER_LSOA)
    places = [n_.rsplit(" ", 1)[0] for n_ in names]
    points, stations = [], []
    for i in range(n):
        tail = f"{codes[i]},{_quote(names[i])}"
        points.append(f"{lon[i]:.6f},{lat[i]:.6f},{_quote('On or near ' + _STREETS[street[i]])},{tail}")
        stations.append(f"{lon[i]:.6f},{lat[i]:.6f},{_quote('On or near ' + places[i] + ' (Station)')},{tail}")
    blank = ",,No Location,,"
    forces_ = np.repeat(lsoas["force"].to_numpy(dtype=object), _POINTS_PER_LSOA)
    # Some LSOAs see far more crime than others: a skewed weight per point.
    weight = rng.gamma(0.8, 1.0, n)
    by_force, weights = {}, {}
    for force in lsoas["force"].unique():
        index = np.flatnonzero(forces_ == force)
        by_force[force] = index
        weights[force] = weight[index] / weight[index].sum()
    by_force["*"] = np.arange(n)
    weights["*"] = weight / weight.sum()
    return _Places(_Pool.of([*points, blank]), _Pool.of([*stations, blank]), by_force, weights)


@cache
def _tails(eol: bytes, outcomes: bool) -> tuple[_Pool, np.ndarray, np.ndarray]:
    """Row ends ``,Crime type,Outcome,<eol>`` for every crime type × outcome, and their probabilities.

    Index 0 is anti-social behaviour (no outcome). Returns the pool, the probabilities of each
    entry for a crime row, and each entry's crime type index (0 = anti-social behaviour).
    """
    texts, probability, kinds = [f",{ANTI_SOCIAL_BEHAVIOUR},,{eol.decode()}"], [0.0], [0]
    type_share = np.array(list(CRIME_SHARES.values()))
    type_share = type_share / type_share.sum()
    outcome_share = np.array(list(OUTCOME_SHARES.values()))
    outcome_share = outcome_share / outcome_share.sum()
    for t, (crime_type, share) in enumerate(zip(CRIME_SHARES, type_share, strict=True)):
        if not outcomes:
            texts.append(f",{crime_type},,{eol.decode()}")
            probability.append(share)
            kinds.append(t + 1)
            continue
        for outcome, o_share in zip(OUTCOME_SHARES, outcome_share, strict=True):
            texts.append(f",{crime_type},{_quote(outcome)},{eol.decode()}")
            probability.append(share * o_share)
            kinds.append(t + 1)
    return _Pool.of(texts), np.array(probability), np.array(kinds)


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _block(
    rng: np.random.Generator,
    n: int,
    prefix: bytes,
    points: _Pool,
    point_index: np.ndarray,
    point_weights: np.ndarray,
    tails: tuple[_Pool, np.ndarray, np.ndarray],
    *,
    asb_share: float,
    blank_lsoa_share: float,
    crime_ids: bool,
) -> bytes:
    """``n`` rows as bytes.

    A row is a Crime ID, the file's constant ``,Month,Reported by,Falls within,``, a map point,
    and ``,Crime type,Outcome,Context``.
    """
    tail_pool, tail_p, _ = tails
    asb = rng.random(n) < asb_share
    tail = np.where(asb, 0, rng.choice(len(tail_p), size=n, p=tail_p))
    point = point_index[rng.choice(len(point_index), size=n, p=point_weights)]
    point[rng.random(n) < blank_lsoa_share] = len(points.lengths) - 1
    digits = rng.integers(0, 16, size=(n, 64), dtype=np.uint8)
    ids = _HEX[digits]
    id_length = np.where(asb | (not crime_ids), 0, 64)
    prefix_row = np.frombuffer(prefix, dtype=np.uint8)
    widths = [64, len(prefix_row), points.padded.shape[1], tail_pool.padded.shape[1]]
    rows = np.empty((n, sum(widths)), dtype=np.uint8)
    keep = np.empty((n, sum(widths)), dtype=bool)
    parts = [
        (ids, id_length),
        (np.broadcast_to(prefix_row, (n, len(prefix_row))), np.full(n, len(prefix_row))),
        (points.padded[point], points.lengths[point]),
        (tail_pool.padded[tail], tail_pool.lengths[tail]),
    ]
    start = 0
    for (values, lengths), width in zip(parts, widths, strict=True):
        rows[:, start : start + width] = values
        keep[:, start : start + width] = np.arange(width) < lengths[:, None]
        start += width
    return rows[keep].tobytes()


def write_street_files(
    folder: str | Path,
    rows: int,
    *,
    seed: int = 0,
    start_month: str = "2021-01",
    rows_per_month: int = 500_000,
    asb_share: float = 1 / 3,
    blank_lsoa_share: float = 0.03,
    line_ends: Literal["mixed", "crlf", "lf"] = "mixed",
) -> list[Path]:
    """Write ``rows`` rows of synthetic data.police.uk street files under ``folder``.

    Parameters
    ----------
    folder
        Where the ``YYYY-MM/YYYY-MM-<force>-street.csv`` tree is written (created if absent;
        files already there are overwritten).
    rows
        Number of data rows in all, split evenly over months (``rows / rows_per_month`` of them,
        rounded up) and within a month over the territorial forces and British Transport Police
        by their size (a force whose share rounds to no rows gets no file).
    seed
        The same seed and parameters give the same bytes.
    start_month
        First month ("YYYY-MM", May 2013 or later). Months from June 2023 carry 2021 LSOA codes,
        earlier months 2011 codes, as data.police.uk does.
    rows_per_month
        Rows of a national month (data.police.uk has about 500,000).
    asb_share
        Share of anti-social behaviour rows (blank Crime ID, blank outcome).
    blank_lsoa_share
        Share of rows with no location (blank coordinates, "No Location", blank LSOA code and name).
    line_ends
        "crlf" or "lf" for every file, or "mixed": CRLF for every other force (data.police.uk's
        files have been CRLF since about 2019, LF before).

    Returns
    -------
    list of pathlib.Path
        The files written, in month then force order.

    Raises
    ------
    PeriodError
        For a malformed ``start_month``, one before May 2013, or a row count below 1.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     files = write_street_files(folder, 1_000, rows_per_month=1_000)
    ...     lines = files[0].read_text().splitlines()
    >>> len(files), files[0].relative_to(folder).as_posix(), len(lines) - 1
    (43, '2021-01/2021-01-cleveland-street.csv', 10)
    >>> lines[0] == HEADER
    True

    The files load like real ones: ``crimestats.read_police_uk(folder)`` counts every row.
    """
    folder = Path(folder)
    written = []
    forces_ = _forces_written()
    for month, group in plan(rows, start_month=start_month, rows_per_month=rows_per_month).groupby("month", sort=True):
        vintage = "2021" if pd.Timestamp(f"{month}-01") >= LSOA_2021_FROM else "2011"
        places = _places(vintage, seed)
        (folder / month).mkdir(parents=True, exist_ok=True)
        for force, n in zip(group["force"], group["rows"], strict=True):
            position = forces_.index(force)
            crlf = line_ends == "crlf" or (line_ends == "mixed" and position % 2 == 0)
            eol = b"\r\n" if crlf else b"\n"
            national = force not in places.by_force
            points = places.station_points if national else places.points
            key = "*" if national else force
            tails = _tails(eol, not national)
            spelling = _quote(police_uk_spelling(force))
            prefix = f",{month},{spelling},{spelling},".encode()
            rng = np.random.default_rng([seed, int(month[:4]), int(month[5:]), position])
            path = folder / month / f"{month}-{force_slug(force)}-street.csv"
            with path.open("wb") as handle:
                handle.write(HEADER.encode() + eol)
                for start in range(0, int(n), _BLOCK_ROWS):
                    size = min(_BLOCK_ROWS, int(n) - start)
                    block = _block(
                        rng,
                        size,
                        prefix,
                        points,
                        places.by_force[key],
                        places.weights[key],
                        tails,
                        asb_share=0.0 if national else asb_share,
                        blank_lsoa_share=blank_lsoa_share,
                        crime_ids=not national,
                    )
                    handle.write(block)
            written.append(path)
    return written
