"""Crime IDs of data.police.uk street files: 64-bit hashes, and the IDs met more than once.

A street file's quality record counts crime IDs that repeat within it; a read counts those that
repeat across the files of a month (:class:`CrimeIdTally`). The IDs themselves (64 hexadecimal
characters) are never kept: hashes are, and only one month's at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Odd 64-bit multipliers, one per word of a 64-character ID (from the SplitMix64 sequence).
_MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xBF58476D1CE4E5B9,
        0x94D049BB133111EB,
        0xD6E8FEB86659FD93,
        0xA0761D6478BD642F,
        0xE7037ED1A0B428DB,
        0x8EBC6AF09C88C6E3,
        0x589965CC75374CC3,
    ],
    dtype=np.uint64,
)


def _mix64(words: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of an (n, 8) uint64 matrix: a weighted sum, then a SplitMix64 finish."""
    with np.errstate(over="ignore"):
        h = words @ _MULTIPLIERS  # wraps modulo 2**64
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
    return h


def crime_id_hashes(ids: pa.ChunkedArray, keep: np.ndarray | None) -> np.ndarray:
    """64-bit hashes of the non-blank crime IDs (whitespace stripped) of the rows ``keep`` selects."""
    array = ids.combine_chunks() if ids.num_chunks != 1 else ids.chunk(0)
    if keep is not None:
        array = array.filter(pa.array(keep))
    if len(array) == 0:
        return np.empty(0, dtype=np.uint64)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=array.offset * 4)
    lengths = np.diff(offsets)
    body = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]] if array.buffers()[2] else None
    if body is not None and ((lengths == 64) | (lengths == 0)).all() and not (body <= 0x20).any():
        # data.police.uk IDs: 64 hex characters, or blank; the non-blank ones lie end to end.
        return _mix64(body.reshape(-1, 64).view("<u8"))
    text = pc.utf8_trim_whitespace(array.cast(pa.string()))
    text = text.filter(pc.not_equal(text, ""))
    return pd.util.hash_array(np.asarray(text.to_numpy(zero_copy_only=False), dtype=object))


def repeats(hashes: np.ndarray, *, presorted: bool = False) -> int:
    """How many values repeat an earlier one (each extra occurrence counted)."""
    if len(hashes) < 2:
        return 0
    ordered = hashes if presorted else np.sort(hashes)
    return int(np.count_nonzero(ordered[1:] == ordered[:-1]))


class CrimeIdTally:
    """Crime IDs met more than once across the files of a read, month by month.

    A crime ID belongs to one month's files, so hashes are held for one month at a time (files
    are read in month order): memory is one month's IDs, not the whole read's.
    """

    def __init__(self) -> None:
        self._month: str | None = None
        self._held: list[np.ndarray] = []
        self._duplicates = 0

    def add(self, month: str | None, hashes: np.ndarray) -> None:
        """Take one file's crime-ID hashes (``month`` the file's)."""
        if month != self._month:
            self._flush()
            self._month = month
        self._held.append(hashes)

    def _flush(self) -> None:
        if self._held:
            every = np.concatenate(self._held)
            self._duplicates += repeats(every)
        self._held = []

    def duplicates(self) -> int:
        """IDs met more than once (each extra occurrence counted), within and across files of a month."""
        self._flush()
        return self._duplicates
