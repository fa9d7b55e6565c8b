"""Force-year files encoded ahead: while a refresh still reads later files, the years it has read are encoded.

A refresh writing many counts partitions puts each source x force x year in one shared file
(:mod:`crimestats.store.compact`), encoded once the year's months are all read. A national
download is read month by month, so most years are complete long before the last file: once a
file arrives whose partitions all lie in a later year, the force-years of the years before are
encoded beside the reading (Arrow and zstd wait outside the GIL), not after the last file.

This is a guess, checked at the write: an encoding is used only when its force-year's partitions
at the end are exactly those it was made from (the same partitions, the same rows, in the same
order); any other force-year is encoded then, as it would have been without this. A force-year
is encoded ahead at most once, so files read out of order cost at most one wasted encoding each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from typing import Any

from . import compact
from .compact import encode_shared, group_folder
from .writing import arrow_tables

#: A force-year's members: (partition key, rows) in the order the write puts them (by month).
Members = Sequence[tuple[str, Any]]


class FilesAhead:
    """The force-year files of a refresh encoded while it reads, by ``pool`` (None: none are)."""

    def __init__(self, pool: Executor | None) -> None:
        self._pool = pool
        self._counts = 0  # counts partitions of the units added so far
        #: folder -> [(month, partition key, rows)], in the order units were added.
        self._members: dict[str, list[tuple[str, str, Any]]] = defaultdict(list)
        #: year -> folders of that year not encoded ahead yet.
        self._open: dict[str, set[str]] = defaultdict(set)
        #: folder -> (the members it was encoded with, its encoding); a folder that changed after is removed.
        self._encoded: dict[str, tuple[list[tuple[str, Any]], Future[bytes]]] = {}
        self._tried: set[str] = set()

    def add(self, parts: Sequence[tuple[str, dict[str, Any], Any]]) -> None:
        """A unit's partitions, once its claims stood (in the order the write will see the units)."""
        years = set()
        for key, meta, rows in parts:
            if meta["dataset"] != "counts":
                continue
            folder = group_folder(meta)
            year = meta["month"][:4]
            self._members[folder].append((meta["month"], key, rows))
            self._encoded.pop(folder, None)  # encoded without this partition: encoded again at the write
            if folder not in self._tried:
                self._open[year].add(folder)
            years.add(year)
            self._counts += 1
        # Only once the write will share files; a small refresh writes a file per partition.
        if self._pool is None or not years or self._counts < compact.SHARED_WRITE_MIN:
            return
        first = min(years)
        for year in sorted(y for y in self._open if y < first):
            for folder in sorted(self._open.pop(year)):
                members = self._in_order(folder)
                # Converted here (a batch's Arrow table is made once, on this thread), encoded beside.
                tables = arrow_tables([rows for _, rows in members])
                self._encoded[folder] = (members, self._pool.submit(encode_shared, tables))
                self._tried.add(folder)

    def encoding(self, folder: str, members: Members) -> Future[bytes] | None:
        """The encoding of ``folder`` made ahead, if it holds exactly ``members``; else None."""
        made = self._encoded.get(folder)
        if made is None:
            return None
        ahead, future = made
        same = len(ahead) == len(members) and all(
            key == other_key and rows is other_rows
            for (key, rows), (other_key, other_rows) in zip(ahead, members, strict=True)
        )
        return future if same else None

    def _in_order(self, folder: str) -> list[tuple[str, Any]]:
        """A folder's members as the write orders them: by month, else in the order they came."""
        return [(key, rows) for _, key, rows in sorted(self._members[folder], key=lambda member: member[0])]
