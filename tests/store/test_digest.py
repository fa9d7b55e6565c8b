"""The store's compiled content digest: XXH64 as the reference gives it, twice seeded, chunked by the manifest."""

from __future__ import annotations

import pytest

_digest = pytest.importorskip("crimestats.store._digest", reason="the compiled extension was not built")

#: XXH64 test vectors (from the reference xxhash implementation) of bytes(range(256)) * 3 cut to n.
XXH64_VECTORS = [
    (0, 0, 0xEF46DB3751D8E999),
    (3, 0, 0xE5C7BB4533BC65DD),
    (7, 1, 0xAF4C5311C47C77B7),
    (31, 0, 0xC346D2B59B4D8EE1),
    (32, 0, 0xCBF59C5116FF32B4),
    (33, 2**63, 0x7B859DFCAFD47446),
    (100, 0, 0x6AC1E58032166597),
    (768, 0x9E3779B97F4A7C15, 0x919E1C789D522E91),
]
DATA = bytes(range(256)) * 3


@pytest.mark.parametrize(("n", "seed", "expected"), XXH64_VECTORS)
def test_xxh64_gives_the_reference_values(n, seed, expected):
    assert _digest.xxh64(DATA[:n], seed) == expected


def test_the_digest_is_xxh64_with_two_seeds():
    expected = f"{_digest.xxh64(DATA, 0):016x}{_digest.xxh64(DATA, 0x9E3779B97F4A7C15):016x}"
    assert _digest.digest(DATA) == expected


@pytest.mark.skipif(not hasattr(_digest, "file_digest"), reason="POSIX only")
@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 640, 64 * 17 + 5])
def test_a_file_s_digest_is_the_digest_of_its_chunks_digests(tmp_path, size):
    data = (DATA * (size // len(DATA) + 1))[:size]
    path = tmp_path / "f"
    path.write_bytes(data)
    chunks = "".join(_digest.digest(data[at : at + 64]) for at in range(0, size, 64))
    assert _digest.file_digest(str(path), 64) == _digest.digest(chunks.encode("ascii"))


def test_a_file_that_cannot_be_opened_is_an_os_error(tmp_path):
    if not hasattr(_digest, "file_digest"):
        pytest.skip("POSIX only")
    with pytest.raises(FileNotFoundError):
        _digest.file_digest(str(tmp_path / "missing"), 64)
