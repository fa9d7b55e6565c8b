"""Low-level pieces of the store: the lock file, the manifest, atomic writes, failpoints for tests."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .exceptions import StoreError, StoreLockedError

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
LOCK = ".refresh.lock"
FORMAT = "crimestats-store"
VERSION = 1

#: Set to a stage name to SIGKILL the process there (crash-safety tests only).
FAILPOINT_ENV = "CRIMESTATS_FAILPOINT"


def failpoint(stage: str) -> None:
    """Kill this process with SIGKILL at ``stage`` when the failpoint variable names it (tests only)."""
    if os.environ.get(FAILPOINT_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Content hash of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    failpoint("manifest-swap")
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def empty_manifest() -> dict[str, Any]:
    """A manifest with nothing in it."""
    return {"format": FORMAT, "version": VERSION, "generation": 0, "last_refresh": None, "partitions": {}, "files": {}}


def read_manifest(root: Path) -> dict[str, Any]:
    """The store's manifest (an empty one for a new store)."""
    path = root / MANIFEST
    if not path.exists():
        return empty_manifest()
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise StoreError(f"{path}: manifest cannot be read: {error}") from error
    if manifest.get("format") != FORMAT:
        raise StoreError(f"{path}: not a crimestats store manifest")
    return manifest


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """Swap in a new manifest atomically."""
    write_atomic(root / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def refresh_lock(root: Path) -> Iterator[None]:
    """Hold the store's refresh lock; a second holder gets :class:`StoreLockedError`.

    The lock file records host and process ID. A lock left by a dead process on this host is
    stale: it is removed (with a warning) and taken. A lock from another host cannot be checked
    and is respected.
    """
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(path)
            same_host = holder.get("host") == me["host"]
            if same_host and isinstance(holder.get("pid"), int) and not _alive(holder["pid"]):
                logger.warning("%s: removing stale lock of dead process %s", root, holder["pid"])
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                continue
            raise StoreLockedError(
                f"{root}: another refresh holds the lock (process {holder.get('pid')} on {holder.get('host')} "
                f"since {holder.get('since')}); if it is gone, delete {path}"
            ) from None
        with os.fdopen(descriptor, "w") as handle:
            json.dump(me, handle)
        break
    else:  # pragma: no cover - only when the lock is recreated between our removal and retry
        raise StoreLockedError(f"{root}: lock is contended")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _holder(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
