"""Content digests of the store's manifest: what tells a file again, under any path, whatever algorithm recorded it."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimestats as cs
from crimestats.store import manifest
from crimestats.store.manifest import MANIFEST, content_digest, digest_algorithm, entry_digest
from tests.conftest import TEST_DATA

CITY = TEST_DATA / "police-uk" / "city-of-london"
compiled = pytest.mark.skipif(digest_algorithm() != "xxh64x2", reason="the compiled extension was not built")


def test_sha256_digest_is_hashlib_sha256(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert content_digest(path, "sha256") == "sha256:" + hashlib.sha256(b"a,b\n1,2\n").hexdigest()


@compiled
def test_new_entries_are_digested_by_the_compiled_algorithm(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"")
    assert content_digest(path).startswith("xxh64x2:") and len(content_digest(path)) == len("xxh64x2:") + 32


@compiled
@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=299))
def test_the_digest_is_the_content_s_whatever_the_chunk_size(tmp_path_factory, data, flip):
    # The same bytes give the same digest under any path; a changed byte gives another.
    folder = tmp_path_factory.mktemp("digest")
    first, second = folder / "a", folder / "b"
    first.write_bytes(data)
    second.write_bytes(data)
    assert content_digest(first) == content_digest(second)
    if data:
        at = flip % len(data)
        second.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
        assert content_digest(first) != content_digest(second)


@compiled
def test_files_across_a_chunk_boundary_digest_differently(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest, "DIGEST_CHUNK", 64)
    digests = set()
    for size in (63, 64, 65, 128, 129):
        path = tmp_path / f"{size}.csv"
        path.write_bytes(b"x" * size)
        digests.add(content_digest(path))
    assert len(digests) == 5


def test_an_entry_before_digests_named_their_algorithm_is_a_sha256():
    assert entry_digest({"sha256": "ab"}) == "sha256:ab"
    assert entry_digest({"digest": "xxh64x2:cd", "sha256": "ab"}) == "xxh64x2:cd"


def test_a_store_written_with_sha256_knows_its_files_again_under_another_path(tmp_path):
    # A store from before the compiled digest: its entries hold bare SHA-256s. A copy of a stored
    # file at another path is found to be content the store holds (by SHA-256), not ingested twice.
    raw = tmp_path / "raw"
    shutil.copytree(CITY, raw)
    store = cs.Store(tmp_path / "store")
    store.refresh([raw])
    path = tmp_path / "store" / MANIFEST
    stored = json.loads(path.read_text())
    for key, entry in stored["files"].items():
        entry.pop("digest")
        entry["sha256"] = hashlib.sha256(open(key, "rb").read()).hexdigest()
    path.write_text(json.dumps(stored))
    shutil.copytree(raw / "2017-02", tmp_path / "copy" / "2017-02")
    again = store.refresh([tmp_path / "copy"])
    assert again.ingested == [] and len(again.skipped) == 1
    assert again.skipped[0]["reason"].startswith("unchanged (as ingested from ")


@compiled
def test_the_python_chunking_gives_the_compiled_file_digest(tmp_path, monkeypatch):
    # Where the module has no file_digest (not POSIX), content_digest chunks the file itself.
    from crimestats.store import _digest

    monkeypatch.setattr(manifest, "DIGEST_CHUNK", 64)
    for size in (0, 63, 64, 65, 1000):
        path = tmp_path / f"{size}.csv"
        path.write_bytes(bytes(range(256)) * 4 + b"x" * size)
        whole = content_digest(path)
        with monkeypatch.context() as patch:
            patch.delattr(_digest, "file_digest")
            assert content_digest(path) == whole
