"""A store's coverage from its manifest alone (``crimestats status``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crimestats.store.status import STATUS_COLUMNS, months_between, status_info, status_rows

MONTHS = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2010, 2030), st.integers(1, 12))


@given(MONTHS, MONTHS)
def test_months_between_lists_each_month_once_in_order(a, b):
    first, last = sorted((a, b))
    months = list(months_between(first, last))
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    assert len(months) == span and months[0] == first and months[-1] == last
    assert months == sorted(set(months))


def _manifest(parts: list[tuple[str, str, str]]) -> dict:
    partitions = {
        f"counts/src={src}/pfa={force}/month={month}": {"dataset": "counts", "src": src, "force": force, "month": month}
        for src, force, month in parts
    }
    records = {"dataset": "records", "src": "police.uk", "force": "x", "month": "2019-01"}
    partitions["records/pfa=x/month=2019-01"] = records  # records are not coverage
    return {"partitions": partitions, "files": {"a": {}, "b": {}}, "generation": 3, "last_refresh": "2026-01-01"}


def test_missing_months_of_a_monthly_source_with_the_gaps_a_notice_explains():
    manifest = _manifest(
        [("police.uk", "Greater Manchester", m) for m in ("2019-05", "2019-09")]
        + [("police.uk", "Kent", m) for m in ("2019-12", "2020-02")]
        + [("ons", "Kent", m) for m in ("2016-04", "2018-04")]
    )
    rows = status_rows(manifest)
    assert [tuple(row) for row in rows] == [STATUS_COLUMNS] * 3
    ons, manchester, kent = rows  # sorted by source, then force
    assert (ons["source"], ons["missing_months"], ons["periods"]) == ("ons", [], 2)  # annual: no months missing
    assert manchester["missing_months"] == ["2019-06", "2019-07", "2019-08"]
    assert sorted(manchester["known_gaps"]) == ["2019-07", "2019-08"]  # the July 2019 notice, not June
    assert (kent["first"], kent["last"], kent["missing_months"], kent["known_gaps"]) == (
        "2019-12",
        "2020-02",
        ["2020-01"],
        {},
    )
    assert status_info(manifest) == {"last_refresh": "2026-01-01", "generation": 3, "files": 2}


def test_a_source_no_longer_registered_lists_no_missing_months():
    (row,) = status_rows(_manifest([("gone", "Kent", "2019-01"), ("gone", "Kent", "2019-03")]))
    assert row["missing_months"] == [] and row["periods"] == 2
