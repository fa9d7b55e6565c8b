"""The content digest a store records of each file it reads: XXH3-128 of the file's bytes.

Defined here, apart from the store, because it is taken where the bytes are: a store refresh
has the street-file reader digest the bytes it has read (:mod:`crimestats.io.street_blocks`),
so no file is read a second time to be hashed; other files are digested from disk
(:func:`file_digest`). Both give ``"xxh3-128:<32 hex digits>"`` for the same bytes, however
they arrive. XXH3 (the ``xxhash`` package, the reference implementation's binding) hashes at
memory speed without the GIL; it is not cryptographic, and a store's files are not chosen to
collide. Where the street-file scanner is built, it takes the same digest with the same
reference code (vendored in ``crimestats/io/xxhash/``) in the pass that scans each block, while
the bytes are in the core's cache (:func:`crimestats.io.street_blocks.reading_digest`).
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike
from typing import Protocol

import xxhash

#: The algorithm's name, as manifest entries record it (``"xxh3-128:<hex>"``).
ALGORITHM = "xxh3-128"
#: Bytes of a file read at a time by :func:`file_digest`.
CHUNK = 4 * 2**20


class ContentDigest(Protocol):
    """What takes a content digest: fed bytes in order, then named (xxhash's, or the street scanner's)."""

    def update(self, data: bytes | memoryview, /) -> None:
        """Feed the next bytes."""

    def hexdigest(self) -> str:
        """The digest of the bytes fed so far, in hexadecimal."""


def new_digest() -> xxhash.xxh3_128:
    """A digest to feed a file's bytes in order (``update``); :func:`digest_text` then names it."""
    return xxhash.xxh3_128()


def digest_text(digest: ContentDigest) -> str:
    """``"xxh3-128:<hex>"`` of the bytes fed to ``digest``."""
    return f"{ALGORITHM}:{digest.hexdigest()}"


def file_digest(path: str | PathLike[str]) -> str:
    """``"xxh3-128:<hex>"`` of a file's content, read :data:`CHUNK` bytes at a time.

    Raises
    ------
    OSError
        When the file cannot be read.
    """
    digest = new_digest()
    for chunk in file_chunks(path, CHUNK):
        digest.update(chunk)
    return digest_text(digest)


def file_chunks(path: str | PathLike[str], size: int) -> Iterator[memoryview]:
    """A file's content in chunks of ``size`` bytes (the last shorter), each whole however the reads return.

    Each chunk is a view of one reused buffer, valid until the next is asked for. Digests defined
    over fixed chunks (the ``xxh64x2`` of older stores) depend on the boundaries being exact.
    """
    buffer = bytearray(size)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while True:
            filled = 0
            while filled < size and (read := handle.readinto(view[filled:])):
                filled += read
            if not filled:
                return
            yield view[:filled]
