import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from crimestats.io.crime_ids import CrimeIdTally, crime_id_hashes, repeats


def ids_array(values: list[str]) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array([value.encode() for value in values], pa.binary())])


def test_hashes_of_data_police_uk_ids_and_of_any_other_text_find_the_same_repeats():
    fast = crime_id_hashes(ids_array(["a" * 64, "b" * 64, "a" * 64, "", "c" * 64]), None)
    slow = crime_id_hashes(ids_array([" x ", "x", "", "yy", "x"]), None)
    assert len(fast) == 4 and repeats(fast) == 1  # the blank (anti-social behaviour) is no ID
    assert len(slow) == 4 and repeats(slow) == 2  # " x " is "x" once stripped


def test_rows_left_out_by_a_month_filter_are_not_hashed():
    keep = np.array([True, False, True])
    assert len(crime_id_hashes(ids_array(["a" * 64, "a" * 64, "b" * 64]), keep)) == 2


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=60), st.integers(min_value=1, max_value=5))
def test_repeats_across_files_of_a_month_are_counted_once_each_whatever_the_split(values, parts):
    hashes = np.array(values, dtype=np.uint64)
    tally = CrimeIdTally()
    for chunk in np.array_split(hashes, parts):
        tally.add("2024-01", chunk)
    assert tally.duplicates() == len(values) - len(set(values)) == repeats(hashes)
