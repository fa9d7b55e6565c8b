"""One reader per source, each converting raw columns to canonical counts at the boundary."""

from .home_office import read_home_office
from .ons import read_ons_pfa

__all__ = ["read_home_office", "read_ons_pfa"]
