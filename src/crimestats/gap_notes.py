"""Published gaps in the sources, read without pandas (``data/known_gaps.csv``).

The one reader of the known-gaps table: :func:`crimestats.known_gaps` and the coverage notes
build on it, and ``crimestats status`` uses it as it is, so a status needs no pandas.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

#: The table's columns, in order; ``last_month`` is empty for a gap still open.
COLUMNS = ("source", "force", "first_month", "last_month", "what", "reference")


@cache
def gap_rows() -> tuple[dict[str, str | None], ...]:
    """Every known gap as a row of :data:`COLUMNS` (None where the table leaves a field empty)."""
    text = resources.files("crimestats.data").joinpath("known_gaps.csv").read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"known_gaps.csv: expected the columns {list(COLUMNS)}, found {reader.fieldnames}")
    return tuple({column: row[column] or None for column in COLUMNS} for row in reader)


def gap_note(source: str | None, force: str | None, month: str) -> str | None:
    """What a known gap says of a force's month (``"YYYY-MM"``) in a source (any source when None), else None."""
    for row in gap_rows():
        if (
            row["force"] == force
            and (source is None or row["source"] == source)
            and row["first_month"] <= month <= (row["last_month"] or "9999-12")
        ):
            return row["what"]
    return None
