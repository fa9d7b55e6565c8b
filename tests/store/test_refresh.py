"""The refresh's plan: how it keys the files it finds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crimestats.store.refresh import _Keys


def test_keys_are_resolved_paths_with_one_stat(tmp_path, monkeypatch):
    """A file's key is ``str(path.resolve())`` and its stat ``path.stat()``, however it is reached."""
    real = tmp_path / "real" / "2024-01"
    real.mkdir(parents=True)
    data = real / "2024-01-kent-street.csv"
    data.write_text("Crime ID\n")
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)  # a folder reached by a link
    (real / "alias.csv").symlink_to(data)  # a file that is a link
    monkeypatch.chdir(tmp_path)
    keys = _Keys()
    reached = [
        data,
        tmp_path / "linked" / "2024-01" / data.name,
        Path("linked") / "2024-01" / data.name,
        Path("real") / ".." / "linked" / "2024-01" / data.name,
        real / "alias.csv",
        Path("real/2024-01/alias.csv"),
    ]
    for path in reached:
        key, info = keys(path)
        assert key == str(path.resolve()) == str(data.resolve())
        assert (info.st_size, info.st_mtime_ns, info.st_ino) == (
            os.stat(data).st_size,
            os.stat(data).st_mtime_ns,
            os.stat(data).st_ino,
        )
    with pytest.raises(FileNotFoundError):
        keys(real / "gone.csv")


def test_absolute_paths_are_keyed_without_the_current_folder(tmp_path, monkeypatch):
    data = tmp_path / "2024-01-kent-street.csv"
    data.write_text("Crime ID\n")
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # a scheduled job whose working folder was deleted
    assert _Keys()(data)[0] == str(data.resolve())
