"""Real and scenario data bundled with crimestats, for examples, the demo and tests.

Provenance and licences: ``crimestats/data/samples/README.md`` (Open Government Licence v3.0).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .exceptions import UnknownDatasetError

#: Name -> (file, what it is).
DATASETS: dict[str, tuple[str, str]] = {
    "home-office-pfa-2017-18": (
        "prc-pfa-mar2013-onwards-tables201718.csv",
        "Home Office police recorded crime open data, force level, 2017/18 by quarter (real)",
    ),
    "ons-pfa-2018": (
        "policeforceareatablesyearendingmarch2018v2.xlsx",
        "ONS police force area tables P1-P10, year ending March 2018 (real)",
    ),
    "police-uk-city-of-london-2017-01": (
        "2017-01-city-of-london-street.csv",
        "data.police.uk street file, City of London Police, January 2017, 483 rows (real)",
    ),
    "scenario-csp": (
        "west-midlands-csp-prc-2016-2018.csv",
        "West Midlands CSPs 2016/17-2017/18 in the Home Office CSP table layout (synthetic split, real force totals)",
    ),
    "scenario-extract": (
        "west-midlands-extract-2016-2018.csv.gz",
        "the same crimes as a force record-level extract, 439,787 rows (synthetic)",
    ),
    "scenario-extract-mapping": (
        "west-midlands-extract.toml",
        "column mapping for the scenario extract (copy of data/raw/mappings/west-midlands-extract.toml)",
    ),
}


def path(name: str) -> Path:
    """Path of a bundled dataset.

    Raises
    ------
    UnknownDatasetError
        For a name not in :data:`DATASETS`, listing the names that are.

    Examples
    --------
    >>> import crimestats as cs
    >>> cs.datasets.path("scenario-csp").name
    'west-midlands-csp-prc-2016-2018.csv'
    """
    if name not in DATASETS:
        raise UnknownDatasetError(f"no bundled dataset {name!r}; bundled datasets: {', '.join(DATASETS)}")
    resource = resources.files("crimestats.data").joinpath("samples").joinpath(DATASETS[name][0])
    return Path(str(resource))


def describe() -> dict[str, str]:
    """Bundled dataset names and what each is."""
    return {name: about for name, (_, about) in DATASETS.items()}
