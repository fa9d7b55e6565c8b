"""The store's refresh lock: one refresh at a time."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..exceptions import StoreLockedError

logger = logging.getLogger(__name__)

LOCK = ".refresh.lock"


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
