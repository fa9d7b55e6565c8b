"""The store's one way to write a file: whole or not at all, and a full disk said in words.

Every file the store writes (Parquet partitions and the manifest) goes through :func:`write_atomic`:
the bytes go to a hidden temporary file beside the target, are flushed to disk, and the temporary
file is renamed over the target with one ``os.replace``. A reader sees the old file or the new
one, never a part; a crash leaves at most a hidden ``.*.tmp`` file that the next refresh sweeps.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
from pathlib import Path

from ..exceptions import StoreError

#: Set to a stage name to SIGKILL the process there (crash-safety tests only).
FAILPOINT_ENV = "CRIMESTATS_FAILPOINT"
#: errno values that mean "no space left" (a full disk, or a full quota).
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def failpoint(stage: str) -> None:
    """Kill this process with SIGKILL at ``stage`` when the failpoint variable names it (tests only)."""
    if os.environ.get(FAILPOINT_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_dir(folder: Path) -> None:
    """Make a rename or deletion in ``folder`` durable (where the platform can open a folder)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _write_all(handle, data: bytes) -> None:
    """Write and flush ``data`` to an open file (a seam for tests that simulate a full disk)."""
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def write_atomic(path: Path, data: bytes, *, stage: str | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    Parameters
    ----------
    path
        The target file; its folder is created when missing.
    data
        The whole content.
    stage
        Failpoint name checked just before the rename (crash-safety tests).

    Raises
    ------
    OSError
        When the file cannot be written; nothing is left behind (the temporary file is removed).
        Callers turn it into a :class:`~crimestats.StoreError` with :func:`store_error`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            _write_all(handle, data)
        if stage is not None:
            failpoint(stage)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    fsync_dir(path.parent)


def megabytes(size: int) -> str:
    """A byte count in words: "12.3 MB" (one decimal, never "0.0 MB" for a non-empty size)."""
    return f"{max(size / 1e6, 0.1 if size else 0):,.1f} MB"


def free_space(folder: Path) -> int | None:
    """Bytes free on the filesystem holding ``folder`` (None when it cannot be told)."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def store_error(error: OSError, root: Path, doing: str, *, needed: int | None = None, written: int = 0) -> StoreError:
    """A :class:`StoreError` for an ``OSError`` met while ``doing`` something in the store at ``root``.

    A full disk says how much space the refresh needed and how much is free.
    """
    where = error.filename or root
    if error.errno in NO_SPACE:
        message = f"{root}: disk full while {doing} ({where})"
        if needed is not None:
            message += f": this refresh needs {megabytes(needed)}"
            if written:
                message += f" ({megabytes(written)} written before the disk filled, then removed)"
        free = free_space(root if root.exists() else root.parent)
        if free is not None:
            message += f"; {megabytes(free)} free"
        message += "; free some space and run the refresh again (the store is unchanged)"
        return StoreError(message)
    return StoreError(f"{root}: cannot write the store while {doing} ({where}): {error.strerror or error}")
