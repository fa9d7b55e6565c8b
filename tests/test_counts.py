"""The counts frame carries its coverage and quality beside the data, never copied by pandas."""

import crimestats as cs


def test_operations_pass_coverage_and_quality_on_by_reference(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([cs.datasets.path("police-uk-city-of-london-2017-01")])
    counts = store.read()
    assert counts.attrs == {}  # nothing pandas would deep-copy on every operation
    derived = counts[counts["count"] > 1].sort_values("count").copy()
    assert derived.quality is counts.quality and derived.coverage is counts.coverage
    assert cs.select(counts, "total recorded crime").quality is counts.quality
