"""The Arrow street-file path (issue 15) against the pandas reader it replaced, and read in blocks."""

import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.io import police_uk, street_blocks, street_chunks
from crimestats.io.street_files import discover
from tests.conftest import SHARED, TEST_DATA
from tests.io import legacy_police_uk as legacy

CITY = TEST_DATA / "police-uk" / "city-of-london"
MIXED = TEST_DATA / "police-uk" / "mixed-2022-06"
SAMPLE = cs.datasets.path("police-uk-city-of-london-2017-01")
REAL = SHARED / "real" / "police-uk"
REAL_FOLDERS = sorted(p.name for p in REAL.iterdir()) if REAL.exists() else []


def assert_same(old: pd.DataFrame, new: pd.DataFrame) -> None:
    """Counts, coverage and every quality record equal."""
    pd.testing.assert_frame_equal(pd.DataFrame(old), pd.DataFrame(new))
    pd.testing.assert_frame_equal(old.coverage, new.coverage)
    assert [q.to_dict() for q in old.quality] == [q.to_dict() for q in new.quality]
    for key in ("ignored_files", "duplicate_files"):
        assert old.attrs[key] == new.attrs[key]


def duplicate_ids_within_months(path) -> int:
    """Crime IDs met more than once among the files of each month, counted the legacy way (pandas)."""
    total = 0
    files, _ = discover(path)
    for month in sorted({f.month for f in files}):
        parts = [
            pd.read_csv(f.name, usecols=["Crime ID"], dtype="string")["Crime ID"]
            for f in files
            if f.month == month and "Crime ID" in pd.read_csv(f.name, nrows=0).columns
        ]
        if not parts:
            continue
        ids = pd.concat(parts).str.strip().dropna()
        total += int(ids[ids != ""].duplicated().sum())
    return total


@pytest.mark.parametrize("path", [SAMPLE, CITY, MIXED], ids=["sample", "city", "mixed"])
def test_arrow_path_equals_the_pandas_reader_on_bundled_files(path):
    old_counts, old_records = legacy._read(path, records=True)
    new_counts, new_records = police_uk._read(path, records=True)
    assert_same(old_counts, new_counts)
    pd.testing.assert_frame_equal(pd.DataFrame(old_records), pd.DataFrame(new_records))


@pytest.mark.shared
@pytest.mark.parametrize("folder", REAL_FOLDERS or ["(shared data absent)"])
def test_arrow_path_equals_the_pandas_reader_on_every_real_folder(folder):
    if not REAL_FOLDERS:
        pytest.skip("shared data not available: ../shared/data/real/police-uk")
    path = REAL / folder
    old, _ = legacy._read(path)
    new, _ = police_uk._read(path)
    assert_same(old, new)
    assert int(new["count"].sum()) == sum(q.rows_read for q in new.quality)
    # Crime IDs are now compared within each month (memory is one month's IDs, not the read's).
    assert new.attrs["duplicate_crime_ids_across_files"] == duplicate_ids_within_months(path)


@pytest.mark.shared
def test_records_equal_the_pandas_reader_on_a_real_folder_with_the_2011_layout():
    path = REAL / "west-midlands-2011-02"
    if not path.exists():
        pytest.skip("shared data not available")
    _, old = legacy._read(path, records=True)
    new = cs.read_police_uk_records(path)
    pd.testing.assert_frame_equal(pd.DataFrame(old), pd.DataFrame(new))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block=st.integers(min_value=200, max_value=40_000))
def test_a_file_read_in_small_blocks_gives_what_one_block_gives(monkeypatch, block):
    whole = cs.read_police_uk(MIXED)
    monkeypatch.setattr(street_blocks, "BLOCK_BYTES", block)
    parts = cs.read_police_uk(MIXED)
    assert_same(whole, parts)


def test_errors_in_a_later_block_name_the_same_line(tmp_path, monkeypatch):
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    bad = tmp_path / "2017-01-city-of-london-street.csv"
    bad.write_bytes(b"".join([*lines[:300], lines[300].replace(b",2017-01,", b",2017-13,"), *lines[301:]]))
    with pytest.raises(cs.SourceFormatError) as whole:
        cs.read_police_uk(bad)
    monkeypatch.setattr(street_blocks, "BLOCK_BYTES", 4096)
    with pytest.raises(cs.SourceFormatError) as parts:
        cs.read_police_uk(bad)
    assert str(parts.value) == str(whole.value)
    assert whole.value.row == 301 and whole.value.column == "Month"
    # A cut last line: the field count error names the last line, whatever the block size.
    bad.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])
    with pytest.raises(cs.SourceFormatError, match="expected 12 as in the header") as cut:
        cs.read_police_uk(bad)
    assert cut.value.row == len(lines)


def test_blank_lines_and_a_missing_last_line_break_are_reported_not_fatal(tmp_path):
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    path = tmp_path / "2017-01-city-of-london-street.csv"
    path.write_bytes(b"".join(lines[:10]) + b"\n\r\n" + b"".join(lines[10:]).rstrip(b"\r\n"))
    counts = cs.read_police_uk(path)
    (quality,) = counts.quality
    assert int(counts["count"].sum()) == len(lines) - 1
    assert quality.details["blank_lines"] == 2
    assert quality.details["last_line_unterminated"] == len(lines) + 2


def test_the_same_file_twice_is_found_by_size_then_content(tmp_path):
    shutil.copytree(CITY, tmp_path / "a")
    shutil.copytree(CITY, tmp_path / "b")
    counts = cs.read_police_uk(tmp_path)
    assert int(counts["count"].sum()) == int(cs.read_police_uk(CITY)["count"].sum())
    assert len(counts.attrs["duplicate_files"]) == len(list(CITY.rglob("*-street.csv")))


@pytest.mark.parametrize("records", [False, True])
@pytest.mark.parametrize("at_once", [256, 2])
def test_load_many_gives_each_unit_what_loading_it_alone_gives_and_isolates_bad_files(
    tmp_path, monkeypatch, at_once, records
):
    # Units handed on in batches, or all together (records are batched on their own count).
    monkeypatch.setattr(police_uk, "RECORD_UNITS_AT_ONCE" if records else "UNITS_AT_ONCE", at_once)
    paths = sorted(str(p) for p in (TEST_DATA / "police-uk").rglob("*-street.csv"))
    bad = tmp_path / "2017-01-city-of-london-street.csv"
    bad.write_bytes(SAMPLE.read_bytes()[:-40])  # a cut last line
    empty = tmp_path / "2017-02-city-of-london-street.csv"
    empty.write_bytes(b"")
    paths[3:3] = [str(bad), str(empty)]
    results = list(cs.sources.get("police.uk").load_many(paths, records=records))
    assert len(results) == len(paths)
    for path, (counts, found_records, error) in zip(paths, results, strict=True):
        if path in (str(bad), str(empty)):
            with pytest.raises(cs.SourceFormatError) as alone:
                police_uk._read(path)
            assert counts is None and str(error) == str(alone.value)
            continue
        alone, alone_records = police_uk._read(path, records=records)
        assert error is None
        assert_same(alone, counts)
        assert alone.attrs == counts.attrs
        if records:
            pd.testing.assert_frame_equal(found_records, alone_records)
        else:
            assert found_records is None


def test_load_many_counts_crime_ids_repeated_in_a_file_and_across_a_folder_s_files(tmp_path):
    # A unit of one file counts its own repeats (no hashes kept); a folder counts repeats across its files.
    lines = SAMPLE.read_text().splitlines(keepends=True)
    crime = next(line for line in lines[1:] if line.split(",")[0])  # a row with a crime ID
    single = tmp_path / "one" / "2017-01-city-of-london-street.csv"
    single.parent.mkdir()
    single.write_text("".join([*lines, crime, crime]))
    folder = tmp_path / "folder"
    for name, text in (("a", "".join(lines)), ("b", lines[0] + crime)):
        (folder / name).mkdir(parents=True)
        (folder / name / "2017-01-city-of-london-street.csv").write_text(text)
    paths = [str(single), str(folder)]
    results = list(cs.sources.get("police.uk").load_many(paths))
    repeated = [counts.attrs["duplicate_crime_ids_across_files"] for counts, _, _ in results]
    assert repeated == [2, 1]
    for path, (counts, _, _) in zip(paths, results, strict=True):
        assert counts.attrs == police_uk._read(path)[0].attrs


def _read_digest(file, **options):
    """The FileDigest parsed_blocks ends a file with (None when it gives none)."""
    items = list(street_blocks.parsed_blocks(file, digest=True, **options))
    assert not any(isinstance(item, street_blocks.FileDigest) for item in items[:-1])
    return items[-1].digest if isinstance(items[-1], street_blocks.FileDigest) else None


@pytest.mark.parametrize("block", [None, 4096, 300])
@pytest.mark.parametrize("scanner", [True, False])
@pytest.mark.parametrize("content", ["sample", "crlf-bom", "no-last-line-break", "header-only", "blank-line"])
@pytest.mark.parametrize("records", [False, True])  # records: pyarrow parses every block, fed from Python
def test_a_plain_file_is_digested_as_it_is_read_as_from_disk(tmp_path, monkeypatch, block, scanner, content, records):
    # Whatever way its bytes arrive (whole into the thread's buffer, or block by block), the
    # digest is the file's: what a store records, without reading the file again.
    from crimestats import digests

    data = SAMPLE.read_bytes()
    middle = data.index(b"\n", len(data) // 2) + 1  # a line start
    data = {
        "sample": data,
        "crlf-bom": b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"),
        "no-last-line-break": data.rstrip(b"\n"),
        "header-only": data[: data.index(b"\n") + 1],
        # The scanner declines the block with the blank line (the exact path reads it): fed once all the same.
        "blank-line": data[:middle] + b"\n" + data[middle:],
    }[content]
    path = tmp_path / "2017-01-city-of-london-street.csv"
    path.write_bytes(data)
    if block:
        monkeypatch.setattr(street_blocks, "BLOCK_BYTES", block)
    if not scanner:  # as an install with no compiled module: no scanner, and xxhash's own digest
        monkeypatch.setattr(street_blocks, "SCANNER", None)
        monkeypatch.setattr(street_blocks, "_DIGEST", None)
    (file,), _ = discover(path)
    assert _read_digest(file, records=records) == digests.file_digest(path)
    assert not any(isinstance(i, street_blocks.FileDigest) for i in street_blocks.parsed_blocks(file))


def test_a_zip_member_or_a_gzip_is_not_digested_as_read(tmp_path):
    # Their bytes as read are not the file's on disk: the store hashes those from disk.
    import gzip
    import zipfile

    gz = tmp_path / "2017-01-city-of-london-street.csv.gz"
    gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    archive = tmp_path / "months.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(SAMPLE, "2017-01/2017-01-city-of-london-street.csv")
    for path in (gz, archive):
        (file,), _ = discover(path)
        assert _read_digest(file) is None


@pytest.mark.parametrize("months", [None, ["2017-01", "2017-03"]], ids=["all-months", "two-months"])
def test_counting_by_key_in_c_gives_what_numpy_gives(tmp_path, monkeypatch, months):
    # 2017-01 holds rows of 2017-02 too (left out when only its month is asked for: count_keys
    # gets the rows to keep); 2017-03 holds LSOA codes no table knows, placed by the LSOA name
    # where the council is known (count_keys declines the block: numpy places them).
    def changed(month: str, change) -> None:
        source = CITY / month / f"{month}-city-of-london-street.csv"
        header, *rows = source.read_text().splitlines()
        (tmp_path / month).mkdir()
        text = "\n".join([header, *(",".join(change(k, row.split(","))) for k, row in enumerate(rows))])
        (tmp_path / month / source.name).write_text(text + "\n")

    def other_month(k: int, fields: list[str]) -> list[str]:
        return [fields[0], "2017-02", *fields[2:]] if k % 5 == 0 else fields

    def unknown_codes(k: int, fields: list[str]) -> list[str]:
        if k % 7 == 0:
            fields[7:9] = ["E01999999", "Camden 028B"]  # unknown code, known council: the name places it
        elif k % 11 == 0:
            fields[7:9] = ["W01999999", "Nowhere 001A"]  # unknown code and council: no area
        return fields

    changed("2017-01", other_month)
    changed("2017-03", unknown_codes)
    answered: list = []
    monkeypatch.setattr(street_chunks, "COUNT_KEYS", _spy(street_blocks.COUNT_KEYS, answered))
    with_c = cs.read_police_uk(tmp_path, months=months)
    assert sorted(found is not None for found in answered) == [False, True]  # the files are read in two threads
    monkeypatch.setattr(street_chunks, "COUNT_KEYS", None)
    assert_same(cs.read_police_uk(tmp_path, months=months), with_c)
    assert_same(legacy._read(tmp_path, months=months)[0], with_c)
    first, placed_by_name = (q.to_dict() for q in with_c.quality)
    assert first["months"] == (["2017-01"] if months else ["2017-01", "2017-02"])
    assert placed_by_name["details"]["lsoa_name_fallback"] > 0 and placed_by_name["rows_no_area"]["unknown_lsoa"] > 0


def _spy(function, calls: list):
    def spy(*args):
        found = function(*args)
        calls.append(found)
        return found

    return spy
