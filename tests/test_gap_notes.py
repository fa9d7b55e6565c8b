"""The known-gaps table, read without pandas."""

from __future__ import annotations

import pandas as pd

import crimestats as cs
from crimestats.coverage import known_gap
from crimestats.gap_notes import COLUMNS, gap_note, gap_rows


def test_the_rows_are_the_published_table():
    rows = gap_rows()
    assert rows and all(tuple(row) == COLUMNS for row in rows)
    table = cs.known_gaps()
    assert list(table.columns) == list(COLUMNS)
    assert table.astype(object).where(table.notna(), None).to_dict(orient="records") == list(rows)


def test_an_open_gap_covers_every_month_from_its_first():
    note = gap_note("police.uk", "Greater Manchester", "2019-07")
    assert note is not None and note.startswith("Greater Manchester Police")
    assert gap_note("police.uk", "Greater Manchester", "2025-03") == note
    assert gap_note("police.uk", "Greater Manchester", "2019-06") is None


def test_a_closed_gap_ends_at_its_last_month_and_names_its_source():
    assert gap_note("ons", "Greater Manchester", "2019-12") is not None
    assert gap_note("ons", "Greater Manchester", "2020-01") is None
    assert gap_note("ons", "Devon and Cornwall", "2022-11") is None  # a police.uk gap only
    assert gap_note(None, "Devon and Cornwall", "2022-11") is not None  # any source
    assert gap_note("police.uk", "Kent", "2022-11") is None


def test_the_coverage_helper_gives_the_same_note_for_a_timestamp():
    month = pd.Timestamp("2022-12-01")
    assert known_gap("police.uk", "Devon and Cornwall", month) == gap_note("police.uk", "Devon and Cornwall", "2022-12")
