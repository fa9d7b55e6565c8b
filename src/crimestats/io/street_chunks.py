"""data.police.uk street files tallied from their parsed blocks: each distinct value mapped once, counts out.

The second stage of the ingest path (issue 15; :mod:`crimestats.io.street_blocks` reads, checks
and scans or parses the blocks). Each block is mapped through its dictionaries: months parsed,
forces named, LSOA codes placed in areas and crime types categorised once per distinct value for
the whole read (:class:`~crimestats.io.street_places.Places`), rows touched only as integer
codes, and aggregated with numpy before any pandas object exists. What the quality record needs
(rows per month and force as written, the first row of each value for error messages, crime-ID
hashes, non-numeric coordinates, LSOA codes present) is tallied on the way.
:mod:`crimestats.io.police_uk` turns a :class:`StreetTally` into counts, coverage and the quality
record.
"""

from __future__ import annotations

import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import CrimestatsError, PeriodError, SourceFormatError
from ..periods import month_label
from .crime_ids import crime_id_hashes, repeats
from .street_blocks import (
    BLOCK_BYTES,
    COORDINATES,
    COUNT_KEYS,
    DICT,
    DICTIONARY,
    FileDigest,
    FileError,
    FileStart,
    Interned,
    ParsedBlock,
    Where,
    parse,
    parsed_blocks,
    roles_of,
    scan,
)
from .street_counts import Entries
from .street_files import StreetFile, file_size
from .street_places import NAME_FALLBACK, NO_LSOA_COLUMNS, REASONS, UNKNOWN_LSOA, Places

_ESSENTIAL = ("Month", "Falls within", "Crime type")
#: Threads reading and tallying files ahead of the caller (:func:`read_street_files`).
TALLIERS = 2
#: Bytes of files read ahead of the caller whose results it has not taken yet. A file's tally is
#: a few per cent of its bytes (its counted rows and crime-ID hashes), so the threads can run far
#: ahead: a caller that stops to work on what it has (a store refresh validating a batch) does
#: not leave them idle.
AHEAD_BYTES = 256 * 2**20
#: The same when records are kept: a file's records are about as big as the file.
RECORD_AHEAD_BYTES = 32 * 2**20
_LSOA_SUFFIX = re.compile(r"\s+\d{3}[A-Z]$")


@dataclass
class StreetTally:
    """What one street file gave: aggregated rows and everything its quality record and checks need."""

    label: str
    header: list[str]
    #: Rows counted per (Month, Falls within, Crime type as written, area id in :attr:`Places.areas`
    #: or -1, index into :data:`REASONS`).
    entries: Entries = field(default_factory=Entries.empty)
    rows_read: int = 0
    #: Rows per Month and per Falls within value as written (all rows, before any month filter).
    month_rows: dict[str, int] = field(default_factory=dict)
    force_rows: dict[str, int] = field(default_factory=dict)
    #: 0-based data row of the first row holding each Month / Falls within value.
    month_first: dict[str, int] = field(default_factory=dict)
    force_first: dict[str, int] = field(default_factory=dict)
    #: Parsed month of each Month value.
    parsed: dict[str, pd.Timestamp] = field(default_factory=dict)
    #: Ids (:meth:`Places.of_codes`) of the LSOA codes of the rows kept, an array per block;
    #: ``None`` for a file with no LSOA columns (the pre-2013 layout).
    lsoa_code_ids: list[np.ndarray] | None = field(default_factory=list)
    #: 64-bit hashes of the non-blank crime IDs of the rows kept (sorted), and how many repeat one before.
    id_hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    duplicate_ids: int = 0
    #: Non-numeric coordinates: column -> {"rows", "first_row"} (rows as in messages, 1-based with header).
    coordinates: dict[str, dict[str, int]] = field(default_factory=dict)
    #: What the structure check reports (blank lines, last line unterminated).
    structure: dict[str, int] = field(default_factory=dict)
    #: One Arrow table per block of the rows kept (records only).
    records: list[pa.Table] = field(default_factory=list)
    #: The file's content digest (:mod:`crimestats.digests`) where it was asked for and the file is plain.
    digest: str | None = None


def _codes(column: pa.ChunkedArray, *, as_list: bool = True) -> tuple[np.ndarray, list[str] | pa.Array]:
    """Integer codes and the distinct values (a list, or the Arrow dictionary) of a dictionary column."""
    if column.num_chunks == 0:
        return np.empty(0, dtype=np.int32), [] if as_list else pa.array([], pa.string())
    column = column.unify_dictionaries() if column.num_chunks > 1 else column
    dictionary = column.chunk(0).dictionary
    if column.num_chunks == 1:
        codes = column.chunk(0).indices.to_numpy(zero_copy_only=False)
    else:
        codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in column.chunks])
    return codes, dictionary.to_pylist() if as_list else dictionary


def _value_tallies(codes: np.ndarray, values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rows per value, and the first position of each (-1 where it does not occur), of a coded column."""
    first = np.full(len(values), -1, dtype=np.int64)
    positions = np.arange(len(codes), dtype=np.int64)
    first[codes[::-1]] = positions[::-1]
    return np.bincount(codes, minlength=len(values)), first


class _Reader:
    """Tallies one street file's parsed blocks into a :class:`StreetTally`."""

    def __init__(self, start: FileStart, places: Places, *, months: set[str] | None, records: bool) -> None:
        self.file, self.places, self.months, self.records = start.file, places, months, records
        self.no_lsoa_columns = start.no_lsoa_columns
        self.header, self.wanted, self.types = start.header, start.wanted, start.types
        self.tally = StreetTally(label=self.file.label, header=self.header)
        if self.no_lsoa_columns:
            self.tally.lsoa_code_ids = None
        self.hashes: list[np.ndarray] = []
        self.entries: list[Entries] = []  # one per block
        self._block: ParsedBlock | None = None

    def take(self, block: ParsedBlock) -> None:
        """Tally one parsed block."""
        structure = self.tally.structure
        if block.blank_lines:
            structure["blank_lines"] = structure.get("blank_lines", 0) + block.blank_lines
        if block.unterminated_line is not None:
            structure["last_line_unterminated"] = block.unterminated_line
        self._block = block
        self._rows(block)
        self._block = None

    def _names(self) -> tuple[np.ndarray, list[str]]:
        """The LSOA name column of the block being read (read again: needed only for unknown codes)."""
        if self._block.scanned is not None:
            found = scan(self._block.data, self.header, roles_of(self.header, {"LSOA name": DICTIONARY}))
            if not isinstance(found, str):
                return found.columns["LSOA name"]
        table = parse(self._block.data, self.header, ["LSOA name"], {"LSOA name": DICT})
        return _codes(table.column("LSOA name"))

    def _rows(self, block: ParsedBlock) -> None:
        table, scanned, where = block.table, block.scanned, block.where
        n = block.rows
        tally = self.tally
        tally.rows_read += n
        if n == 0:
            return
        if scanned is not None:
            coded, value_tallies = scanned.columns, scanned.tallies
        else:
            coded = {
                c: _codes(table.column(c), as_list=c != "LSOA code")
                for c in self.wanted
                if pa.types.is_dictionary(self.types[c])
            }
            value_tallies = {c: _value_tallies(*coded[c]) for c in _ESSENTIAL}
        # A truncated line leaves its trailing fields empty; real rows always have a month, a force and a type.
        blank_at = [int(value_tallies[c][1][coded[c][1].index("")]) for c in _ESSENTIAL if "" in coded[c][1]]
        if blank_at:
            raise SourceFormatError(
                self.file.label,
                "row is missing Month, Falls within or Crime type (file truncated?)",
                row=where.first_row + min(blank_at) + 2,
            )
        month_codes, month_values = coded["Month"]
        force_values = coded["Falls within"][1]
        month_rows, month_first = value_tallies["Month"]
        for value, first in zip(month_values, month_first, strict=True):
            try:
                tally.parsed[value] = self.places.month(value)
            except PeriodError as error:
                raise SourceFormatError(
                    self.file.label,
                    f"malformed month {value!r} (expected YYYY-MM)",
                    row=where.first_row + int(first) + 2,
                    column="Month",
                ) from error
        _add_tallies(tally.month_rows, tally.month_first, month_rows, month_values, month_first, where.first_row)
        force_rows, force_first = value_tallies["Falls within"]
        _add_tallies(tally.force_rows, tally.force_first, force_rows, force_values, force_first, where.first_row)
        keep = None
        if self.months is not None:
            wanted = np.array([month_label(tally.parsed[v]) in self.months for v in month_values], dtype=bool)
            keep = wanted[month_codes]
            if keep.all():
                keep = None
        if scanned is not None:  # the scanner read only plain numbers as coordinates: nothing to note
            self.hashes.append(scanned.id_hashes(keep))
        else:
            self._coordinates(table, keep, where)
            if "Crime ID" in table.column_names:
                self.hashes.append(crime_id_hashes(table.column("Crime ID"), keep))
        self._aggregate(coded, keep, table)

    def _coordinates(self, table: pa.Table, keep: np.ndarray | None, where: Where) -> None:
        for name in COORDINATES:
            if name not in table.column_names:
                continue
            column = table.column(name)
            if pa.types.is_floating(column.type):
                if not pc.any(pc.is_nan(column)).as_py():
                    continue
                text = pc.cast(column, pa.string())  # "nan" is not a number to pandas either
            else:
                text = pc.utf8_trim_whitespace(column)
            values = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
            numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
            bad = (values != "") & (values != None) & numbers.isna().to_numpy()  # noqa: E711 - elementwise
            if keep is not None:
                bad &= keep
            if bad.any():
                first = where.first_row + 2 + int(np.flatnonzero(bad)[0])
                found = self.tally.coordinates.setdefault(name, {"rows": 0, "first_row": first})
                found["rows"] += int(bad.sum())

    def _aggregate(self, coded: dict, keep: np.ndarray | None, table: pa.Table) -> None:
        places = self.places
        month_codes, month_values = coded["Month"]
        force_codes, force_values = coded["Falls within"]
        type_codes, type_values = coded["Crime type"]
        kind_reason = np.array([places.force(v)[2] for v in force_values], dtype=np.int64)
        code_codes = code_values = code_ids = placed = None
        counted = None
        if not self.no_lsoa_columns:
            code_codes, code_values = coded["LSOA code"]
            placed = area_of_code, code_ids, reason_of_code = places.of_codes(code_values)
            if COUNT_KEYS is not None and not self.records:
                sizes = self._sizes(month_values, force_values, type_values)
                # In the item sizes count_keys reads (pyarrow's codes may be narrower; numpy's ints, on Windows).
                counted = COUNT_KEYS(
                    *(np.ascontiguousarray(c, dtype=np.int32) for c in (month_codes, force_codes)),
                    kind_reason,
                    *(np.ascontiguousarray(c, dtype=np.int32) for c in (type_codes, code_codes)),
                    *(np.ascontiguousarray(a, dtype=np.int64) for a in (area_of_code, reason_of_code)),
                    sizes,
                    None if keep is None else keep.view(np.uint8),
                    UNKNOWN_LSOA,
                )  # None: a code is unknown, and its area is sought by the LSOA name below
        if counted is not None:
            keys, counts = (None if b is None else np.frombuffer(b, dtype=np.int64) for b in counted)
            if counts is None:  # too many possible keys to count in an array
                keys, counts = np.unique(keys, return_counts=True)
        else:
            keys, counts, sizes = self._counted_rows(coded, keep, kind_reason, placed, table)
        if code_codes is not None and self.tally.lsoa_code_ids is not None:
            if keep is None and isinstance(code_values, Interned):  # the block's distinct codes, known
                distinct = code_ids[code_values.ids]
                self.tally.lsoa_code_ids.append(distinct[distinct >= 0])
            else:
                kept = code_codes if keep is None else code_codes[keep]
                present = np.bincount(kept, minlength=len(code_values)) > 0
                self.tally.lsoa_code_ids.append(code_ids[present & (code_ids >= 0)])
        digits = []
        for size in reversed(sizes[1:]):
            digits.append(keys % size)
            keys = keys // size
        reason_k, type_k, area_k, force_k = digits
        self.entries.append(
            Entries(month_values, force_values, type_values, keys, force_k, type_k, area_k - 1, reason_k, counts)
        )

    def _sizes(self, month_values: list, force_values: list, type_values: list) -> tuple[int, ...]:
        """How many values each part of a row's key takes: months, forces, areas + 1 (none), types, reasons.

        Taken once per block, after its areas are found: another thread may add areas meanwhile.
        """
        return (len(month_values), len(force_values), len(self.places.areas) + 1, len(type_values), len(REASONS))

    def _counted_rows(
        self,
        coded: dict,
        keep: np.ndarray | None,
        kind_reason: np.ndarray,
        placed: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
        table: pa.Table,
    ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Distinct keys of a block's kept rows, how many rows each, and the sizes they are numbered by, with numpy.

        The path for what :data:`COUNT_KEYS` leaves: LSOA codes placed by the name of their LSOA,
        files with no LSOA columns, reads keeping records, and installs without the compiled scanner.
        ``placed``: :meth:`Places.of_codes` of the block's LSOA codes (None without LSOA columns).
        """
        places = self.places
        month_codes, month_values = coded["Month"]
        force_codes, force_values = coded["Falls within"]
        type_codes, type_values = coded["Crime type"]
        if placed is None:
            area = np.full(len(month_codes), -1, dtype=np.int64)
            reason = np.full(len(month_codes), NO_LSOA_COLUMNS, dtype=np.int64)
        else:
            code_codes = coded["LSOA code"][0]
            area_of_code, _, reason_of_code = placed
            area = area_of_code[code_codes]
            reason = reason_of_code[code_codes]
            unknown = reason == UNKNOWN_LSOA
            if unknown.any():
                # Fallback only where the code is unknown: "Birmingham 001A" -> "Birmingham".
                name_codes, name_values = coded["LSOA name"] if "LSOA name" in coded else self._names()
                prefixes = [_LSOA_SUFFIX.sub("", v) for v in name_values]
                by_name = places.of_prefixes(prefixes)[name_codes[unknown]]
                area[unknown] = by_name
                reason[unknown] = np.where(by_name >= 0, NAME_FALLBACK, UNKNOWN_LSOA)
        by_kind = kind_reason[force_codes]
        special = by_kind > 0
        if special.any():
            reason[special] = by_kind[special]
            area[special] = -1
        if keep is not None:
            month_codes, force_codes, type_codes, area, reason = (
                a[keep] for a in (month_codes, force_codes, type_codes, area, reason)
            )
        sizes = self._sizes(month_values, force_values, type_values)
        key = month_codes.astype(np.int64)
        for values, size in zip((force_codes, area + 1, type_codes, reason), sizes[1:], strict=True):
            key = key * size + values
        total = int(np.prod(sizes, dtype=np.float64))
        if total <= 4 * len(key) + 1024:
            counts = np.bincount(key, minlength=total)
            keys = np.flatnonzero(counts)
            counts = counts[keys]
        else:
            keys, counts = np.unique(key, return_counts=True)
        if self.records:
            self._keep_records(table, keep, area, month_codes, force_codes, force_values, month_values)
        return keys, counts, sizes

    def _keep_records(self, table, keep, area, month_codes, force_codes, force_values, month_values) -> None:
        if keep is not None:
            table = table.filter(pa.array(keep))
        periods = np.array([self.tally.parsed[v] for v in month_values], dtype="datetime64[ns]")
        forces = np.array([self.places.force(v)[0] for v in force_values], dtype=object)
        extra = {
            "period_start": pa.array(periods[month_codes]),
            "force": pa.array(forces[force_codes], type=pa.string()),
            "area": pa.array(area),
        }
        for name, values in extra.items():
            table = table.append_column(name, values)
        self.tally.records.append(table)

    def finish(self) -> StreetTally:
        self.tally.entries = Entries.merged(self.entries)
        hashes = np.concatenate(self.hashes) if len(self.hashes) > 1 else self.hashes[0] if self.hashes else None
        self.tally.id_hashes = np.sort(hashes) if hashes is not None else np.empty(0, dtype=np.uint64)
        self.tally.duplicate_ids = repeats(self.tally.id_hashes, presorted=True)
        return self.tally


def _add_tallies(
    rows: dict, first: dict, counts: np.ndarray, values: list[str], firsts: np.ndarray, offset: int
) -> None:
    for value, count, position in zip(values, counts.tolist(), firsts.tolist(), strict=True):
        if count:
            rows[value] = rows.get(value, 0) + int(count)
            first.setdefault(value, offset + int(position))


def _tallies(
    items: Iterator[FileStart | ParsedBlock | FileDigest | FileError],
    places: Places,
    months: set[str] | None,
    records: bool,
    *,
    isolate: bool = False,
) -> Iterator[StreetTally | FileError]:
    """One tally per file, in order; with ``isolate``, a file's error is yielded in its place, else raised."""
    reader: _Reader | None = None
    failed: FileError | None = None
    current: StreetFile | None = None  # the file whose items are arriving
    for item in items:
        if isinstance(item, FileStart | FileError) and (isinstance(item, FileStart) or item.file != current):
            # A new file begins (or failed before its header was read): the previous one is complete.
            if reader is not None:
                yield reader.finish()
            elif failed is not None:
                yield failed
            reader, failed, current = None, None, item.file
        if isinstance(item, FileStart):
            reader = _Reader(item, places, months=months, records=records)
        elif isinstance(item, FileError):
            if not isolate:
                raise item.error
            if failed is None:  # the first error of a file is its error
                reader, failed = None, item
        elif isinstance(item, FileDigest):
            if reader is not None:
                reader.tally.digest = item.digest
        elif reader is not None:  # else the rest of a file that failed
            try:
                reader.take(item)
            except CrimestatsError as error:
                if not isolate:
                    raise
                reader, failed = None, FileError(reader.file, error)
    if reader is not None:
        yield reader.finish()
    elif failed is not None:
        yield failed


def read_street_file(
    file: StreetFile, places: Places, *, months: set[str] | None = None, records: bool = False
) -> StreetTally:
    """Read one street file block by block into a :class:`StreetTally` (see the module docstring).

    Raises
    ------
    SourceFormatError
        Naming the file (and line or row) for an empty file, a wrong header, a structural fault
        (field counts, quotes, NULs, encoding), a row missing its month, force or crime type, or
        a malformed month.
    SourceReadError
        For a file that cannot be read at all.
    """
    blocks = parsed_blocks(file, records=records, lsoa_codes=places.lsoa_codes)
    (tally,) = _tallies(blocks, places, months, records)
    return tally  # type: ignore[return-value]


def tally_file(
    file: StreetFile,
    places: Places,
    *,
    months: set[str] | None = None,
    records: bool = False,
    then: Callable[[StreetFile, StreetTally], object] | None = None,
    digest: bool = False,
) -> object:
    """:func:`read_street_file`, with an error returned in the tally's place (for a pool of threads).

    With ``then``, what ``then(file, tally)`` returns in the tally's place (its error, likewise);
    with ``digest``, a plain file's content digest is taken as it is read (:attr:`StreetTally.digest`).
    """
    try:
        blocks = parsed_blocks(file, records=records, lsoa_codes=places.lsoa_codes, digest=digest)
        (tally,) = _tallies(blocks, places, months, records, isolate=True)
        if then is not None and not isinstance(tally, FileError):
            return then(file, tally)
    except Exception as error:  # a reader bug or an unforeseen fault: that file's failure, in its place
        return FileError(file, error)
    return tally


def _size(file: StreetFile) -> int | None:
    try:
        return file_size(file)
    except (OSError, zipfile.BadZipFile, KeyError):
        return None  # read it on its own: reading it says what is wrong


def read_street_files(
    files: Sequence[StreetFile],
    places: Places,
    *,
    months: set[str] | None = None,
    records: bool = False,
    isolate: bool = False,
    then: Callable[[StreetFile, StreetTally], object] | None = None,
    digests: bool = False,
) -> Iterator[object]:
    """:func:`read_street_file` of each file in turn, the next files read by :data:`TALLIERS` threads meanwhile.

    Files up to a block in size (nearly all data.police.uk files) are read and tallied whole by
    the pool, ahead of the caller and within :data:`AHEAD_BYTES` of files in flight
    (:data:`RECORD_AHEAD_BYTES` with ``records``): parsing and numpy release the GIL, so the
    threads overlap. A larger file is read block by block when its turn comes. Raises the first
    file's error, as reading them one by one would; with
    ``isolate``, yields a :class:`~crimestats.io.street_blocks.FileError` in a failed file's
    place and goes on. With ``then``, each file's ``then(file, tally)`` is yielded in its
    tally's place, computed by the thread that read it (what the caller does with each file
    then runs beside the reading, not after it on the caller's thread); an error it raises is
    the file's, as a reading error is (with ``isolate``, any exception: a bug in it fails that
    file, as a reader bug does, and the others are read on). With ``digests``, each plain file's
    content digest is taken from the bytes read (:attr:`StreetTally.digest`): no file is read twice.
    """
    pending: deque[tuple[Future | StreetFile, int]] = deque()
    queued = iter(files)
    in_flight = 0
    ahead = RECORD_AHEAD_BYTES if records else AHEAD_BYTES
    with ThreadPoolExecutor(TALLIERS, thread_name_prefix="crimestats-street") as pool:

        def fill() -> None:
            nonlocal in_flight
            while not pending or in_flight < ahead:
                file = next(queued, None)
                if file is None:
                    return
                size = _size(file)
                if size is None or size > BLOCK_BYTES:
                    pending.append((file, 0))  # read in its turn, block by block
                    return
                read = pool.submit(tally_file, file, places, months=months, records=records, then=then, digest=digests)
                pending.append((read, size))
                in_flight += size

        try:
            fill()
            while pending:
                head, size = pending.popleft()
                if isinstance(head, Future):
                    result = head.result()
                    in_flight -= size
                else:
                    result = tally_file(head, places, months=months, records=records, then=then, digest=digests)
                fill()
                if isinstance(result, FileError) and not isolate:
                    raise result.error
                yield result
        finally:
            for future, _ in pending:
                if isinstance(future, Future):
                    future.cancel()
