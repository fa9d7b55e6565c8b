"""Derived tables kept between processes: built once, rebuilt when anything they come from changes."""

from __future__ import annotations

import os
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crimestats import boundaries, cache, lsoa_tables

INPUTS = ("lsoa_changes.parquet",)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def module_file(tmp_path):
    path = tmp_path / "module.py"
    path.write_text("# derives the table\n")
    return str(path)


class Builder:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        return {"numbers": np.arange(5, dtype=np.int64), "names": cache.text_array(["a", "Ynys Môn", ""])}


def _equal(found: dict, expected: dict) -> None:
    assert found.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(found[key], expected[key])
        assert found[key].dtype == expected[key].dtype


def test_a_table_is_built_once_then_loaded(folder, module_file):
    build = Builder()
    first = cache.derived("table", INPUTS, module_file, build)
    again = cache.derived("table", INPUTS, module_file, build)
    assert build.calls == 1
    _equal(again, first)
    assert cache.text_values(again["names"]) == ["a", "Ynys Môn", ""]
    assert len(list(folder.glob("table-*.arrays"))) == 1
    assert not list(folder.glob(".*"))  # no temporary file left behind


def test_a_changed_module_builds_the_table_again(folder, module_file):
    build = Builder()
    cache.derived("table", INPUTS, module_file, build)
    stat = os.stat(module_file)
    os.utime(module_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    cache.derived("table", INPUTS, module_file, build)
    assert build.calls == 1  # a new time alone is not a change: the key is the bytes
    Path(module_file).write_text("# derives the table another way\n")
    os.utime(module_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old time
    cache.derived("table", INPUTS, module_file, build)
    assert build.calls == 2


@pytest.mark.parametrize("damage", ["empty", "other bytes", "cut short", "a byte changed", "bad record"])
def test_a_damaged_cache_file_is_rebuilt_and_replaced(folder, module_file, damage):
    build = Builder()
    expected = cache.derived("table", INPUTS, module_file, build)
    (path,) = folder.glob("table-*.arrays")
    data = path.read_bytes()
    changed = bytearray(data)
    changed[-3] ^= 0x20
    body = b"\x93NUMPY not a record"
    path.write_bytes(
        {
            "empty": b"",
            "other bytes": b"PK\x03\x04 not ours",
            "cut short": data[:-10],
            "a byte changed": bytes(changed),
            "bad record": cache.MAGIC + zlib.crc32(body).to_bytes(4, "little") + body,
        }[damage]
    )
    _equal(cache.derived("table", INPUTS, module_file, build), expected)
    assert build.calls == 2
    _equal(cache.derived("table", INPUTS, module_file, build), expected)
    assert build.calls == 2  # the replacement is read


def test_a_cache_that_cannot_be_written_only_means_building(tmp_path, monkeypatch, module_file):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocked / "cache"))
    build = Builder()
    _equal(cache.derived("table", INPUTS, module_file, build), Builder()())
    cache.derived("table", INPUTS, module_file, build)
    assert build.calls == 2


def test_an_empty_cache_setting_keeps_nothing(tmp_path, monkeypatch, module_file):
    monkeypatch.setenv(cache.CACHE_ENV, "")
    monkeypatch.chdir(tmp_path)
    build = Builder()
    cache.derived("table", INPUTS, module_file, build)
    cache.derived("table", INPUTS, module_file, build)
    assert build.calls == 2 and cache.cache_dir() is None
    assert [p.name for p in tmp_path.iterdir()] == ["module.py"]


def test_the_default_folder_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "crimestats"


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=["Cs"]))))
def test_text_survives_the_round_trip(values):
    assert cache.text_values(cache.text_array(values)) == values


def test_text_with_a_newline_is_refused():
    with pytest.raises(ValueError, match="newline"):
        cache.text_array(["a\nb"])


@pytest.mark.parametrize("vintage", ["2016", "2024"])
def test_the_cached_lsoa_table_is_the_table_built_afresh(folder, vintage):
    built = lsoa_tables.table_arrays(vintage)
    boundaries.lsoa_table.cache_clear()
    try:
        boundaries.lsoa_table(vintage)  # built, and kept
        boundaries.lsoa_table.cache_clear()
        assert len(list(folder.glob(f"lsoa-table-{vintage}-*.arrays"))) == 1
        table = boundaries.lsoa_table(vintage)  # loaded
    finally:
        boundaries.lsoa_table.cache_clear()
    assert list(table.codes) == cache.text_values(built["codes"])
    assert table.areas == tuple(
        zip(cache.text_values(built["area_codes"]), cache.text_values(built["area_names"]), strict=True)
    )
    np.testing.assert_array_equal(table.area, built["area"])
    np.testing.assert_array_equal(table.sets, built["sets"])
    assert table.index[table.codes[-1]] == len(table.codes) - 1


def test_arrays_that_fail_their_check_are_rebuilt(folder, module_file):
    build = Builder()
    whole = lambda arrays: len(arrays["numbers"]) == 5  # noqa: E731
    cache.derived("table", INPUTS, module_file, build, whole)
    (path,) = folder.glob("table-*.arrays")
    path.write_bytes(cache._encoded({"numbers": np.arange(4), "names": cache.text_array([])}))
    assert len(cache.derived("table", INPUTS, module_file, build, whole)["numbers"]) == 5
    assert build.calls == 2


def test_a_table_rebuilt_from_changed_inputs_replaces_the_old_file_once_it_is_stale(folder, module_file):
    build = Builder()
    cache.derived("table", INPUTS, module_file, build)
    cache.derived("other", INPUTS, module_file, build)
    (before,) = folder.glob("table-*.arrays")
    (folder / "table-of-something-else-0123456789abcdef0123.arrays").write_bytes(b"another table's file")
    month_ago = time.time() - (cache.STALE_DAYS + 1) * 86_400
    os.utime(before, (month_ago, month_ago))
    Path(module_file).write_text("# derives the table another way\n")
    cache.derived("table", INPUTS, module_file, build)
    (after,) = folder.glob("table-????????????????????.arrays")
    assert after != before and len(list(folder.glob("other-*.arrays"))) == 1
    assert (folder / "table-of-something-else-0123456789abcdef0123.arrays").exists()  # not this table's


def test_two_versions_sharing_a_cache_keep_a_file_each_rather_than_rebuilding(folder, module_file, monkeypatch):
    # A scheduled job and a notebook on different releases use the same cache folder in turn.
    build = Builder()
    for version in ["1.0", "1.1", "1.0", "1.1"]:
        monkeypatch.setattr(cache, "__version__", version)
        cache.derived("table", INPUTS, module_file, build)
    assert build.calls == 2 and len(list(folder.glob("table-*.arrays"))) == 2
    # A file in use is not stale, however long ago it was written: loading it touches it.
    month_ago = time.time() - (cache.STALE_DAYS + 1) * 86_400
    for path in folder.glob("table-*.arrays"):
        os.utime(path, (month_ago, month_ago))
    cache.derived("table", INPUTS, module_file, build)  # 1.1, loaded
    monkeypatch.setattr(cache, "__version__", "1.2")
    cache.derived("table", INPUTS, module_file, build)  # written: 1.0's file is stale, 1.1's in use
    assert build.calls == 3 and len(list(folder.glob("table-*.arrays"))) == 2


def test_an_lsoa_table_cached_in_another_shape_is_rebuilt(folder):
    built = lsoa_tables.table_arrays("2024")
    assert lsoa_tables.whole_table(built)
    one_code_short = {**built, "codes": built["codes"][:-1]}  # the last code's newline cut off
    assert not lsoa_tables.whole_table(one_code_short)
    assert not lsoa_tables.whole_table({k: v for k, v in built.items() if k != "sets"})
    assert not lsoa_tables.whole_table({**built, "area": built["area"] + len(built["area"])})
