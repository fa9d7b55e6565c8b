"""The manifest: the one file that says what the store holds.

``manifest.json`` names the one current place of every partition (``partitions``: its data file,
and ``file_partitions``, how many partitions the file was written with, so a reader knows when
some are dead; ``file_months`` in stores written before), the source file each came from and
everything known about that file (``files``: size, modification time, content digest, source
kind, periods, forces, rows, quality record), and the data files replaced by the last refresh or
compaction that readers holding the previous manifest may still open (``retired``). It is swapped
in whole with :func:`~crimestats.store.atomic.write_atomic`; readers open only the files it names.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import xxhash

from .. import digests
from ..exceptions import StoreError
from .atomic import write_atomic

MANIFEST = "manifest.json"
FORMAT = "crimestats-store"
VERSION = 1


#: Hive partition fields of each dataset's folders under the store folder. (A counts partition, the unit
#: of claims and replacement, is a source x force x month; its rows live in a file of the source-year's folder.)
PARTITION_FIELDS = {"counts": ("src", "year"), "records": ("pfa", "month")}


def empty_manifest() -> dict[str, Any]:
    """A manifest with nothing in it."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "generation": 0,
        "last_refresh": None,
        "partitions": {},
        "files": {},
        "retired": {},
    }


#: The last manifest parsed per store, by the identity of its file (readers only: see ``read_manifest``).
_PARSED: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {}


def read_manifest(root: Path, *, shared: bool = False) -> dict[str, Any]:
    """The store's manifest (an empty one for a new store).

    With ``shared``, a manifest already parsed in this process is returned while the file is the
    same one (same inode, size and times: every swap renames a new file over it), so repeated reads
    of a national store do not parse megabytes of JSON each time. Callers given a shared manifest
    must not change it.

    Raises
    ------
    StoreError
        When the manifest cannot be read or is not a crimestats store's.
    """
    path = root / MANIFEST
    if shared:
        try:
            stat = path.stat()
        except OSError:
            return read_manifest(root)
        identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        known = _PARSED.get(str(path))
        if known is not None and known[0] == identity:
            return known[1]
        manifest = read_manifest(root)
        _PARSED.clear()  # one store's at a time: it can be megabytes
        _PARSED[str(path)] = (identity, manifest)
        return manifest
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty_manifest()
    except OSError as error:
        raise StoreError(f"{path}: manifest cannot be read: {error.strerror or error}") from error
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        raise StoreError(f"{path}: manifest is not valid JSON ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StoreError(f"{path}: not a crimestats store manifest")
    manifest.setdefault("retired", {})  # stores written before replaced files were kept
    return manifest


def encode_manifest(manifest: dict[str, Any]) -> bytes:
    """The manifest as the bytes written to disk."""
    # Compact separators: a national store's manifest is megabytes, parsed by every read and refresh.
    return json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode("utf-8")


def write_manifest(root: Path, manifest: dict[str, Any], encoded: bytes | None = None) -> None:
    """Swap in a new manifest atomically (the ``manifest-swap`` failpoint sits just before the rename).

    ``encoded``: :func:`encode_manifest` of it, where the caller has made it already (a national
    store's manifest is megabytes of JSON).
    """
    write_atomic(root / MANIFEST, encode_manifest(manifest) if encoded is None else encoded, stage="manifest-swap")


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's content, read in chunks (hexadecimal)."""
    digest = hashlib.sha256()
    for block in digests.file_chunks(path, chunk):
        digest.update(block)
    return digest.hexdigest()


#: Bytes of a file digested at a time by ``xxh64x2`` (the digest of a file is that of its chunks'),
#: the algorithm of entries written before ``xxh3-128``.
DIGEST_CHUNK = 4 * 2**20
_SEEDS = (0, 0x9E3779B97F4A7C15)


def digest_algorithm() -> str:
    """The algorithm new manifest entries record: ``xxh3-128`` (:mod:`crimestats.digests`)."""
    return digests.ALGORITHM


def content_digest(path: Path, algorithm: str | None = None) -> str:
    """``"algorithm:hex"``: what tells a file's content again (see :func:`entry_digest`).

    ``xxh3-128`` (new entries): :func:`crimestats.digests.file_digest`, the digest a refresh
    also takes of a street file's bytes as it reads them. Entries of older stores are matched by
    theirs: ``xxh64x2`` (:func:`xxh64x2`) and ``sha256``. None is cryptographic but SHA-256: a
    store's files are not chosen to collide.
    """
    algorithm = algorithm or digest_algorithm()
    if algorithm == digests.ALGORITHM:
        return digests.file_digest(path)
    if algorithm == "xxh64x2":
        return f"xxh64x2:{xxh64x2(path)}"
    if algorithm == "sha256":
        return f"sha256:{sha256(path)}"
    raise StoreError(f"cannot compute a {algorithm!r} digest; known: {digests.ALGORITHM}, xxh64x2, sha256")


def xxh64x2(path: Path) -> str:
    """The digest of entries written before ``xxh3-128``: XXH64 with two seeds of each 4 MiB chunk, then of those.

    Each chunk's two XXH64 values (seeds 0 and 0x9E3779B97F4A7C15) as 32 hexadecimal digits, and
    the same of the chunks' digests end to end (ASCII); what the store's compiled module computed.
    """

    def twice(data: bytes | memoryview) -> str:
        return "".join(f"{xxhash.xxh64_intdigest(data, seed):016x}" for seed in _SEEDS)

    chunks = [twice(chunk) for chunk in digests.file_chunks(path, DIGEST_CHUNK)]
    return twice("".join(chunks).encode("ascii"))


def entry_digest(entry: dict[str, Any]) -> str:
    """The content digest a manifest entry records, as ``"algorithm:hex"``.

    Entries written before digests named their algorithm hold a bare SHA-256 (``sha256``).
    """
    return entry.get("digest") or f"sha256:{entry['sha256']}"
