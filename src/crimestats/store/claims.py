"""Which file may write which partition: the store protects what it has.

A refresh trusts a file's contents for the partitions it writes (source x force x month), so a
file whose rows are mislabelled could replace good data stored from another file: a street file
named 2017-02 holding 2017-01 rows, or a City of London file with 50 rows whose ``Falls within``
says Metropolitan Police. The rules, applied to each file before anything is written:

1. A partition nobody holds may be written by any file; when two new files of one refresh claim
   it, the second is refused.
2. A stored partition is replaced only by

   - the file that wrote it (same path, changed content);
   - a later download of that file (same file name, in whatever folder: data.police.uk
     re-publishes months under the same names);
   - a fuller edition of the same table: a file of the same source kind that holds every
     counts partition the stored file holds, when that is more than one (a new edition of a
     Home Office or ONS table, a longer force extract, a bigger zip). A single street file
     is never such an edition of another file;
   - a later edition of the same published table (same source, same table, same geographic
     level, whose latest period ends later): ONS revises the previous years in each edition.
     The store keeps the newer edition and the refresh lists each such partition under
     ``revisions``; an *older* edition than the one stored is refused.

3. A file is taken or refused whole: a refused file writes nothing, so nothing stored is lost.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any


class Claims:
    """The owners of a store's partitions, and the partitions claimed so far in this refresh."""

    def __init__(self, manifest: dict[str, Any]) -> None:
        self.partitions: dict[str, dict[str, Any]] = manifest["partitions"]
        self.sources = {key: meta.get("source_type") for key, meta in manifest["files"].items()}
        self.editions = {key: (meta.get("table"), meta.get("edition")) for key, meta in manifest["files"].items()}
        #: Partitions replaced from a later edition of the same published table, in this refresh.
        self.revisions: list[dict[str, str]] = []
        self.owned: dict[str, set[str]] = defaultdict(set)
        for part, meta in self.partitions.items():
            if meta["dataset"] == "counts":
                self.owned[meta["from"]].add(part)
        self.claimed: dict[str, str] = {}

    def refusal(
        self,
        file: str,
        source: str,
        parts: list[tuple[str, dict[str, Any]]],
        *,
        edition: tuple[str | None, str | None] = (None, None),
    ) -> str | None:
        """Why ``file`` (of source kind ``source``) may not write ``parts``, or None when it may.

        ``parts`` are (partition key, partition metadata) pairs; a file that may write them
        claims them, so a later file of the same refresh cannot. ``edition`` is the file's
        (table, last month) when it is a published table.
        """
        counts = {part for part, meta in parts if meta["dataset"] == "counts"}
        revisions = []
        for part, meta in parts:
            what = _what(meta)
            if part in self.claimed:
                return (
                    f"refused: holds {what}, which {self.claimed[part]} also holds in this refresh; refresh one of them"
                )
            owner = self.partitions.get(part, {}).get("from")
            if owner is None or self._may_replace(file, source, counts, owner):
                continue
            table, last = edition
            owner_table, owner_last = self.editions.get(owner, (None, None))
            if table is not None and table == owner_table and last and owner_last:
                if last > owner_last:
                    revisions.append({"partition": part, "replaced": owner, "by": file, "edition": last})
                    continue
                return (
                    f"refused: holds {what} from an edition ending {last}, older than (or the same as) the "
                    f"edition ending {owner_last} the store holds from {owner}: the store keeps the newer edition"
                )
            return (
                f"refused: holds {what}, which the store holds from {owner}; a file may replace only what it "
                "(or a later download of the same file name, or a fuller edition of the same table) wrote: "
                "is this file misnamed, or are its rows mislabelled?"
            )
        for part, _ in parts:
            self.claimed[part] = file
        self.revisions += revisions
        return None

    def _may_replace(self, file: str, source: str, counts: set[str], owner: str) -> bool:
        if file == owner or Path(file).name == Path(owner).name:
            return True
        owned = self.owned.get(owner, set())
        return self.sources.get(owner) == source and len(owned) > 1 and owned <= counts


def _what(meta: dict[str, Any]) -> str:
    """A partition in words: "police.uk rows of Metropolitan Police for 2017-01"."""
    kind = f"{meta['src']} rows" if meta["dataset"] == "counts" else "records"
    return f"{kind} of {meta['force']} for {meta['month']}"
