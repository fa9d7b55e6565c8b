"""crimestats: reproducible community-safety performance statistics for England and Wales.

Loaders normalise recorded-crime sources into one canonical counts table; metrics, charts and
the performance snapshot work on that table.
"""

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

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # matplotlib costs most of a second to import: ``cs.plotting`` loads it on first use, so
    # ``crimestats status`` and a refresh that finds nothing new start fast.
    if name == "plotting":
        import importlib

        return importlib.import_module(".plotting", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CATEGORIES",
    "COLUMN_NAMES",
    "SELECTIONS",
    "ClusterError",
    "CountsFrame",
    "CoverageError",
    "CrimestatsError",
    "FileQuality",
    "FinancialYear",
    "PeriodError",
    "PopulationError",
    "QualityReport",
    "RefreshResult",
    "SchemaError",
    "SelectionError",
    "Snapshot",
    "Source",
    "SourceFormatError",
    "SourceReadError",
    "Store",
    "StoreError",
    "StoreLockedError",
    "UnknownAreaError",
    "UnknownDatasetError",
    "UnknownSelectionError",
    "area_name",
    "boundaries",
    "category_weights",
    "change_p_value",
    "changes_from_published",
    "combine",
    "compare_years",
    "contributions",
    "control_chart",
    "csps",
    "datasets",
    "empty_counts",
    "force_name",
    "forces",
    "known_gaps",
    "local_authorities",
    "monthly_series",
    "monthly_trend",
    "offences",
    "ons_lines",
    "peer_areas",
    "peer_limits",
    "performance_snapshot",
    "plotting",
    "population",
    "quality_report",
    "rank_changes",
    "rates",
    "read_extract",
    "read_home_office",
    "read_ons_csp",
    "read_ons_pfa",
    "read_ons_pfa_change",
    "read_peer_groups",
    "read_police_uk",
    "read_police_uk_records",
    "reconcile",
    "resolve_peer_group",
    "rolling_12_months",
    "same_month_last_year",
    "select",
    "severity",
    "severity_weights",
    "similar_areas",
    "sources",
    "validate",
]
