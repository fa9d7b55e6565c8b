"""The store's writes (``crimestats.store.atomic``): whole or not at all, and on disk before anything names them."""

from __future__ import annotations

import ctypes
import errno
import os

import pytest

import crimestats as cs
from crimestats.store import atomic
from tests.conftest import TEST_DATA, store_state

CITY = TEST_DATA / "police-uk" / "city-of-london"


@pytest.fixture
def fsyncs(monkeypatch):
    """The descriptors ``os.fsync`` is called on (files and folders alike)."""
    calls: list[int] = []
    real = os.fsync

    def recording(descriptor):
        calls.append(descriptor)
        real(descriptor)

    monkeypatch.setattr(atomic.os, "fsync", recording)
    return calls


def fake_syncfs(monkeypatch, *, fails: int | None = None) -> list[int]:
    """Stand in for libc's ``syncfs``: the descriptors it is called on; with ``fails``, it fails with that errno."""
    calls: list[int] = []

    def syncfs(descriptor):
        calls.append(descriptor)
        if fails is not None:
            ctypes.set_errno(fails)
            return -1
        return 0

    monkeypatch.setattr(atomic, "_syncfs", lambda: syncfs)
    return calls


def test_a_batch_writes_its_files_unflushed_and_flushes_them_together(tmp_path, monkeypatch, fsyncs):
    synced = fake_syncfs(monkeypatch)
    targets = [tmp_path / "counts" / f"pfa={n}" / "year=2024" / "part.parquet" for n in range(3)]
    with atomic.DurableBatch(tmp_path) as batch:
        assert batch.batched
        for n, target in enumerate(targets):
            batch.write(target, bytes([n]) * 10)
        assert fsyncs == [] and synced == []
        batch.sync()
        assert fsyncs == [] and len(synced) == 1
    assert [target.read_bytes() for target in targets] == [bytes([n]) * 10 for n in range(3)]
    assert not list(tmp_path.rglob(".*.tmp"))


def test_without_syncfs_each_file_and_its_folder_is_flushed_as_it_is_written(tmp_path, monkeypatch, fsyncs):
    monkeypatch.setattr(atomic, "_syncfs", lambda: None)
    with atomic.DurableBatch(tmp_path) as batch:
        assert not batch.batched
        batch.write(tmp_path / "a" / "one.parquet", b"1")
        batch.write(tmp_path / "b" / "two.parquet", b"2")
        assert len(fsyncs) == 4  # each file, then its folder
        batch.sync()
        assert len(fsyncs) == 4
    assert (tmp_path / "b" / "two.parquet").read_bytes() == b"2"


@pytest.mark.skipif(atomic._syncfs() is None, reason="this platform has no syncfs")
def test_the_real_syncfs_flushes_a_batch(tmp_path, fsyncs):
    with atomic.DurableBatch(tmp_path) as batch:
        batch.write(tmp_path / "x" / "file.parquet", b"data")
        batch.sync()
    assert fsyncs == [] and (tmp_path / "x" / "file.parquet").read_bytes() == b"data"


def test_a_refresh_flushes_its_data_files_once_and_then_swaps_the_manifest(tmp_path, monkeypatch, fsyncs):
    synced = fake_syncfs(monkeypatch)
    result = cs.Store(tmp_path / "store").refresh([CITY], records=True)
    assert result.ok and len(list((tmp_path / "store").rglob("*.parquet"))) > 1  # counts and records files
    assert len(synced) == 1
    assert len(fsyncs) == 2  # the manifest and its folder: its rename is the commit


def test_a_failed_flush_is_a_store_error_and_leaves_the_store_as_it_was(tmp_path, monkeypatch, capsys):
    root = tmp_path / "store"
    cs.Store(root).refresh([CITY / "2017-01"])
    before, total = store_state(root), cs.Store(root).read()["count"].sum()
    fake_syncfs(monkeypatch, fails=errno.EIO)
    with pytest.raises(cs.StoreError, match=r"cannot write the store while writing the refresh .*Input/output error"):
        cs.Store(root).refresh([CITY])
    assert store_state(root) == before
    assert cs.Store(root).read()["count"].sum() == total


@pytest.mark.parametrize(
    ("release", "version"),
    [("6.18.44-fc-v1272", (6, 18)), ("5.8.0", (5, 8)), ("4.18.0-513.el8.x86_64", (4, 18)), ("5.10", (5, 10))],
)
def test_kernel_versions_are_read_from_release_strings(release, version):
    assert atomic.kernel_version(release) == version


@pytest.mark.parametrize("release", ["", "garbage", "x.y"])
def test_a_release_string_that_is_not_a_version_is_none(release):
    assert atomic.kernel_version(release) is None


@pytest.mark.parametrize(
    ("platform", "release"),
    [
        ("win32", "10"),  # ctypes.CDLL(None) raises TypeError there
        ("darwin", "23.1.0"),
        ("linux", "5.4.0-150-generic"),  # syncfs returns 0 whatever failed before Linux 5.8
        ("linux", "not-a-version"),
    ],
)
def test_no_syncfs_where_it_is_missing_or_hides_failed_writes(monkeypatch, platform, release, tmp_path, fsyncs):
    monkeypatch.setattr(atomic.sys, "platform", platform)
    monkeypatch.setattr(atomic.os, "uname", lambda: os.uname_result(("Linux", "host", release, "#1", "x86_64")))
    atomic._syncfs.cache_clear()
    try:
        assert atomic._syncfs() is None
        with atomic.DurableBatch(tmp_path) as batch:
            assert not batch.batched
            batch.write(tmp_path / "f" / "one.parquet", b"1")
        assert len(fsyncs) == 2
    finally:
        atomic._syncfs.cache_clear()


def test_a_store_folder_that_cannot_be_opened_flushes_each_file(tmp_path, monkeypatch, fsyncs):
    fake_syncfs(monkeypatch)
    real_open = os.open

    def refusing(path, flags, *args):
        if os.fspath(path) == os.fspath(tmp_path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(atomic.os, "open", refusing)
    with atomic.DurableBatch(tmp_path) as batch:
        assert not batch.batched
        batch.write(tmp_path / "f" / "one.parquet", b"1")
    assert len(fsyncs) == 2


def test_a_file_on_another_filesystem_than_the_store_is_flushed_on_its_own(tmp_path, monkeypatch, fsyncs):
    synced = fake_syncfs(monkeypatch)
    elsewhere = tmp_path / "mounted"
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        result = real_stat(path, *args, **kwargs)
        if os.fspath(path) == os.fspath(elsewhere):  # as if a symlink led to another disk
            values = list(result)
            values[2] = result.st_dev + 1
            return os.stat_result(values)
        return result

    monkeypatch.setattr(atomic.os, "stat", stat)
    with atomic.DurableBatch(tmp_path) as batch:
        batch.write(tmp_path / "here" / "one.parquet", b"1")
        assert fsyncs == []
        batch.write(elsewhere / "two.parquet", b"2")
        assert len(fsyncs) == 2  # that file and its folder
        batch.sync()
    assert len(synced) == 1
