"""The store's one way to write a file: whole or not at all, and a full disk said in words.

Every file the store writes (Parquet partitions and the manifest) goes through :func:`write_atomic`:
the bytes go to a hidden temporary file beside the target, are flushed to disk, and the temporary
file is renamed over the target with one ``os.replace``. A reader sees the old file or the new
one, never a part; a crash leaves at most a hidden ``.*.tmp`` file that the next refresh sweeps.

A refresh writes many new files that nothing names until its manifest is swapped in, so they need
to be on disk only by then, not each at once: :class:`DurableBatch` writes them without a
``fsync`` each and makes them durable together with one ``syncfs`` of the store's filesystem
(Linux 5.8 and later, whose ``syncfs`` reports a failed write), where a ``fsync`` per file, its
rename and its folder cost about a millisecond each. Elsewhere each file is flushed on its own.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import os
import shutil
import signal
import sys
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
    """Write ``data`` to an open file and flush Python's buffer (a seam for tests that simulate a full disk)."""
    handle.write(data)
    handle.flush()


def write_atomic(path: Path, data: bytes, *, stage: str | None = None, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    Parameters
    ----------
    path
        The target file; its folder is created when missing.
    data
        The whole content.
    stage
        Failpoint name checked just before the rename (crash-safety tests).
    durable
        Flush the file and its folder to disk before returning (``fsync``). False only for a file
        of a :class:`DurableBatch`, made durable with the others before anything names it.

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
            if durable:
                os.fsync(handle.fileno())
        if stage is not None:
            failpoint(stage)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    if durable:
        fsync_dir(path.parent)


#: The first Linux whose ``syncfs`` reports a failed write (EIO, a full disk found late): before it,
#: ``syncfs`` returns 0 whatever happened, where a ``fsync`` of each file would have said.
SYNCFS_REPORTS_ERRORS = (5, 8)


def kernel_version(release: str) -> tuple[int, int] | None:
    """(major, minor) of a Linux release string ("6.8.0-45-generic" -> (6, 8)); None when it is not one."""
    parts = release.split(".", 2)
    try:
        return int(parts[0]), int("".join(itertools.takewhile(str.isdigit, parts[1])))
    except (IndexError, ValueError):
        return None


@functools.cache
def _syncfs():
    """The C library's ``syncfs``, where it reports failed writes (Linux 5.8 and later); else None."""
    if not sys.platform.startswith("linux"):
        return None
    version = kernel_version(os.uname().release)
    if version is None or version < SYNCFS_REPORTS_ERRORS:
        return None
    try:
        import ctypes  # only where a batch is written

        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


class DurableBatch:
    """New files written to one store, made durable together before anything names them.

    With ``syncfs`` (Linux 5.8+) each :meth:`write` is atomic but not flushed, and :meth:`sync` flushes
    the whole filesystem once: its files, their renames and the folders made for them. Elsewhere
    each :meth:`write` is flushed on its own and :meth:`sync` has nothing left to do. Either way,
    once :meth:`sync` returns every file written is on disk; write the manifest naming them only
    then. A crash before leaves files nothing names, which the next refresh sweeps.

    Parameters
    ----------
    root
        The store's folder (it must exist): the filesystem synced.
    """

    def __init__(self, root: Path) -> None:
        self._descriptor: int | None = None
        self._device = -1
        #: Whether each folder written to is on the store's filesystem (one a symlink leads elsewhere is not).
        self._same: dict[Path, bool] = {}
        if _syncfs() is not None:
            with contextlib.suppress(OSError):
                # Opened before the writes: syncfs reports a writeback error met since it was opened.
                self._descriptor = os.open(root, os.O_RDONLY)
                self._device = os.fstat(self._descriptor).st_dev

    @property
    def batched(self) -> bool:
        """Whether the files are flushed together by :meth:`sync` (else each as it is written)."""
        return self._descriptor is not None

    def write(self, path: Path, data: bytes, *, stage: str | None = None) -> None:
        """:func:`write_atomic` of ``data`` to ``path``, flushed by :meth:`sync` when :attr:`batched`.

        A file in a folder on another filesystem than the store's is flushed on its own.
        """
        write_atomic(path, data, stage=stage, durable=not (self.batched and self._on_store(path.parent)))

    def _on_store(self, folder: Path) -> bool:
        same = self._same.get(folder)
        if same is None:
            folder.mkdir(parents=True, exist_ok=True)
            same = self._same[folder] = os.stat(folder).st_dev == self._device
        return same

    def sync(self) -> None:
        """Make every file written so far durable.

        Raises
        ------
        OSError
            When the filesystem reports a failed write (the files may not be on disk).
        """
        if self._descriptor is not None and _syncfs()(self._descriptor) != 0:
            import ctypes

            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    def close(self) -> None:
        """Let go of the store's folder."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> DurableBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
