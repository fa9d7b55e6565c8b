"""One reader per source, each converting raw columns to canonical counts at the boundary.

The readers are imported when first used (PEP 562): :mod:`crimestats.io.layouts`, which tells
what a file holds, is reachable without pandas.
"""

# ruff: noqa: F401 - the imports under TYPE_CHECKING name the readers for type checkers only

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import loader

#: Each reader, by the module that holds it (relative to this package).
_READERS = {
    "read_extract": ".extract",
    "read_home_office": ".home_office",
    "read_ons_csp": ".ons_csp",
    "read_ons_pfa": ".ons",
    "read_ons_pfa_change": ".ons",
    "read_police_uk": ".police_uk",
    "read_police_uk_records": ".police_uk",
}

__all__ = sorted(_READERS)


__getattr__, __dir__ = loader(__name__, _READERS)

if TYPE_CHECKING:  # what type checkers see
    from .extract import read_extract
    from .home_office import read_home_office
    from .ons import read_ons_pfa, read_ons_pfa_change
    from .ons_csp import read_ons_csp
    from .police_uk import read_police_uk, read_police_uk_records
