"""The store's refresh lock: one refresh at a time, and a lock that a dead refresh cannot jam.

The lock is an advisory ``flock`` on ``.refresh.lock``, not the file's existence. The kernel
drops a ``flock`` when its holder's process ends however it ends (exit, exception, SIGKILL), so
"is the owner gone?" has a proof: the lock can be taken. Taking it is one atomic system call, so
two refreshes can never both take over a stale lock. What the file holds (process, host, time)
only explains who holds it.

The holder deletes the file on release while still holding the lock. A contender that opened
the file before the deletion may then take a ``flock`` on the deleted file; after taking it,
every contender checks that the path still names the file it locked (same inode) and starts
again if not, so only a lock on the file the path names counts.

A file left behind (a refresh killed, a full disk, an empty or unparsable file, a file another
host wrote) is diagnosed in the log and taken over when no process holds its ``flock``. One
exception: a file written by an earlier crimestats (which locked by the file's existence; its
files have no ``lock`` field) naming a live process on this host, or a host we cannot check, is
respected, since that process may be an older crimestats still refreshing.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..exceptions import StoreError, StoreLockedError
from .atomic import NO_SPACE, free_space, megabytes

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

logger = logging.getLogger(__name__)

LOCK = ".refresh.lock"
#: The ``lock`` field of a lock file this version writes (older files have none).
KIND = "flock"
_ATTEMPTS = 20


def _try_lock(descriptor: int) -> bool:
    """Take the exclusive lock without waiting; False when another open file holds it."""
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows: lock the first byte (the file cannot be deleted while open)
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
    except (BlockingIOError, PermissionError):
        return False
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_holder(descriptor: int) -> tuple[dict[str, Any] | None, str]:
    """What a lock file says of its holder, and the file's state in words ("empty", "unparsable", ...)."""
    try:
        os.lseek(descriptor, 0, os.SEEK_SET)
        raw = os.read(descriptor, 4096)
    except OSError as error:
        return None, f"unreadable ({error.strerror or error})"
    if not raw.strip():
        return None, "empty"
    try:
        holder = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "unparsable"
    if not isinstance(holder, dict):
        return None, "unparsable"
    return holder, "written"


def _describe(holder: dict[str, Any] | None, state: str) -> str:
    if holder is None:
        return f"an {state} lock file"
    return f"process {holder.get('pid')} on {holder.get('host')} since {holder.get('since')}"


class RefreshLock:
    """The refresh lock of the store at ``root``; use :func:`refresh_lock`.

    ``acquire`` raises :class:`StoreLockedError` when another refresh holds it and
    :class:`StoreError` when the lock file cannot be written (a full disk leaves no lock file).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / LOCK
        self.descriptor: int | None = None
        self.took_over: str | None = None

    def acquire(self) -> None:
        """Take the lock, taking over one left behind by a refresh that is gone."""
        for _ in range(_ATTEMPTS):
            opened = self._open()
            if opened is None:
                continue
            descriptor, created = opened
            if not _try_lock(descriptor):
                holder, state = _read_holder(descriptor)
                os.close(descriptor)
                raise StoreLockedError(
                    f"{self.root}: another refresh holds the lock ({_describe(holder, state)}); "
                    "wait for it to finish (the lock is released when its process ends)"
                )
            if not self._still_named(descriptor):
                os.close(descriptor)  # the holder deleted the file on release: lock the new one
                continue
            try:
                self._check_left_behind(*_read_holder(descriptor), created=created)
            except StoreLockedError:
                os.close(descriptor)  # an older crimestats's lock: leave its file alone
                raise
            self.descriptor = descriptor
            try:
                self._record(descriptor)
            except BaseException:
                self.release()  # we hold it, so deleting the file is safe: nothing is left to block others
                raise
            return
        raise StoreLockedError(f"{self.root}: the lock changed hands {_ATTEMPTS} times; run the refresh again")

    def _open(self) -> tuple[int, bool] | None:
        """The lock file, opened (created when missing), and whether we created it; None to start again."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            try:
                return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644), True
            except FileExistsError:
                return os.open(self.path, os.O_RDWR), False
        except FileNotFoundError:
            return None  # the file (or the store folder) went away between two calls: start again
        except OSError as error:
            raise self._error(error, "creating the lock file") from error

    def _still_named(self, descriptor: int) -> bool:
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(descriptor)
        return (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino)

    def _check_left_behind(self, holder: dict[str, Any] | None, state: str, *, created: bool) -> None:
        """Diagnose what a previous refresh left in the lock file; refuse only an old-style live lock."""
        if created and holder is None:
            return  # our own new file
        if holder is None:
            self.took_over = f"{_describe(holder, state)} left behind"
            logger.warning("%s: taking over %s; no process holds it", self.root, self.took_over)
            return
        old_style = holder.get("lock") != KIND
        pid, host = holder.get("pid"), holder.get("host")
        here = socket.gethostname()
        if old_style and host == here and isinstance(pid, int) and pid != os.getpid() and _alive(pid):
            raise StoreLockedError(
                f"{self.root}: another refresh holds the lock (process {pid} on this host, still running, "
                f"since {holder.get('since')}; the lock file is from an earlier crimestats, which locked by the "
                f"file's existence); if that process is not a refresh, delete {self.path}"
            )
        if old_style and host != here:
            raise StoreLockedError(
                f"{self.root}: another refresh may hold the lock (process {pid} on {host}, since "
                f"{holder.get('since')}; the lock file is from an earlier crimestats, which cannot be checked from "
                f"here); if no refresh runs on {host}, delete {self.path}"
            )
        self.took_over = _describe(holder, state)
        logger.warning("%s: taking over the lock left by %s, which no longer holds it", self.root, self.took_over)

    def _record(self, descriptor: int) -> None:
        """Write who holds the lock into the file (for the messages of refreshes that find it held)."""
        me = {
            "lock": KIND,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        data = json.dumps(me).encode("utf-8")
        try:
            os.ftruncate(descriptor, 0)
            os.lseek(descriptor, 0, os.SEEK_SET)
            _write_holder(descriptor, data)
        except OSError as error:
            raise self._error(error, "writing the lock file") from error

    def _error(self, error: OSError, doing: str) -> StoreError:
        if error.errno in NO_SPACE:
            free = free_space(self.root if self.root.exists() else self.root.parent)
            room = f" ({megabytes(free)} free)" if free is not None else ""
            return StoreError(
                f"{self.root}: disk full while {doing}{room}; nothing was changed and no lock is left behind: "
                "free some space and run the refresh again"
            )
        return StoreError(f"{self.root}: cannot lock the store while {doing}: {error.strerror or error}")

    def release(self) -> None:
        """Release the lock, deleting the file first (while still holding it)."""
        if self.descriptor is None:
            return
        try:
            if self._still_named(self.descriptor):
                with contextlib.suppress(OSError):  # a file left behind never blocks: the flock is what counts
                    self.path.unlink()
        finally:
            os.close(self.descriptor)  # closing drops the flock
            self.descriptor = None


def _write_holder(descriptor: int, data: bytes) -> None:
    """Write the holder record (a seam for tests that simulate a full disk)."""
    os.write(descriptor, data)


@contextlib.contextmanager
def refresh_lock(root: Path) -> Iterator[RefreshLock]:
    """Hold the store's refresh lock for a ``with`` block.

    Raises
    ------
    StoreLockedError
        When another refresh holds it.
    StoreError
        When the lock file cannot be created or written (a full disk leaves nothing behind).
    """
    lock = RefreshLock(root)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
