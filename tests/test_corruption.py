"""The corruption suite: corrupted copies of real samples are refused, or loaded with every row accounted.

The invariant (issue 16): a reader either raises a :class:`~crimestats.CrimestatsError` (naming the
file), or returns counts whose rows read, rows counted and total equal what Python's csv module
finds in the corrupted file. Nothing is lost silently and nothing is counted twice.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections import Counter

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.io.home_office import VARIABLE_MAP as HOME_OFFICE_COLUMNS
from tests import corrupt
from tests.corrupt import data_rows, well_formed_rows

SUITE = settings(
    max_examples=8,  # per corruption kind
    deadline=None,
    derandomize=True,  # the same examples in CI every run
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Each corruption with hypothesis strategies for its parameters.
CORRUPTIONS = {
    "truncate": lambda data, draw: corrupt.truncate(data, draw(st.floats(0, 1))),
    "remove_quote": lambda data, draw: corrupt.remove_quote(data, draw(st.integers(0, 10_000))),
    "duplicate_lines": lambda data, draw: corrupt.duplicate_lines(
        data, draw(st.integers(0, 10_000)), draw(st.integers(1, 10))
    ),
    "rename_column": lambda data, draw: corrupt.rename_column(
        data, draw(st.integers(0, 20)), draw(st.sampled_from(["Crime ID", "Offence", "x", "", "Month"]))
    ),
    "reencode": lambda data, draw: corrupt.reencode(data, draw(st.sampled_from(["utf-16", "latin-1", "utf-8-sig"]))),
    "insert_nuls": lambda data, draw: corrupt.insert_nuls(data, draw(st.floats(0, 1)), draw(st.integers(1, 4096))),
    "extra_field": lambda data, draw: corrupt.extra_field(data, draw(st.integers(0, 10_000))),
    "blank_lines": lambda data, draw: corrupt.blank_lines(data, draw(st.integers(0, 10_000)), draw(st.integers(1, 3))),
}


def _corrupt(data: bytes, kind: str, draw) -> bytes:
    return CORRUPTIONS[kind](data, draw)


@pytest.mark.parametrize("kind", [*CORRUPTIONS, "swap_month"])
@SUITE
@given(sample=st.sampled_from(sorted(corrupt.STREET_FILES)), data=st.data())
def test_street_file_refused_or_every_row_accounted(tmp_path_factory, sample, kind, data):
    name, original = corrupt.street_sample(sample)
    if kind == "swap_month":
        month = name[:7]
        corrupted = corrupt.swap_month(original, month, "2099-01", data.draw(st.integers(1, 400)))
    else:
        corrupted = _corrupt(original, kind, data.draw)
    path = tmp_path_factory.mktemp("street") / name
    path.write_bytes(corrupted)
    try:
        counts = cs.read_police_uk(path)
    except cs.CrimestatsError as error:
        event(f"{kind}: refused")
        assert name in str(error)
        return
    event(f"{kind}: loaded")
    rows = well_formed_rows(corrupted)
    assert rows is not None, "a malformed file was loaded"
    [quality] = counts.quality
    assert int(counts["count"].sum()) == quality.rows_counted == quality.rows_read == len(rows)
    header = next(csv.reader(io.StringIO(corrupted.decode("utf-8-sig"))))
    by_month = Counter(row[header.index("Month")] for row in rows)
    assert {f"{k:%Y-%m}": int(v) for k, v in counts.groupby("period_start")["count"].sum().items()} == by_month
    # Rows not of the month the name gives are reported, never silent.
    assert sum(quality.details.get("rows_other_months", {}).values()) == len(rows) - by_month[name[:7]]


@pytest.mark.parametrize("kind", CORRUPTIONS)
@SUITE
@given(data=st.data())
def test_home_office_table_refused_or_every_row_and_offence_accounted(tmp_path_factory, kind, data):
    corrupted = _corrupt(corrupt.home_office_sample(), kind, data.draw)
    path = tmp_path_factory.mktemp("ho") / "prc-pfa.csv"
    path.write_bytes(corrupted)
    try:
        counts = cs.read_home_office(path)
    except cs.CrimestatsError as error:
        event(f"{kind}: refused")
        assert "prc-pfa.csv" in str(error)
        return
    event(f"{kind}: loaded")
    rows = well_formed_rows(corrupted)
    assert rows is not None, "a malformed file was loaded"
    header = [h.strip().lower() for h in next(csv.reader(io.StringIO(corrupted.decode("utf-8-sig"))))]
    column = next(i for i, h in enumerate(header) if h in {n.lower() for n in HOME_OFFICE_COLUMNS["count"]})
    assert counts.quality[0].rows_read == len(rows)
    assert int(counts["count"].sum()) == sum(int(float(row[column].strip().replace(",", ""))) for row in rows)


@pytest.mark.parametrize("kind", CORRUPTIONS)
@SUITE
@given(gzipped=st.booleans(), data=st.data())
def test_extract_refused_or_every_record_accounted(tmp_path_factory, kind, gzipped, data):
    import gzip

    corrupted = _corrupt(corrupt.extract_sample(), kind, data.draw)
    folder = tmp_path_factory.mktemp("extract")
    path = folder / ("extract.csv.gz" if gzipped else "extract.csv")
    path.write_bytes(gzip.compress(corrupted) if gzipped else corrupted)
    try:
        counts = cs.read_extract(path, corrupt.MAPPING)
    except cs.CrimestatsError as error:
        event(f"{kind}: refused")
        assert path.name in str(error)
        return
    event(f"{kind}: loaded")
    rows = well_formed_rows(corrupted)
    assert rows is not None, "a malformed file was loaded"
    [quality] = counts.quality
    assert int(counts["count"].sum()) == quality.rows_counted == quality.rows_read == len(rows)


@SUITE
@given(cut=st.floats(0.05, 1), data=st.data())
def test_truncated_gzip_extract_is_refused_or_complete(tmp_path_factory, cut, data):
    import gzip

    original = corrupt.extract_sample(300)
    compressed = gzip.compress(original)
    path = tmp_path_factory.mktemp("gz") / "extract.csv.gz"
    path.write_bytes(compressed[: int(len(compressed) * cut)])
    try:
        counts = cs.read_extract(path, corrupt.MAPPING)
    except cs.CrimestatsError as error:
        assert "extract.csv.gz" in str(error)
        return
    assert int(counts["count"].sum()) == len(data_rows(original))


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_same_files_reached_twice_are_read_once(tmp_path, as_zip):
    folder = tmp_path / "download"
    for path in corrupt.STREET_FILES.values():
        (folder / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / path.parent.name / path.name)
    expected = cs.read_police_uk(folder)
    corrupt.copy_folder(folder)
    source = folder
    if as_zip:
        source = tmp_path / "download.zip"
        with zipfile.ZipFile(source, "w") as archive:
            for path in sorted(folder.rglob("*.csv")):
                archive.write(path, path.relative_to(folder))
    counts = cs.read_police_uk(source)
    assert int(counts["count"].sum()) == int(expected["count"].sum())
    assert len(counts.attrs["duplicate_files"]) == len(corrupt.STREET_FILES)


@settings(SUITE, max_examples=30)
@given(data=st.data())
def test_damaged_zip_is_refused_or_read_exactly(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("zip")
    archive = folder / "download.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in corrupt.STREET_FILES.values():
            zipped.write(path, f"{path.parent.name}/{path.name}")
    original = archive.read_bytes()
    damage = data.draw(st.sampled_from(["truncate", "overwrite"]))
    at = data.draw(st.integers(0, len(original) - 1))
    if damage == "truncate":
        archive.write_bytes(original[:at])
    else:
        archive.write_bytes(original[:at] + bytes([original[at] ^ 0xFF]) + original[at + 1 :])
    try:
        counts = cs.read_police_uk(archive)
    except cs.CrimestatsError as error:
        event(f"{damage}: refused")
        assert "download.zip" in str(error)
        return
    event(f"{damage}: loaded")
    # A zip member's CRC guards its bytes: whatever loads is every row of the files read.
    read = {q.file.split("!", 1)[1].split("/")[-1] for q in counts.quality}
    expected = sum(len(data_rows(p.read_bytes())) for p in corrupt.STREET_FILES.values() if p.name in read)
    assert int(counts["count"].sum()) == expected
