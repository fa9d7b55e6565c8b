"""data.police.uk street files as found: where they are, what their names say, and checks that names and rows agree.

A download is a ``*-street.csv``, a ``YYYY-MM/`` folder tree or the zip; each file is named for
one force and month. :mod:`crimestats.io.police_uk` reads what is listed here.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import logging
import stat
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..areas import force_name
from ..exceptions import SourceFormatError, UnknownAreaError
from ..periods import month_label, parse_month
from .layouts import STREET_FILE
from .structure import CheckedCsv, reading

if TYPE_CHECKING:
    from .street_chunks import StreetTally

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreetFile:
    """One street file: where it is (a path, or a member of a zip) and the month and force it names."""

    name: str
    month: str | None
    force_slug: str | None
    archive: Path | None = None
    #: The file's bytes once :func:`load` has checked their structure (then read from memory).
    content: CheckedCsv | None = field(default=None, compare=False, repr=False)
    #: The size of its content as found when it was discovered (None: learnt when asked).
    size: int | None = field(default=None, compare=False, repr=False)

    def open(self) -> io.BufferedIOBase:
        """Open for binary reading (zip members are streamed, never unpacked to disk)."""
        if self.content is not None:
            return self.content.stream()
        if self.archive is not None:
            return zipfile.ZipFile(self.archive).open(self.name)  # type: ignore[return-value]
        if self.name.lower().endswith(".gz"):  # a street file someone gzipped: read it decompressed
            return gzip.open(self.name, "rb")  # type: ignore[return-value]
        return open(self.name, "rb")

    @property
    def label(self) -> str:
        """The file as named in messages: ``archive.zip!member`` for zip members."""
        return f"{self.archive}!{self.name}" if self.archive else self.name


def discover(path: str | Path) -> tuple[list[StreetFile], list[str]]:
    """Street files under ``path`` (a CSV, a folder tree or a zip), and the other files ignored."""
    path = Path(path)
    try:  # one stat: a refresh discovers each of thousands of files on its own, while others are read
        found = path.stat()
    except OSError:
        raise SourceFormatError(path, "does not exist") from None
    sizes: dict[str, int] = {}  # a zip member's size, from the archive's directory read once
    if stat.S_ISDIR(found.st_mode):
        names = sorted(str(p) for p in path.rglob("*.csv"))
        archive = None
    elif path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zipped:
                names = sorted(n for n in zipped.namelist() if n.lower().endswith(".csv"))
                sizes = {name: zipped.getinfo(name).file_size for name in names}
        except zipfile.BadZipFile as error:
            raise SourceFormatError(path, f"not a readable zip archive: {error}") from error
        archive = path
    else:
        match = STREET_FILE.search(path.name)
        size = None if path.name.lower().endswith(".gz") else found.st_size
        return [StreetFile(str(path), *(match.groups() if match else (None, None)), size=size)], []
    files, ignored = [], []
    for name in names:
        match = STREET_FILE.search(name.replace("\\", "/"))
        if match:
            files.append(StreetFile(name, match.group(1), match.group(2).lower(), archive, size=sizes.get(name)))
        else:
            ignored.append(name)
    if not files:
        raise SourceFormatError(
            path, f"holds no data.police.uk street files (*-street.csv); found {len(ignored)} other CSV files"
        )
    return files, ignored


def _wanted(files: list[StreetFile], months: Sequence[str] | None, forces: Sequence[str] | None) -> list[StreetFile]:
    keep = files
    if months is not None:
        wanted = {f"{parse_month(m):%Y-%m}" for m in months}
        keep = [f for f in keep if f.month is None or f.month in wanted]
    if forces is not None:
        wanted_forces = {force_name(f) for f in forces}
        keep = [f for f in keep if f.force_slug is None or force_of_slug(f.force_slug) in wanted_forces]
    return keep


def select_files(
    path: str | Path, months: Sequence[str] | None, forces: Sequence[str] | None
) -> tuple[list[StreetFile], list[str], set[str] | None]:
    """Street files to read (filtered by the months and forces named in their names), ignored files, months."""
    files, ignored = discover(path)
    month_set = None if months is None else {f"{parse_month(m):%Y-%m}" for m in months}
    return _wanted(files, months, forces), ignored, month_set


@functools.cache
def force_of_slug(slug: str) -> str | None:
    """The force a file name's slug names ("city-of-london" -> "London, City of"), or None."""
    try:
        return force_name(slug.replace("-", " "))
    except UnknownAreaError:
        return None


def file_size(file: StreetFile) -> int:
    """The size of a street file's content, learnt without reading it (a gzip's from its trailer)."""
    if file.size is not None:
        return file.size
    if file.archive is not None:
        with zipfile.ZipFile(file.archive) as zipped:
            return zipped.getinfo(file.name).file_size
    path = Path(file.name)
    if file.name.lower().endswith(".gz"):
        with open(path, "rb") as handle:
            handle.seek(-4, io.SEEK_END)
            return int.from_bytes(handle.read(4), "little")  # ISIZE: the size modulo 2**32
    return path.stat().st_size


def _digest(file: StreetFile, limit: int | None = None) -> str:
    """A hash of the file's content (of its first ``limit`` bytes, when given)."""
    digest = hashlib.blake2b(digest_size=16)
    with file.open() as handle:
        if limit is not None:
            digest.update(handle.read(limit))
        else:
            while block := handle.read(2**24):
                digest.update(block)
    return digest.hexdigest()


def same_content(files: Sequence[StreetFile]) -> dict[str, str]:
    """Files whose content is that of an earlier file in ``files`` (label -> the earlier one's label).

    Only files of the same size can be the same, and only those whose first megabyte is the same
    are hashed whole: a read of files that differ never reads a file twice.
    """
    if len(files) < 2:  # a refresh asks this of each of thousands of single files
        return {}
    groups: list[list[StreetFile]] = list(_grouped(files, file_size).values())
    for key in (lambda f: _digest(f, 2**20), _digest):
        groups = [group for files_ in groups if len(files_) > 1 for group in _grouped(files_, key).values()]
    same: dict[str, str] = {}
    for group in groups:
        if len(group) > 1:
            same.update({file.label: group[0].label for file in group[1:]})
    return same


def _grouped(files: Sequence[StreetFile], key: Callable[[StreetFile], object]) -> dict[object, list[StreetFile]]:
    grouped: dict[object, list[StreetFile]] = {}
    for file in files:
        with reading(file.label):
            grouped.setdefault(key(file), []).append(file)
    return grouped


def check_identity(
    file: StreetFile, tally: StreetTally, force_of: Callable[[str], str], *, trust_content: bool
) -> dict[str, object]:
    """Refuse a file whose name and rows disagree on month or force; report rows of other months or forces.

    The name is what a folder walk, a month filter and the store trust; the rows are what is
    counted. When most rows say another month (or force) than the name, one of them is wrong and
    reading on would count the rows where the name does not say: refused unless
    ``trust_content``. A minority of rows of another month or force is reported. ``tally`` holds
    the rows per month and force as written (:mod:`crimestats.io.street_chunks`); ``force_of``
    names the force of a Falls within value (itself, stripped, when it is no force's name).
    """
    found: dict[str, object] = {}
    if not tally.rows_read:
        return found
    month_of = {label: month_label(month) for label, month in tally.parsed.items()}
    force_of_value = {value: force_of(value) for value in tally.force_rows}
    tallies = {"month": _tally_of(tally.month_rows, month_of), "force": _tally_of(tally.force_rows, force_of_value)}
    firsts = {"month": tally.month_first, "force": tally.force_first}
    named = {"month": file.month, "force": force_of_slug(file.force_slug) if file.force_slug else None}
    for kind, column, of in (("month", "Month", month_of), ("force", "Falls within", force_of_value)):
        counts, name = tallies[kind], named[kind]
        if name is None:
            continue
        majority = next(iter(counts))
        if counts.get(name, 0) < counts[majority]:
            position = min(first for value, first in firsts[kind].items() if of[value] == majority)
            problem = (
                f"the file name says {kind} {name} but {counts[majority]:,} of {tally.rows_read:,} rows say "
                f"{majority} (and {counts.get(name, 0):,} say {name}); expected the rows of the {kind} its name gives"
            )
            if not trust_content:
                raise SourceFormatError(
                    file.label,
                    problem + " (pass trust_content=True to count the rows as they say)",
                    row=position + 2,
                    column=column,
                )
            logger.warning("%s: %s; counted as the rows say (trust_content)", file.label, problem)
            found[f"name_{kind}_disagrees"] = {"named": name, "rows": counts}
        elif len(counts) > 1:
            found[f"rows_other_{kind}s"] = {k: v for k, v in counts.items() if k != name}
    if named["month"] is None and len(tallies["month"]) > 1:
        found["rows_other_months"] = dict(list(tallies["month"].items())[1:])
    return found


def _tally_of(rows: dict[str, int], canonical: dict[str, str]) -> dict[str, int]:
    """Rows per canonical value, most first (ties in alphabetical order), from rows per value as written."""
    tally: dict[str, int] = {}
    for value, count in rows.items():
        tally[canonical[value]] = tally.get(canonical[value], 0) + count
    return {k: tally[k] for k in sorted(tally, key=lambda k: (-tally[k], k))}
