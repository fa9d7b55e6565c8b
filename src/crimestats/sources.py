"""The source registry: what each kind of source is, and the one rule that tells which one a file holds.

A :class:`Source` holds everything the rest of the package needs to know about a source kind:
its name (the ``source`` column of canonical counts), its label in charts and reports, its period
length, whether it yields records, how it recognises a file, which files of a folder it skips,
and its readers. :func:`resolve` is the only "what is this file" rule; ``crimestats validate``,
``crimestats snapshot`` and :meth:`crimestats.Store.refresh` all go through it (via
:func:`expand`, which turns the paths a user gives into units to read).

Adding a source is one :func:`register` call; see ``docs/extending.md``.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from .exceptions import CrimestatsError, SourceFormatError

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

#: File endings a folder walk considers data (anything else in a folder is ignored and listed).
DATA_SUFFIXES = (".csv", ".gz", ".zip", ".xlsx", ".xlsm", ".ods")


class Probe:
    """What :func:`resolve` knows of a path, read lazily: its name, its CSV header, its sheet names.

    Recognisers receive a probe rather than a path so that a file's header is read once, however
    many sources look at it. ``is_dir``, when the caller knows it, spares asking the disk.
    """

    def __init__(self, path: Path, mapping: Any = None, *, is_dir: bool | None = None) -> None:
        self.path = path
        self.mapping = mapping
        if is_dir is not None:  # known already (a folder walk's file): not asked of the disk again
            self.__dict__["is_dir"] = is_dir

    @cached_property
    def name(self) -> str:
        """The file name, lower case."""
        return self.path.name.lower()

    @cached_property
    def suffix(self) -> str:
        """The last file ending, lower case (".csv", ".gz", ".xlsx", ...)."""
        return self.path.suffix.lower()

    @cached_property
    def is_dir(self) -> bool:
        """True for a folder (asked once per probe, however many sources ask)."""
        return self.path.is_dir()

    @property
    def is_csv(self) -> bool:
        """True for ``.csv``, ``.txt`` and gzipped CSV files."""
        return self.suffix in (".csv", ".txt") or self.name.endswith((".csv.gz", ".txt.gz"))

    @property
    def is_spreadsheet(self) -> bool:
        """True for ``.xlsx``, ``.xlsm`` and ``.ods`` workbooks."""
        return self.suffix in (".xlsx", ".xlsm", ".ods")

    @cached_property
    def header(self) -> tuple[str, ...]:
        """The CSV header, each name stripped and lower case (empty for anything that is not a CSV)."""
        if not self.is_csv or self.is_dir:
            return ()
        try:
            opener = gzip.open if self.name.endswith(".gz") else open
            # The first line only, in bytes: a bad byte further on is the reader's to name by line.
            with opener(self.path, "rb") as handle:
                first = handle.readline(1 << 20)
            if first.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise SourceFormatError(self.path, "file is UTF-16 text; expected UTF-8")
            line = first.decode("utf-8-sig")
        except (OSError, EOFError, UnicodeDecodeError, zipfile.BadZipFile) as error:
            raise SourceFormatError(self.path, f"cannot read a header: {error}") from error
        if not line.strip():
            raise SourceFormatError(self.path, "file is empty (no header line)")
        return _header_names(line)

    @cached_property
    def sheets(self) -> tuple[str, ...]:
        """Sheet names of a workbook, stripped and lower case (empty for anything else)."""
        if not self.is_spreadsheet:
            return ()
        try:
            if self.suffix == ".ods":
                import pandas as pd  # for a workbook only: the registry itself imports no pandas

                return tuple(s.strip().lower() for s in pd.ExcelFile(self.path, engine="odf").sheet_names)
            from openpyxl import load_workbook

            workbook = load_workbook(self.path, read_only=True)
            try:
                return tuple(s.strip().lower() for s in workbook.sheetnames)
            finally:
                workbook.close()
        except Exception as error:  # the engines raise many types (BadZipFile, KeyError, XML errors) for one cause
            raise SourceFormatError(self.path, f"not a readable spreadsheet: {error}") from error


def _header_names(line: str) -> tuple[str, ...]:
    """A CSV header line's names, stripped and lower case."""
    # A download's thousands of files share a few headers: a header line of usual length is split once.
    return _split_header(line) if len(line) < 4096 else _split_header.__wrapped__(line)


@lru_cache(maxsize=64)
def _split_header(line: str) -> tuple[str, ...]:
    import csv

    return tuple(name.strip().lower() for name in next(csv.reader([line])))


#: ``recognise(probe) -> score``: 0 or False when the file is not this source; otherwise how
#: specific the match is (True counts as 1). The highest score wins: a generic fallback (any
#: workbook) scores below 1, a match on a mapping the user gave scores 2.
Recogniser = Callable[[Probe], float]


#: What loading one unit gives: its counts and records, or the error that stopped it.
LoadResult: TypeAlias = "tuple[pd.DataFrame | None, pd.DataFrame | None, Exception | None]"


@dataclass
class UnitBatch:
    """Units a source read together (:attr:`Source.ingest_batches`), their counts in one frame.

    ``errors`` has an entry per unit, in order: None for a unit read, else why it could not be.
    The units read are, in the same order, consecutive runs of rows of ``counts`` (the n-th is
    ``counts.iloc[counts_at[n]:counts_at[n + 1]]``) and of ``coverage`` (``coverage_at``);
    ``qualities`` (its files' quality records), ``records`` (None unless asked for) and
    ``digests`` (the content digest of a unit taken from the bytes read, :mod:`crimestats.digests`,
    or None; empty unless asked for) have an entry each. ``counts`` carries no coverage or
    quality of its own. ``split()`` gives each unit's ``(counts, records, error)``, as
    :meth:`Source.load_many` does.
    """

    errors: list[Exception | None]
    split: Callable[[], Iterator[LoadResult]]
    counts: pd.DataFrame | None = None
    counts_at: Sequence[int] = ()
    coverage: pd.DataFrame | None = None
    coverage_at: Sequence[int] = ()
    qualities: list[list[Any]] = field(default_factory=list)
    records: list[list[pd.DataFrame] | None] = field(default_factory=list)
    digests: list[str | None] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """One kind of source, registered once.

    Attributes
    ----------
    name
        The value of the ``source`` column in canonical counts ("police.uk").
    label
        How charts and reports name it ("data.police.uk").
    period_months
        Length of its periods: 1 (monthly), 3 (quarterly), 12 (annual).
    has_records
        True when it holds one row per crime (counts can never be negative); False for
        published tables (whose quarterly adjustments can be negative).
    recognise
        ``recognise(probe) -> score``: does this file (or folder) hold this source, and how
        specifically (0: no; 1: yes; below 1: a generic fallback; 2: matches a user's mapping)?
    read
        ``read(path, **options) -> counts``: canonical counts of one file (or folder or zip).
    read_records
        ``read_records(path, **options) -> records`` for record-level sources, else None.
    ingest
        ``ingest(path, *, records, **options) -> (counts, records or None)`` parsing the file
        once; default: ``read`` then ``read_records`` when records are asked for.
    ingest_many
        ``ingest_many(paths, *, records, **options) -> iterable of (counts, records, error)``: many
        units read in one pass, one result per path, in order (a store refresh of thousands of
        small files); default: ``ingest`` of each.
    ingest_batches
        ``ingest_batches(paths, *, records, **options) -> iterable of UnitBatch``: as ``ingest_many``,
        the units handed on a batch at a time with their counts in one frame (a store refresh
        writes partitions from it without a frame per unit, and with ``digests=True`` takes the
        content digests of the units read whole from :attr:`UnitBatch.digests`); optional.
    skip
        ``skip(path) -> reason or None``: files of a folder that belong to this source's
        download but hold no data to count (data.police.uk outcomes files).
    needs_mapping
        True when the reader needs a column mapping (force extracts).
    crime_types
        True when its categories are data.police.uk crime types, whose sets changed in 2011 and
        2013 (comparisons across a change use the comparable level, :mod:`crimestats.comparable`).
    description
        One line for documentation and ``--help``.
    """

    name: str
    label: str
    period_months: int
    has_records: bool
    recognise: Recogniser
    read: Callable[..., pd.DataFrame]
    read_records: Callable[..., pd.DataFrame] | None = None
    ingest: Callable[..., tuple[pd.DataFrame, pd.DataFrame | None]] | None = None
    ingest_many: Callable[..., Iterable[tuple[pd.DataFrame | None, pd.DataFrame | None, Exception | None]]] | None = (
        None
    )
    ingest_batches: Callable[..., Iterable[UnitBatch]] | None = None
    skip: Callable[[Path], str | None] | None = None
    needs_mapping: bool = False
    crime_types: bool = False
    description: str = ""

    def load(
        self, path: str | Path, *, mapping: Any = None, records: bool = False, **options: Any
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Counts (and records when asked and available) of one unit, parsing it once where the source can."""
        if self.needs_mapping:
            options["mapping"] = mapping
        if self.ingest is not None:
            return self.ingest(path, records=records, **options)
        counts = self.read(path, **options)
        recs = self.read_records(path, **options) if records and self.read_records is not None else None
        return counts, recs

    def load_many(
        self, paths: Sequence[str | Path], *, mapping: Any = None, records: bool = False, **options: Any
    ) -> Iterator[LoadResult]:
        """:meth:`load` of each path, in order: ``(counts, records, None)`` or ``(None, None, error)``.

        In one pass where the source can (``ingest_many``), results coming as they are made. Only
        a :class:`~crimestats.CrimestatsError` is caught per path: it is that unit's failure.
        """
        if self.ingest_many is not None and not self.needs_mapping:
            yield from self.ingest_many(paths, records=records, **options)
            return
        for path in paths:
            try:
                yield (*self.load(path, mapping=mapping, records=records, **options), None)
            except CrimestatsError as error:
                yield (None, None, error)


_REGISTRY: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Add a source kind to the registry (replacing one of the same name) and return it.

    Examples
    --------
    >>> import crimestats as cs
    >>> cs.sources.get("police.uk").label
    'data.police.uk'
    """
    if source.name in _REGISTRY and _REGISTRY[source.name] is not source:
        logger.info("source %r re-registered", source.name)
    _REGISTRY[source.name] = source
    return source


def unregister(name: str) -> None:
    """Remove a source kind (for tests and plug-ins that registered one temporarily)."""
    _REGISTRY.pop(name, None)


@contextlib.contextmanager
def registered(source: Source) -> Iterator[Source]:
    """Register ``source`` for the duration of a ``with`` block."""
    previous = _REGISTRY.get(source.name)
    register(source)
    try:
        yield source
    finally:
        unregister(source.name)
        if previous is not None:
            register(previous)


def all_sources() -> list[Source]:
    """Every registered source kind, in registration order."""
    return list(_REGISTRY.values())


def names() -> frozenset[str]:
    """Names of every registered source kind (the values the ``source`` column may hold)."""
    return frozenset(source.name for source in all_sources())


def get(name: str) -> Source:
    """The source kind called ``name``.

    Raises
    ------
    SourceFormatError
        When no source of that name is registered.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise SourceFormatError(None, f"no source kind {name!r}; registered: {sorted(_REGISTRY)}") from None


def label(name: str) -> str:
    """How reports name a source kind (its own name when unregistered, e.g. in an old store)."""
    source = _REGISTRY.get(name)
    return source.label if source is not None else name


def resolve(path: str | Path, *, mapping: Any = None) -> Source:
    """Which source a file (or folder or zip) holds: the only "what is this file" rule.

    Parameters
    ----------
    path
        A file, a data.police.uk folder tree or zip.
    mapping
        A force extract's column mapping: a CSV whose header holds the mapping's columns is then
        an extract, whatever else its header holds.

    Returns
    -------
    Source

    Raises
    ------
    SourceFormatError
        When the path does not exist, cannot be read, or no registered source recognises it.

    Examples
    --------
    >>> import crimestats as cs
    >>> cs.sources.resolve(cs.datasets.path("ons-pfa-2018")).name
    'ons'
    """
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "does not exist")
    return _recognised(path, mapping)


def _recognised(path: Path, mapping: Any, *, is_dir: bool | None = None) -> Source:
    """:func:`resolve` of a path known to exist (and, given ``is_dir``, known to be a folder or not)."""
    probe = Probe(path, mapping, is_dir=is_dir)
    scores = {source.name: float(source.recognise(probe) or 0) for source in all_sources()}
    matches = [source for source in all_sources() if scores[source.name] > 0]
    if not matches:
        known = ", ".join(s.description or s.name for s in all_sources() if not s.needs_mapping)
        hint = "" if mapping is not None else "; for a force extract give a mapping"
        if mapping is not None and probe.header:
            hint = f"; the mapping's columns are not all in its header {list(probe.header)}"
        raise SourceFormatError(path, f"not a known layout (known: {known}){hint}")
    best = max(scores[source.name] for source in matches)
    winners = [source for source in matches if scores[source.name] == best]
    if len(winners) > 1:
        raise SourceFormatError(path, f"ambiguous: recognised as {[s.name for s in winners]}")
    return winners[0]


@dataclass(frozen=True)
class Unit:
    """One file (or zip) to read, and the source it holds."""

    path: Path
    source: Source


@dataclass
class Plan:
    """What the paths a user gave hold: units to read, files skipped with a reason, paths that failed."""

    units: list[Unit] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, SourceFormatError]] = field(default_factory=list)

    def by_source(self) -> dict[str, list[Unit]]:
        """Units grouped by source name, in order."""
        groups: dict[str, list[Unit]] = {}
        for unit in self.units:
            groups.setdefault(unit.source.name, []).append(unit)
        return groups


def _skip_reason(path: Path) -> str | None:
    for source in all_sources():
        if source.skip is not None:
            reason = source.skip(path)
            if reason:
                return reason
    return None


def expand(
    paths: Sequence[str | Path], *, mapping: Any = None, known: Callable[[Path], str | None] | None = None
) -> Plan:
    """Turn the paths a user gave into units to read, each classified by :func:`resolve`.

    A file or zip is one unit. A folder is walked: each data file in it (by ending: .csv, .gz,
    .zip, .xlsx, .xlsm, .ods) is a unit of the source it holds; files a source says it skips
    (data.police.uk outcomes and stop-and-search files) and non-data files are listed in
    ``skipped``; files no source recognises are listed in ``failed``, never silently passed over.
    A file whose content repeats an earlier unit's (the same file in two folders) is skipped
    with the file it repeats, so that nothing is counted twice.

    ``known(path)`` may name the source of a file the caller already holds unchanged (the store,
    by its size and modification time): that file is neither probed nor hashed, so a refresh
    finding nothing new does not read every file.

    Examples
    --------
    >>> import crimestats as cs
    >>> plan = cs.sources.expand([cs.datasets.path("police-uk-city-of-london-2017-01")])
    >>> [unit.source.name for unit in plan.units]
    ['police.uk']
    """
    plan = Plan()
    unchanged: set[Path] = set()
    for given in paths:
        path = Path(given)
        before = (len(plan.units), len(plan.failed))
        if not path.exists():
            plan.failed.append((str(path), SourceFormatError(path, "does not exist")))
            continue
        walked = path.is_dir()
        candidates = _files_under(path) if walked else [path]
        depth = len(path.parts)  # a walked file's path is the folder's parts, then its own
        for candidate in candidates:
            if walked:
                hidden = any(part.startswith(".") for part in candidate.parts[depth:])
                if hidden or not candidate.name.lower().endswith(DATA_SUFFIXES):
                    plan.skipped.append((str(candidate), "not a data file"))
                    continue
                reason = _skip_reason(candidate)
                if reason:
                    plan.skipped.append((str(candidate), reason))
                    continue
            held = known(candidate) if known is not None else None
            if held is not None and held in _REGISTRY:
                plan.units.append(Unit(candidate, _REGISTRY[held]))
                unchanged.add(candidate)
                continue
            try:
                # A file known to exist: the given path was checked above, a walked file is a directory entry.
                plan.units.append(Unit(candidate, _recognised(candidate, mapping, is_dir=False)))
            except SourceFormatError as error:
                plan.failed.append((str(candidate), error))
        if (len(plan.units), len(plan.failed)) == before:
            plan.failed.append((str(path), SourceFormatError(path, "holds no data files of any known source")))
    _drop_duplicates(plan, unchanged)
    return plan


def _files_under(folder: Path) -> list[Path]:
    """The files in a folder tree, in path order: what ``sorted(folder.rglob("*"))`` gives, files only.

    Directory entries tell files from folders without a ``stat`` of each file; symbolic links to
    folders are not followed and folders that cannot be listed are passed over, as ``rglob`` does.
    """
    found, folders = [], [folder]
    while folders:
        try:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(Path(entry.path))
                    elif entry.is_file():
                        found.append(Path(entry.path))
        except PermissionError:
            continue
    return sorted(found, key=lambda path: path.parts)


def _digest(path: Path) -> str | None:
    from .digests import file_digest  # the one way a file's content is digested (what a store records)

    try:
        return file_digest(path)
    except OSError:
        return None  # the reader says why it cannot be read


def _drop_duplicates(plan: Plan, unchanged: set[Path] | frozenset[Path] = frozenset()) -> None:
    """The same content reached twice (a copied folder, a path given twice) is one unit, never counted twice.

    The copy is listed in ``plan.skipped`` with the file it repeats. Only files of the same size
    can be the same, so only those are hashed. Files in ``unchanged`` (held by the caller as
    they are) are not hashed; the caller skips their copies by content.
    """
    sizes: dict[int | None, int] = {}
    size_of: dict[Path, int | None] = {}
    for unit in plan.units:
        if unit.path not in unchanged:
            try:
                size_of[unit.path] = unit.path.stat().st_size
            except OSError:
                size_of[unit.path] = None  # the reader says why it cannot be read
            sizes[size_of[unit.path]] = sizes.get(size_of[unit.path], 0) + 1
    first: dict[str, Path] = {}
    units = []
    for unit in plan.units:
        size = size_of.get(unit.path)
        if unit.path in unchanged or size is None or sizes[size] < 2:
            units.append(unit)
            continue
        digest = _digest(unit.path)
        seen = first.setdefault(digest, unit.path) if digest is not None else unit.path
        if seen != unit.path:
            logger.warning("%s: same content as %s; read once", unit.path, seen)
            plan.skipped.append((str(unit.path), f"same content as {seen}: read once"))
            continue
        units.append(unit)
    plan.units = units


def read(path: str | Path, *, mapping: Any = None, **options: Any) -> pd.DataFrame:
    """Read any registered source into canonical counts with the reader its kind needs.

    Examples
    --------
    >>> import crimestats as cs
    >>> int(cs.sources.read(cs.datasets.path("police-uk-city-of-london-2017-01"))["count"].sum())
    483
    """
    source = resolve(path, mapping=mapping)
    counts, _ = source.load(path, mapping=mapping, **options)
    return counts


def options_for(source: Source, options: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``options`` that a source's ``read`` accepts (by parameter name)."""
    import inspect

    accepted = inspect.signature(source.read).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return dict(options)
    return {key: value for key, value in options.items() if key in accepted}


# The built-in kinds, registered as the registry loads (their declarations import no reader), so
# the registry is never seen without them and a kind registered later replaces a built-in.
from . import source_kinds  # noqa: E402, F401
