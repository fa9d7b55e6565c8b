"""The digest of entries written before XXH3-128 (``xxh64x2``): the same values the compiled module gave.

Older stores' entries hold it; a refresh computes it again to know their files under another
path. The expected values below were computed by the store's former compiled module
(``store/_digest.c``, removed when xxh3-128 came in) on the same bytes.
"""

from __future__ import annotations

import pytest
import xxhash

from crimestats.store import manifest
from crimestats.store.manifest import DIGEST_CHUNK, content_digest, xxh64x2

DATA = bytes(range(256)) * 3

#: (file size, xxh64x2 as the compiled module computed it) of DATA repeated and cut to size.
FORMER_MODULE = [
    (0, "ef46db3751d8e999c4349fc93c010000"),
    (1, "b20066b8e74b4019f5fd5d30fff0ade4"),
    (768, "737ef7f19cc5b247bd3968e8c1bdee75"),
    (DIGEST_CHUNK - 1, "c671e25a324f59ff4784d5d754134f86"),
    (DIGEST_CHUNK, "bbb4dd7948e01a36c6fdf35310389ee8"),
    (DIGEST_CHUNK + 1, "58c8029d3dd88cef712fc5fe8040dbfc"),
    (2 * DIGEST_CHUNK + 12345, "7920beb978a57db9a177c8e3ff173317"),
]

#: XXH64 test vectors (from the reference implementation) of DATA cut to n: the seeds are passed right.
XXH64_VECTORS = [
    (0, 0, 0xEF46DB3751D8E999),
    (3, 0, 0xE5C7BB4533BC65DD),
    (7, 1, 0xAF4C5311C47C77B7),
    (100, 0, 0x6AC1E58032166597),
    (768, 0x9E3779B97F4A7C15, 0x919E1C789D522E91),
]


@pytest.mark.parametrize(("n", "seed", "expected"), XXH64_VECTORS)
def test_xxh64_gives_the_reference_values(n, seed, expected):
    assert xxhash.xxh64_intdigest(DATA[:n], seed) == expected


@pytest.mark.parametrize(("size", "expected"), FORMER_MODULE)
def test_xxh64x2_gives_what_the_former_compiled_module_gave(tmp_path, size, expected):
    path = tmp_path / "f.csv"
    path.write_bytes((DATA * (size // len(DATA) + 1))[:size])
    assert xxh64x2(path) == expected
    assert content_digest(path, "xxh64x2") == f"xxh64x2:{expected}"


class Trickle:
    """A raw file that returns at most 1,000 bytes a read, as a pipe or a network file system may."""

    def __init__(self, handle):
        self.handle = handle

    def readinto(self, buffer):
        return self.handle.readinto(memoryview(buffer)[:1000])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def test_short_reads_do_not_move_the_chunk_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest, "DIGEST_CHUNK", 4096)
    path = tmp_path / "f.csv"
    path.write_bytes(DATA * 30)
    whole = xxh64x2(path)
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: Trickle(real_open(*a, **k)))
    assert xxh64x2(path) == whole


def test_an_unknown_algorithm_is_a_store_error(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"")
    with pytest.raises(manifest.StoreError, match="cannot compute a 'md5' digest"):
        content_digest(path, "md5")


def test_a_file_that_cannot_be_opened_is_an_os_error(tmp_path):
    for algorithm in ("xxh3-128", "xxh64x2", "sha256"):
        with pytest.raises(FileNotFoundError):
            content_digest(tmp_path / "missing", algorithm)
