"""The boundary vintages crimestats counts on, named without loading the boundary tables.

:mod:`crimestats.boundaries` holds the tables; the command line lists these choices without
importing it (or pandas).
"""

from __future__ import annotations

#: CSP boundary vintages (the April each set of councils and partnerships took effect), oldest first.
BOUNDARY_VINTAGES: tuple[str, ...] = ("2016", "2018", "2019", "2022", "2024")
LATEST_BOUNDARIES = BOUNDARY_VINTAGES[-1]
#: LSOA vintages (census years) of the codes data.police.uk files carry.
LSOA_VINTAGES: tuple[str, ...] = ("2011", "2021")
