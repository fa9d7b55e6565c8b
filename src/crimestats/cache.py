"""Tables derived from the shipped data, kept on disk between processes (a cache, never a source).

Building the LSOA look-up table of a boundary vintage takes 0.03-0.06 s in a new process, which a
one-month read waits for; loading it back takes a few milliseconds. :func:`derived` keeps such a
table in the user's cache folder, keyed by what it was derived from (the bytes of the shipped files
and of the module that derives it, and the crimestats version), so a changed input or a new release
builds it afresh. Anything wrong with the cache (no folder, no permission,
a file cut short or corrupted) only means the table is built as if there were none; the cache is
written atomically (a temporary file renamed into place), so readers never see half a file.

The folder is ``$CRIMESTATS_CACHE_DIR`` if set (empty: no cache), else ``$XDG_CACHE_HOME/crimestats``
or ``~/.cache/crimestats``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import xxhash

from . import __version__

logger = logging.getLogger(__name__)

#: The environment variable naming the cache folder (set it empty to keep nothing on disk).
CACHE_ENV = "CRIMESTATS_CACHE_DIR"
#: Hexadecimal digits of the key in a cached file's name (``<name>-<key>.arrays``).
KEY_DIGITS = 20
#: Days a table's file under another key (other inputs, another version) is kept unused.
STALE_DAYS = 30


def cache_dir() -> Path | None:
    """The folder derived tables are kept in, or None when caching is off (``CRIMESTATS_CACHE_DIR=""``)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "crimestats"


def _key(name: str, inputs: Sequence[str], module_file: str) -> str:
    """What a derived table depends on, hashed: the version, and the bytes of each input and of the code.

    The bytes, not sizes and times: an install that stamps every file with one time (or a copy that
    keeps them) cannot make a changed input look unchanged. Reading them costs well under a millisecond.
    """
    digest = xxhash.xxh3_128(f"{__version__}\n{name}\n".encode())
    data = resources.files("crimestats.data")
    for path in [*(str(data.joinpath(i)) for i in inputs), module_file, __file__]:  # this file: the format
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:KEY_DIGITS]


def derived(
    name: str,
    inputs: Sequence[str],
    module_file: str,
    build: Callable[[], dict[str, np.ndarray]],
    check: Callable[[dict[str, np.ndarray]], bool] = lambda arrays: True,
) -> dict[str, np.ndarray]:
    """The arrays ``build()`` returns, from the cache when it holds them for the same inputs.

    Parameters
    ----------
    name
        The table's name (and vintage): part of the file name.
    inputs
        The shipped files (in ``crimestats/data``) the table is derived from.
    module_file
        The file of the module that derives it (``__file__``): changing the code rebuilds.
    build
        Makes the table: named numpy arrays (no objects: the cache never unpickles).
    check
        Whether arrays read back are whole (their lengths agree, say): if not, they are rebuilt.

    Notes
    -----
    Files of the same table under other keys (other inputs, another release) are removed when
    this one is written, once none has been used for :data:`STALE_DAYS` days.
    """
    folder = cache_dir()
    if folder is None:
        return build()
    try:
        path = folder / f"{name}-{_key(name, inputs, module_file)}{SUFFIX}"
    except OSError:  # an input is not a file that can be read (a zipped install): build, keep nothing
        return build()
    try:
        arrays = _load(path)
        if check(arrays):
            with contextlib.suppress(OSError):  # in use: not stale (see _remove_stale)
                os.utime(path)
            return arrays
        logger.debug("cached %s is not whole: building it again", path)
    except FileNotFoundError:
        pass
    except Exception as error:  # a damaged file is rebuilt and replaced
        logger.debug("cached %s unreadable (%s): building it again", path, error)
    arrays = build()
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}-", suffix=SUFFIX, delete=False) as handle:
            temporary = handle.name
            handle.write(_encoded(arrays))
        os.replace(temporary, path)
        _remove_stale(folder, name, path)
    except OSError as error:
        logger.debug("could not keep %s in the cache (%s)", name, error)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    return arrays


def _remove_stale(folder: Path, name: str, kept: Path) -> None:
    """Remove the same table's files under other keys, once unused for :data:`STALE_DAYS`.

    Not at once: two installs of different versions (a scheduled job's and a notebook's) each
    keep their own file, rather than each rebuilding the table whenever the other has run. A
    file's modification time says when it was last written or loaded (:func:`derived` touches it).
    """
    cutoff = time.time() - STALE_DAYS * 86_400
    for stale in folder.glob(f"{name}-{'?' * KEY_DIGITS}{SUFFIX}"):
        with contextlib.suppress(OSError):
            if stale != kept and stale.stat().st_mtime < cutoff:
                stale.unlink()


#: A cached file: MAGIC, the CRC-32 of the rest (4 bytes, little-endian), then ``.npy`` records:
#: the arrays' names (:func:`text_array`), then each array. (Not ``.npz``: a zip archive costs
#: its reader a few milliseconds of imports in a new process, which is what the cache saves.)
MAGIC = b"CSARRAYS"
SUFFIX = ".arrays"


def _encoded(arrays: dict[str, np.ndarray]) -> bytes:
    """The bytes of a cached file holding ``arrays``."""
    payload = io.BytesIO()
    for array in (text_array(list(arrays)), *arrays.values()):
        np.lib.format.write_array(payload, np.ascontiguousarray(array), allow_pickle=False)
    data = payload.getvalue()
    return MAGIC + zlib.crc32(data).to_bytes(4, "little") + data


def _load(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a cached file; ValueError when it is not whole (cut short, or any byte changed)."""
    data = path.read_bytes()
    payload = memoryview(data)[len(MAGIC) + 4 :]
    if data[: len(MAGIC)] != MAGIC or zlib.crc32(payload).to_bytes(4, "little") != data[len(MAGIC) : len(MAGIC) + 4]:
        raise ValueError("not a whole cached file")
    stream = io.BytesIO(payload)
    names = text_values(np.lib.format.read_array(stream, allow_pickle=False))
    return {key: np.lib.format.read_array(stream, allow_pickle=False) for key in names}


def text_array(values: Sequence[str]) -> np.ndarray:
    """Strings as one array of UTF-8 bytes (each ended by a newline) for :func:`derived`; see :func:`text_values`."""
    if any("\n" in value for value in values):
        raise ValueError("a cached text value holds a newline")
    return np.frombuffer("".join(value + "\n" for value in values).encode(), dtype=np.uint8)


def text_values(array: np.ndarray | bytes) -> list[str]:
    """The strings :func:`text_array` stored (given as its array, or its bytes)."""
    return bytes(array).decode().split("\n")[:-1]
