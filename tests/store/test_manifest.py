"""Content digests of the store's manifest: what tells a file again, under any path, whatever algorithm recorded it."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats import digests
from crimestats.store import manifest
from crimestats.store.manifest import MANIFEST, content_digest, entry_digest
from tests.conftest import TEST_DATA

CITY = TEST_DATA / "police-uk" / "city-of-london"


def test_sha256_digest_is_hashlib_sha256(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert content_digest(path, "sha256") == "sha256:" + hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_new_entries_are_xxh3_128_of_the_content(tmp_path):
    import xxhash

    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert content_digest(path) == "xxh3-128:" + xxhash.xxh3_128_hexdigest(b"a,b\n1,2\n")
    assert len(content_digest(path)) == len("xxh3-128:") + 32


@pytest.mark.parametrize("algorithm", [None, "xxh64x2"])
@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=300), flip=st.integers(min_value=0, max_value=299), chunk=st.integers(1, 100))
def test_the_digest_is_the_content_s_whatever_the_chunk_size(tmp_path_factory, algorithm, data, flip, chunk):
    # The same bytes give the same digest under any path, read in chunks of any size; a changed byte gives another.
    folder = tmp_path_factory.mktemp("digest")
    first, second = folder / "a", folder / "b"
    first.write_bytes(data)
    second.write_bytes(data)
    whole = content_digest(first, algorithm)
    if algorithm is None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(digests, "CHUNK", chunk)
            assert content_digest(second, algorithm) == whole
            fed = digests.new_digest()
            for at in range(0, len(data), chunk):  # the bytes fed as a reader meets them
                fed.update(data[at : at + chunk])
            assert digests.digest_text(fed) == whole
    assert content_digest(second, algorithm) == whole
    if data:
        at = flip % len(data)
        second.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
        assert content_digest(first, algorithm) != content_digest(second, algorithm)


@pytest.mark.parametrize("algorithm", ["xxh3-128", "xxh64x2"])
def test_files_across_a_chunk_boundary_digest_differently(tmp_path, monkeypatch, algorithm):
    monkeypatch.setattr(manifest, "DIGEST_CHUNK", 64)
    monkeypatch.setattr(digests, "CHUNK", 64)
    found = set()
    for size in (63, 64, 65, 128, 129):
        path = tmp_path / f"{size}.csv"
        path.write_bytes(b"x" * size)
        found.add(content_digest(path, algorithm))
    assert len(found) == 5


def test_an_entry_before_digests_named_their_algorithm_is_a_sha256():
    assert entry_digest({"sha256": "ab"}) == "sha256:ab"
    assert entry_digest({"digest": "xxh64x2:cd", "sha256": "ab"}) == "xxh64x2:cd"


@pytest.mark.parametrize("algorithm", ["sha256", "xxh64x2"])
def test_a_store_written_with_an_older_digest_knows_its_files_again_under_another_path(tmp_path, algorithm):
    # A store from before xxh3-128: its entries hold bare SHA-256s (the first stores) or xxh64x2
    # digests. A copy of a stored file at another path is found to be content the store holds
    # (by that algorithm), not ingested twice.
    raw = tmp_path / "raw"
    shutil.copytree(CITY, raw)
    store = cs.Store(tmp_path / "store")
    store.refresh([raw])
    path = tmp_path / "store" / MANIFEST
    stored = json.loads(path.read_text())
    for key, entry in stored["files"].items():
        entry.pop("digest")
        if algorithm == "sha256":
            entry["sha256"] = hashlib.sha256(open(key, "rb").read()).hexdigest()
        else:
            entry["digest"] = content_digest(key, "xxh64x2")
    path.write_text(json.dumps(stored))
    shutil.copytree(raw / "2017-02", tmp_path / "copy" / "2017-02")
    again = store.refresh([tmp_path / "copy"])
    assert again.ingested == [] and len(again.skipped) == 1
    assert again.skipped[0]["reason"].startswith("unchanged (as ingested from ")


def test_a_refresh_digests_street_files_as_it_reads_them_and_others_from_disk(tmp_path, monkeypatch):
    # A street CSV is digested from the bytes its reader read (no second read to hash it); a zip
    # of street files is hashed from disk, as it is not the bytes read. Both record the file's digest.
    import zipfile
    from pathlib import Path

    raw = tmp_path / "raw"
    shutil.copytree(CITY / "2017-01", raw / "2017-01")
    archive = tmp_path / "zipped" / "2017-02.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted((CITY / "2017-02").glob("*.csv")):
            zipped.write(path, f"2017-02/{path.name}")
    from_disk = []
    digest_of = digests.file_digest
    monkeypatch.setattr(digests, "file_digest", lambda path: from_disk.append(Path(path).name) or digest_of(path))
    result = cs.Store(tmp_path / "store").refresh([raw, archive.parent])
    assert result.ok and len(result.ingested) == len(list(raw.rglob("*.csv"))) + 1
    assert from_disk == [archive.name]
    stored = json.loads((tmp_path / "store" / MANIFEST).read_text())["files"]
    assert {key: entry["digest"] for key, entry in stored.items()} == {key: digest_of(key) for key in stored}


def test_a_street_file_its_reader_did_not_digest_is_hashed_from_disk(tmp_path, monkeypatch):
    from crimestats.io import street_blocks

    monkeypatch.setattr(street_blocks, "_plain", lambda file: False)  # as for a file the reader cannot digest
    result = cs.Store(tmp_path / "store").refresh([CITY])
    assert result.ok and result.ingested
    stored = json.loads((tmp_path / "store" / MANIFEST).read_text())["files"]
    assert all(entry["digest"] == digests.file_digest(key) for key, entry in stored.items())
