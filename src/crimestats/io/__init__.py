"""One reader per source, each converting raw columns to canonical counts at the boundary."""

from .extract import read_extract
from .home_office import read_home_office
from .ons import read_ons_pfa, read_ons_pfa_change
from .ons_csp import read_ons_csp
from .police_uk import read_police_uk, read_police_uk_records

__all__ = [
    "read_extract",
    "read_home_office",
    "read_ons_csp",
    "read_ons_pfa",
    "read_ons_pfa_change",
    "read_police_uk",
    "read_police_uk_records",
]
