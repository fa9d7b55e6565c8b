"""What a store covers, from its manifest alone: first and last month, months missing, known gaps.

Plain Python (no pandas), so ``crimestats status`` starts in a fraction of a second;
:meth:`crimestats.Store.status` gives the same rows as a frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import sources
from ..exceptions import CrimestatsError
from ..gap_notes import gap_note

#: The columns of a status row, in order.
STATUS_COLUMNS = ("source", "force", "first", "last", "periods", "missing_months", "known_gaps")


def months_between(first: str, last: str) -> Iterator[str]:
    """Every month from ``first`` to ``last`` (``"YYYY-MM"``), both included."""
    year, month = int(first[:4]), int(first[5:7])
    while (label := f"{year:04d}-{month:02d}") <= last:
        yield label
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def status_rows(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Coverage per source and force, sorted: a dict of :data:`STATUS_COLUMNS` each.

    ``missing_months`` lists the months between the first and last that a monthly source lacks;
    ``known_gaps`` maps those of them a published gap explains to its note.
    """
    held: dict[tuple[str, str], set[str]] = {}
    for meta in manifest["partitions"].values():
        if meta["dataset"] == "counts":
            held.setdefault((meta["src"], meta["force"]), set()).add(meta["month"])
    rows = []
    for (source, force), months in sorted(held.items()):
        present = sorted(months)
        monthly = _period_months(source) == 1
        missing = [m for m in months_between(present[0], present[-1]) if m not in months] if monthly else []
        gaps = {m: note for m in missing if (note := gap_note(source, force, m))}
        values = (source, force, present[0], present[-1], len(present), missing, gaps)
        rows.append(dict(zip(STATUS_COLUMNS, values, strict=True)))
    return rows


def status_info(manifest: dict[str, Any]) -> dict[str, Any]:
    """The store's last refresh, generation and number of source files."""
    return {
        "last_refresh": manifest.get("last_refresh"),
        "generation": manifest.get("generation"),
        "files": len(manifest["files"]),
    }


def _period_months(source: str) -> int | None:
    """Period length of a stored source (None for one no longer registered)."""
    try:
        return sources.get(source).period_months
    except CrimestatsError:
        return None
