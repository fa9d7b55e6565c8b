"""crimestats: reproducible community-safety performance statistics for England and Wales.

Loaders normalise recorded-crime sources into one canonical counts table; metrics, charts and
the performance snapshot work on that table.
"""

# ruff: noqa: F401 - the imports under TYPE_CHECKING name the public API for type checkers only

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from .lazy import loader

__version__ = "0.1.0"

#: Submodules exported (``cs.<name>``; any other submodule is reachable too, not exported).
_SUBMODULES = ("boundaries", "datasets", "sources", "plotting")
#: What ``cs.<name>`` is, by the module that defines it. Imported on first use (PEP 562), so
#: ``crimestats status`` and a refresh that finds nothing new start without pandas, scipy or
#: matplotlib; a notebook pays for each the first time it touches something that needs it.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "areas": ("area_name", "csps", "force_name", "forces", "local_authorities", "peer_areas", "population"),
    "control": ("control_chart", "monthly_series", "same_month_last_year"),
    "counts": ("CountsFrame", "combine"),
    "coverage": ("known_gaps",),
    "exceptions": (
        "ClusterError",
        "CoverageError",
        "CrimestatsError",
        "PeriodError",
        "PopulationError",
        "SchemaError",
        "SelectionError",
        "SourceFormatError",
        "SourceReadError",
        "StoreError",
        "StoreLockedError",
        "UnknownAreaError",
        "UnknownDatasetError",
        "UnknownSelectionError",
    ),
    "io": (
        "read_extract",
        "read_home_office",
        "read_ons_csp",
        "read_ons_pfa",
        "read_ons_pfa_change",
        "read_police_uk",
        "read_police_uk_records",
    ),
    "limits": ("peer_limits",),
    "metrics": ("changes_from_published", "compare_years", "contributions", "monthly_trend", "rank_changes", "rates"),
    "peergroups": ("read_peer_groups", "resolve_peer_group", "similar_areas"),
    "periods": ("FinancialYear", "rolling_12_months"),
    "quality": ("FileQuality", "QualityReport", "quality_report"),
    "revisions": ("reconcile",),
    "schema": ("COLUMN_NAMES", "empty_counts", "validate"),
    "selections": ("SELECTIONS", "ons_lines", "select"),
    "severity": ("category_weights", "severity", "severity_weights"),
    "significance": ("change_p_value",),
    "snapshot": ("Snapshot", "performance_snapshot"),
    "sources": ("Source",),
    "store": ("RefreshResult", "Store"),
    "taxonomy": ("CATEGORIES", "offences"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
#: Functions named like the module that holds them (``cs.severity``, of ``crimestats.severity``).
_NAMED_LIKE_THEIR_MODULE = frozenset(name for name, module in _MODULE_OF.items() if name == module)


class _Package(types.ModuleType):
    """The package's module type: ``cs.severity`` stays the function once its module is imported.

    Importing a submodule sets it as an attribute of the package, which would hide a function
    of the same name that the package exports.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _NAMED_LIKE_THEIR_MODULE and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__getattr__, __dir__ = loader(__name__, {name: f".{module}" for name, module in _MODULE_OF.items()})

__all__ = sorted([*_SUBMODULES, *_MODULE_OF])

if TYPE_CHECKING:  # what type checkers and editors see; tests/test_import_cost.py checks it matches _EXPORTS
    from . import boundaries, datasets, sources
    from .areas import area_name, csps, force_name, forces, local_authorities, peer_areas, population
    from .control import control_chart, monthly_series, same_month_last_year
    from .counts import CountsFrame, combine
    from .coverage import known_gaps
    from .exceptions import (
        ClusterError,
        CoverageError,
        CrimestatsError,
        PeriodError,
        PopulationError,
        SchemaError,
        SelectionError,
        SourceFormatError,
        SourceReadError,
        StoreError,
        StoreLockedError,
        UnknownAreaError,
        UnknownDatasetError,
        UnknownSelectionError,
    )
    from .io import (
        read_extract,
        read_home_office,
        read_ons_csp,
        read_ons_pfa,
        read_ons_pfa_change,
        read_police_uk,
        read_police_uk_records,
    )
    from .limits import peer_limits
    from .metrics import changes_from_published, compare_years, contributions, monthly_trend, rank_changes, rates
    from .peergroups import read_peer_groups, resolve_peer_group, similar_areas
    from .periods import FinancialYear, rolling_12_months
    from .quality import FileQuality, QualityReport, quality_report
    from .revisions import reconcile
    from .schema import COLUMN_NAMES, empty_counts, validate
    from .selections import SELECTIONS, ons_lines, select
    from .severity import category_weights, severity, severity_weights
    from .significance import change_p_value
    from .snapshot import Snapshot, performance_snapshot
    from .sources import Source
    from .store import RefreshResult, Store
    from .taxonomy import CATEGORIES, offences
