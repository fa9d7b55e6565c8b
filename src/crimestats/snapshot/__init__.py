"""The performance snapshot: a year's findings as report-ready sentences, a findings table and charts.

A pipeline of stages, each callable on its own:

1. :func:`compute_findings` (``findings.py``): the numbers, once, as a :class:`Findings`;
2. :func:`write_sentences` (``sentences.py``): the bullets, from the findings only;
3. :func:`draw_figures` (``figures.py``): the charts, from the findings only;
4. :class:`Snapshot` (``report.py``): the result, saved as a folder, Markdown or HTML, and as Word
   and Excel (``office.py``), each with its provenance (``provenance.py``).

:func:`performance_snapshot` runs them in that order and does nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..metrics import PeriodLike
from . import labels
from .findings import Findings, PeerGroups, SelectionLike, compute_findings
from .labels import SENTENCE_LABELS, source_note
from .provenance import Provenance, provenance_of
from .report import CHART_FORMATS, DOCUMENT_FORMATS, OutputFormatError, Snapshot
from .sentences import write_notes, write_sentences

__all__ = [
    "CHART_FORMATS",
    "DOCUMENT_FORMATS",
    "SENTENCE_LABELS",
    "Findings",
    "OutputFormatError",
    "Provenance",
    "Snapshot",
    "compute_findings",
    "draw_figures",
    "performance_snapshot",
    "provenance_of",
    "source_note",
    "write_notes",
    "write_sentences",
]


def __getattr__(name: str) -> object:
    # ``draw_figures`` needs matplotlib; importing it only when asked keeps ``import crimestats`` light.
    if name == "draw_figures":
        from .figures import draw_figures

        return draw_figures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def performance_snapshot(
    counts: pd.DataFrame,
    *,
    area: str,
    year: PeriodLike,
    peers: str | Sequence[str],
    selections: SelectionLike | Sequence[SelectionLike] = ("total recorded crime",),
    base: PeriodLike | None = None,
    source_note: str | None = None,
    level: str = "csp",
    peer_groups: PeerGroups = None,
) -> Snapshot:
    """Build the "Performance Snapshot" of a community-safety annual report.

    Parameters
    ----------
    counts
        Canonical counts covering both years for the area and all its peers.
    area
        The area the report is about: a CSP, local authority or alias, in any case
        ("Wolverhampton", "City of Wolverhampton", "wolverhampton").
    year
        The report period: a financial year ("2017/18"), "latest" (the latest complete financial
        year in the counts), "latest-12-months" (the latest 12 months in the counts), a quarter
        ("2017/18 Q3"), a calendar year ("2017"), "12m:YYYY-MM" (the 12 months to a month) or a
        (first, last) pair of months.
    peers
        Peer group: a force area ("West Midlands", any usual spelling), "region:<name>", a list
        of areas, a comma-separated string of areas, or the name of a group in ``peer_groups``
        (see :func:`crimestats.peergroups.resolve_peer_group`). A group of one area makes no
        ranking or peer-position claims.
    selections
        What to report on, first the headline (default total recorded crime); e.g. add
        "knife or sharp instrument offences". One string is one selection.
    base
        The comparison period, any earlier period of the same length; default the one just
        before ``year`` (for a quarter, the same quarter a year before).
    source_note
        Source line printed under every chart; default from the counts' sources.
    level
        "csp" (areas are CSPs) or "force" (``area`` and the peers are police force areas, e.g.
        ``peers="region:West Midlands"`` or ``"England"``).
    peer_groups
        Named peer groups: a mapping of name to areas, or a TOML/CSV file
        (:func:`crimestats.peergroups.read_peer_groups`).

    Returns
    -------
    Snapshot

    Raises
    ------
    UnknownAreaError
        An unknown area or peer group (the message suggests the closest known names), or an area
        outside its peer group.
    UnknownSelectionError, SelectionError, PeriodError
        A selection or year the counts cannot answer.

    Examples
    --------
    >>> import crimestats as cs
    >>> counts = cs.read_home_office(cs.datasets.path("scenario-csp"))
    >>> snap = cs.performance_snapshot(counts, area="Wolverhampton", year="2017/18", peers="West Midlands")
    >>> print(snap.bullets[0])  # doctest: +NORMALIZE_WHITESPACE
    Wolverhampton saw a 13.6% upturn in total recorded crime since 2016-2017, with 21,225 offences
    (an increase of 2,541); this is the 2nd lowest increase across the West Midlands.
    """
    findings = compute_findings(
        counts,
        area=area,
        year=year,
        peers=peers,
        selections=selections,
        base=base,
        level=level,
        peer_groups=peer_groups,
    )
    from .figures import draw_figures  # matplotlib: imported when charts are drawn, not with the package

    return Snapshot(
        area=findings.area,
        year=findings.current.label,
        peers=findings.peers,
        bullets=write_sentences(findings),
        findings=findings.table,
        figures=draw_figures(findings, note=source_note or labels.source_note(findings.sources)),
        tables=findings.tables,
        notes=write_notes(findings),
        provenance=provenance_of(counts),
    )
