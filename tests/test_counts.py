"""The counts frame carries its coverage and quality beside the data, never copied by pandas."""

import pandas as pd

import crimestats as cs


def test_operations_pass_coverage_and_quality_on_by_reference(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([cs.datasets.path("police-uk-city-of-london-2017-01")])
    counts = store.read()
    assert counts.attrs == {}  # nothing pandas would deep-copy on every operation
    derived = counts[counts["count"] > 1].sort_values("count").copy()
    assert derived.quality is counts.quality and derived.coverage is counts.coverage
    assert cs.select(counts, "total recorded crime").quality is counts.quality


def test_coverage_of_no_rows_or_of_rows_that_say_nothing_is_empty():
    from crimestats.counts import COVERAGE_COLUMNS, make_coverage

    for rows in ([], [{}], [{}, {}], pd.DataFrame()):
        coverage = make_coverage(rows)
        assert coverage.empty and list(coverage.columns) == list(COVERAGE_COLUMNS)
