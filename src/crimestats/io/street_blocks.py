"""data.police.uk street files as parsed blocks: read in whole lines, checked, parsed.

The first stage of the ingest path (issue 15; :mod:`crimestats.io.street_chunks` is the second).
A file is read in blocks of whole lines (:data:`BLOCK_BYTES`), so memory is bounded by a block,
whatever the size of the file. Each block is

1. for counting, scanned in one pass by the compiled scanner (:data:`SCANNER`, built from
   ``_streetscan.c`` at install): the four columns counting needs as integer codes and their
   distinct values, the crime-ID hashes, and a check that the coordinates are plain numbers, all
   without the GIL. It serves only plain blocks: anything unusual (a NUL byte, non-UTF-8 text, a
   blank line, a field count that is not the header's, an odd quote, a coordinate or crime ID it
   does not recognise) makes it decline, and the block goes on to step 2, so every error and
   quality note is exactly what the exact path gives;
2. otherwise (records, an unusual block, or no compiled scanner) checked cheaply for what a parser
   would let through (NUL bytes, non-UTF-8 text) and parsed by pyarrow's multithreaded CSV reader,
   only the columns needed, strings dictionary-encoded;
3. compared with its physical line count: any parser error, or a row count that is not the
   number of lines (blank lines, or a quote swallowing a line end), sends the block through the
   exact structural scan of :func:`crimestats.io.structure.check_csv`, which counts the blank
   lines or raises the error naming the file and line, as the pandas reader did before.

:func:`crimestats.io.street_chunks.read_street_files` runs both stages for many files in a small
thread pool, a few files ahead of the caller.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from ..digests import ContentDigest, digest_text, new_digest
from ..exceptions import SourceFormatError
from .street_files import StreetFile
from .structure import WIDE_BOMS, CheckedCsv, check_csv, reading

try:  # built at install from _streetscan.c; optional (no C compiler): pyarrow parses every block then
    from . import _streetscan

    #: The compiled one-pass scanner of plain blocks, or None where it was not built.
    SCANNER = _streetscan.scan
    #: Rows counted by their combined key, without the GIL (:mod:`crimestats.io.street_chunks`), or None.
    COUNT_KEYS = _streetscan.count_keys
    #: A content digest (:mod:`crimestats.digests`' XXH3-128) the scanner feeds each block as it scans it.
    _DIGEST = _streetscan.Digest
except (ImportError, AttributeError):  # pragma: no cover - no compiler, or a module built by an older release
    SCANNER = COUNT_KEYS = _DIGEST = None

logger = logging.getLogger(__name__)
#: Bytes read from a file at a time (cut at the last line end): what bounds memory per file.
BLOCK_BYTES = 32 * 2**20

#: data.police.uk column -> canonical (snake_case) record column.
VARIABLE_MAP: dict[str, str] = {
    "Crime ID": "crime_id",
    "Month": "month",
    "Reported by": "reported_by",
    "Falls within": "falls_within",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "crime_type",
    "Last outcome category": "outcome",
    "Context": "context",
}
REQUIRED = ("Month", "Falls within", "LSOA code", "LSOA name", "Crime type")
COORDINATES = ("Longitude", "Latitude")
DICT = pa.dictionary(pa.int32(), pa.string())
#: What the scanner does with a column: skip it, dictionary-encode it, hash it (crime IDs), check it is
#: a plain number (coordinates). The values of ``enum role`` in _streetscan.c (a test checks they agree).
SKIP, DICTIONARY, CRIME_ID, NUMBER = 0, 1, 2, 3
#: The scanner's role of each column counting needs; other columns are skipped.
_ROLES = {
    "Month": DICTIONARY,
    "Falls within": DICTIONARY,
    "LSOA code": DICTIONARY,
    "Crime type": DICTIONARY,
    "Crime ID": CRIME_ID,
    "Longitude": NUMBER,
    "Latitude": NUMBER,
}
_PRE_2013_ONLY = ("Easting", "Northing")
_BOM = b"\xef\xbb\xbf"
_SPACE = b" \t\r\n"
_NEWLINE = ord("\n")


@dataclass(frozen=True)
class Where:
    """Where a block sits in its file, for the numbers in messages."""

    first_line: int  # physical line number of the block's first line
    first_row: int  # 0-based data row of its first data row


@dataclass(frozen=True)
class FileStart:
    """A street file whose header was read: what the blocks that follow are parsed with."""

    file: StreetFile
    header: list[str]
    #: The original layout (until early 2013: Easting/Northing, no LSOA columns).
    no_lsoa_columns: bool
    wanted: list[str]
    types: dict[str, pa.DataType]
    #: What the scanner does with each header column (one byte each), or None to parse with pyarrow.
    roles: bytes | None = None
    #: The scanner's interner of each dictionary column (None: the block's own codes), or None.
    interners: tuple | None = None


@dataclass(frozen=True)
class Interned:
    """The first ``size`` values of an interner: what the codes of a block's interned column index."""

    #: The interner (``values[i]``: the value of code i; ``values[a:b]``: a list of those values).
    values: object
    size: int
    #: The codes of the block's distinct values.
    ids: np.ndarray

    def __len__(self) -> int:
        return self.size


@dataclass(frozen=True)
class Scanned:
    """A plain block as the compiled scanner read it: what counting needs, no Arrow table."""

    rows: int
    #: Column -> (an int32 code per row, the distinct values in order of first appearance, or
    #: the :class:`Interned` values of a column scanned with an interner).
    columns: dict[str, tuple[np.ndarray, list[str] | Interned]]
    #: Column (not interned) -> (rows per value, first row of each value).
    tallies: dict[str, tuple[np.ndarray, np.ndarray]]
    #: The hash of each crime ID (rows without one left out), and whether each row has one
    #: (None without a Crime ID column).
    hashes: np.ndarray | None
    present: np.ndarray | None

    def id_hashes(self, keep: np.ndarray | None) -> np.ndarray:
        """The hashes of the non-blank crime IDs of the rows ``keep`` selects (as ``crime_id_hashes``)."""
        if self.hashes is None:
            return np.empty(0, dtype=np.uint64)
        if keep is None:
            return self.hashes
        return self.hashes[keep[self.present.view(bool)]]


def new_interner(values: Sequence[str] = ()) -> object | None:
    """A new interner for :func:`scan` (numbers a column's values across blocks), or None without :data:`SCANNER`.

    ``values`` (distinct) are numbered first, 0, 1, ... in order.
    """
    return None if SCANNER is None else _streetscan.Interner(values)


def interner_of_lines(lines: bytes) -> object | None:
    """:func:`new_interner` of the values of UTF-8 lines (each ended by a line feed), or None without :data:`SCANNER`.

    No str is made for a value until one is asked for: an LSOA table's interner is only looked up in.
    """
    return None if SCANNER is None else _streetscan.Interner.from_lines(lines)


def roles_of(header: list[str], roles: dict[str, int]) -> bytes:
    """The scanner's role of each header column (``roles``: name -> role, as :data:`_ROLES`; others skipped)."""
    return bytes(roles.get(c, SKIP) for c in header)


def _dictionary_columns(header: list[str], roles: bytes) -> list[str]:
    """The columns the scanner dictionary-encodes, in header order (the order of its results)."""
    return [c for c, role in zip(header, roles, strict=True) if role == DICTIONARY]


def scan(
    data: bytes, header: list[str], roles: bytes, interners: tuple | None = None, digest: ContentDigest | None = None
) -> Scanned | str:
    """Scan a plain block with :data:`SCANNER` (``roles`` from :func:`roles_of`), or say why it is not plain.

    ``interners`` (one per dictionary column, None for the block's own codes) number a column's
    values across blocks: a reader then maps each distinct value once per read. ``digest`` (from
    :func:`reading_digest`), when given, is fed the whole block, whether or not it is plain (unless
    the call raises).
    """
    found = SCANNER(data, roles, interners, digest)
    if isinstance(found, str):
        return found
    rows, _, dictionaries, hashes, present = found
    names = _dictionary_columns(header, roles)
    coded, tallies = {}, {}
    for k, (name, (codes, values, third, fourth)) in enumerate(zip(names, dictionaries, strict=True)):
        if isinstance(values, int):  # interned: the interner's first ``values`` values
            values = Interned(interners[k], values, np.frombuffer(third, dtype=np.int32))
        else:
            tallies[name] = (np.frombuffer(third, dtype=np.int64), np.frombuffer(fourth, dtype=np.int64))
        coded[name] = (np.frombuffer(codes, dtype=np.int32), values)
    return Scanned(
        rows=rows,
        columns=coded,
        tallies=tallies,
        hashes=None if hashes is None else np.frombuffer(hashes, dtype=np.uint64),
        present=None if present is None else np.frombuffer(present, dtype=np.uint8),
    )


@dataclass(frozen=True)
class ParsedBlock:
    """One block of a street file, checked and parsed: an Arrow ``table``, or what the scanner read."""

    data: bytes | memoryview  # memoryview: a file read whole into its thread's buffer
    table: pa.Table | None
    where: Where
    blank_lines: int = 0
    #: The line number of a last line with no line break (a possible cut), else None.
    unterminated_line: int | None = None
    scanned: Scanned | None = None

    @property
    def rows(self) -> int:
        """Data rows in the block."""
        return self.scanned.rows if self.scanned is not None else self.table.num_rows


def _is_pre_2013_layout(columns: list[str]) -> bool:
    present = set(columns)
    return set(_PRE_2013_ONLY) <= present and {"LSOA code", "LSOA name"}.isdisjoint(present)


def _header(file: StreetFile, line: bytes) -> list[str]:
    text = line.removeprefix(_BOM).rstrip(b"\r\n")
    try:
        return next(csv.reader([text.decode("utf-8")]))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        check_csv(line, file.label)  # raises the exact error for a bad first line
        raise SourceFormatError(file.label, "the header cannot be read as CSV") from None


def _check_header(file: StreetFile, header: list[str]) -> bool:
    """Raise unless the header is a street file's; True for the pre-2013 layout (no LSOA columns)."""
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise SourceFormatError(file.label, f"wrong header: {twice} named more than once; expected each column once")
    missing = [c for c in REQUIRED if c not in header]
    if missing and _is_pre_2013_layout(header):
        missing = [c for c in REQUIRED if c not in header and c not in ("LSOA code", "LSOA name")]
        if not missing:
            return True
    if missing:
        raise SourceFormatError(file.label, f"wrong header: missing {missing}; a street file has {list(VARIABLE_MAP)}")
    return False


def _column_types(header: list[str], records: bool) -> tuple[list[str], dict[str, pa.DataType], bytes | None]:
    # LSOA name is parsed only where it is needed: records, and blocks with unknown LSOA codes.
    types: dict[str, pa.DataType] = {c: DICT for c in REQUIRED if records or c != "LSOA name"}
    types["Crime ID"] = pa.binary()
    types.update({c: pa.float64() for c in COORDINATES})
    if records:
        types.update({"Last outcome category": DICT, "Location": DICT, "Context": pa.string()})
    wanted = [c for c in header if c in types]
    # Records keep whole columns: pyarrow parses them. Counting is what the scanner serves.
    roles = None if records or SCANNER is None else roles_of(header, _ROLES)
    return wanted, {c: types[c] for c in wanted}, roles


def _chunk(size: int) -> int:
    return size + 1 if size <= 8 * 2**20 else 4 * 2**20


def parse(data: bytes, header: list[str], wanted: list[str], types: dict[str, pa.DataType]) -> pa.Table:
    """Parse a block of whole lines (no header) into the ``wanted`` columns, typed as ``types``.

    With the system allocator: the default one keeps freed memory per thread, which with the
    parsing threads costs some 50 MB of peak memory and buys no speed here.
    """
    return pv.read_csv(
        pa.py_buffer(data),
        memory_pool=pa.system_memory_pool(),
        # A file's block in one chunk (one dictionary per column); a big file's in chunks parsed in parallel.
        read_options=pv.ReadOptions(column_names=header, use_threads=True, block_size=_chunk(len(data))),
        parse_options=pv.ParseOptions(newlines_in_values=False),
        convert_options=pv.ConvertOptions(
            include_columns=wanted,
            column_types=types,
            null_values=[""],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def blocks(handle, size: int | None = None, *, length: int | None = None) -> Iterator[bytes]:
    """Blocks of whole lines (each ends at a line break, but perhaps the last).

    ``length`` (the file's size, where known) lets a file smaller than a block be read in one
    call of its own size: asking for more makes Python allocate the block size for every file.
    """
    size = size or BLOCK_BYTES
    if length is not None and length < size:
        size = length + 1
    rest = b""
    while True:
        data = handle.read(size)
        if not data:
            if rest:
                yield rest
            return
        data = rest + data if rest else data
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        if cut == len(data) - 1:  # the usual case: no copy
            rest = b""
            yield data
        else:
            rest = data[cut + 1 :]
            yield data[: cut + 1]


def _exact_check(file: StreetFile, header_line: bytes, data: bytes, where: Where, problem: str) -> CheckedCsv:
    """Run the exact structural scan over a block a cheap check doubted; raise what it finds (or ``problem``)."""
    try:
        checked = check_csv(header_line + data, file.label)
    except SourceFormatError as error:
        row = None if error.row is None else (error.row if error.row == 1 else error.row - 2 + where.first_line)
        raise SourceFormatError(file.label, error.problem, row=row, column=error.column) from None
    if problem:
        raise SourceFormatError(file.label, problem)
    return checked


def _parsed(
    start: FileStart,
    header_line: bytes,
    data: bytes | memoryview,
    where: Where,
    last: bool,
    digest: ContentDigest | None = None,
) -> ParsedBlock:
    """``data`` (a block of ``start``'s file, starting at ``where``) checked and parsed; ``digest`` fed it."""
    file = start.file
    if start.roles is not None:
        found = scan(data, start.header, start.roles, start.interners, digest)
        if not isinstance(found, str):
            unterminated = last and len(data) > 0 and data[-1] != _NEWLINE
            return ParsedBlock(
                data=data,
                table=None,
                where=where,
                unterminated_line=where.first_line + found.rows - 1 if unterminated else None,
                scanned=found,
            )
        logger.debug("%s, line %d on: %s; parsed the exact way", file.label, where.first_line, found)
    elif digest is not None:  # not scanned: fed here
        digest.update(data)
    if isinstance(data, memoryview):  # a file read into its thread's buffer: the exact path keeps bytes
        data = data.tobytes()
    if b"\x00" in data:
        _exact_check(file, header_line, data, where, "NUL bytes (file corrupted?)")
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            _exact_check(file, header_line, data, where, "not UTF-8 text")
    newlines = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _NEWLINE))
    unterminated = last and not data.endswith(b"\n")
    lines = newlines + (1 if unterminated else 0)
    try:
        table = parse(data, start.header, start.wanted, start.types)
    except pa.ArrowInvalid as error:
        if "conversion error" not in str(error).lower():
            _exact_check(file, header_line, data, where, f"cannot be parsed as a street CSV: {error}")
            raise  # pragma: no cover - _exact_check raises
        # A coordinate that is not a number: read them as text, to be counted in the quality record.
        types = {**start.types, **{c: pa.string() for c in COORDINATES if c in start.types}}
        try:
            table = parse(data, start.header, start.wanted, types)
        except pa.ArrowInvalid:
            _exact_check(file, header_line, data, where, f"cannot be parsed as a street CSV: {error}")
            raise  # pragma: no cover - _exact_check raises
    blank_lines = 0
    if table.num_rows != lines:
        # The parser skips blank lines, and a quote left open swallows line ends: the exact scan
        # tells which, counting the blank lines or raising at the line at fault.
        checked = _exact_check(file, header_line, data, where, "")
        if checked.data_rows != table.num_rows:
            _exact_check(
                file,
                header_line,
                data,
                where,
                f"the parser read {table.num_rows:,} rows but the block holds {checked.data_rows:,} data lines; "
                "expected every line to be one row",
            )
        blank_lines = checked.blank_lines
    return ParsedBlock(
        data=data,
        table=table,
        where=where,
        blank_lines=blank_lines,
        unterminated_line=where.first_line + newlines if unterminated else None,
    )


#: Each reading thread's buffer, reused for the files it reads whole (see :func:`_read_rest`).
_buffers = threading.local()


def _read_rest(handle, size: int) -> bytes | memoryview:
    """The rest of an open file (``size`` bytes, as its size said) read into this thread's reused buffer.

    Reading each file into new memory faulted its pages in one by one (a fifth of the reading
    threads' time); the buffer is allocated once per thread (uninitialised: the read is the first
    to touch it) and grown, doubling, only for a larger file. The
    view is valid until the thread reads its next file: a file's blocks are tallied by the thread
    that read it before it reads another. (Mapping the file instead would save the copy too, but a
    file cut short while mapped kills the process with SIGBUS.) A file that grew since its size
    was taken is read on and returned as bytes.
    """
    buffer = getattr(_buffers, "buffer", None)
    if buffer is None or len(buffer) < size + 1:
        # Not a bytearray: that is zeroed when made, touching every page once before the read does.
        grown = min(2 * len(buffer), BLOCK_BYTES + 1) if buffer is not None else 2**20  # files past a block stream
        buffer = _buffers.buffer = np.empty(max(size + 1, grown), dtype=np.uint8)
    view = memoryview(buffer)[: size + 1]
    filled = 0
    while filled < len(view) and (got := handle.readinto(view[filled:])):
        filled += got
    if filled <= size:
        return view[:filled]
    return view[:filled].tobytes() + handle.read()  # it grew: read the rest as it is now


def _start(file: StreetFile, handle) -> tuple[bytes, bytes | memoryview, Iterator[bytes]]:
    """The header line, the first block of data lines and the blocks after it, of an open street file.

    The header is read as a line of its own, so the file's data is never copied to cut it off.
    A file that does not start with a line of text (empty, blank, UTF-16 or UTF-32, or with no
    line end in the first block) is checked whole, as a block: the check raises what is wrong.
    """
    plain = _plain(file)
    header_line = handle.readline(BLOCK_BYTES)
    unusual = (
        not header_line.endswith(b"\n")
        or not header_line.strip(_BOM + _SPACE)
        or header_line.startswith(tuple(WIDE_BOMS))
    )
    rest = os.fstat(handle.fileno()).st_size - len(header_line) if plain else None
    if not unusual and rest is not None and 0 < rest <= BLOCK_BYTES and SCANNER is not None:
        # A plain file in one block is read whole into the thread's buffer (the scanner reads views).
        return header_line, _read_rest(handle, rest), iter(())
    stream = blocks(handle, length=rest)
    if not unusual:
        return header_line, next(stream, b""), stream
    first = header_line + next(stream, b"")
    blank = not first[:4096].strip(_BOM + _SPACE) and not first[4096:].strip(_SPACE)  # copies only when blank
    if blank or first.startswith(tuple(WIDE_BOMS)):
        check_csv(first, file.label)  # raises: the file is empty, or UTF-16/32
    cut = first.find(b"\n") + 1 or len(first)
    return first[:cut], first[cut:], stream


def parsed_blocks(
    file: StreetFile, *, records: bool = False, lsoa_codes: object | None = None, digest: bool = False
) -> Iterator[FileStart | ParsedBlock | FileDigest]:
    """The :class:`FileStart` of a street file, then its blocks, checked and parsed.

    ``lsoa_codes`` (an interner of :data:`SCANNER`'s module) numbers the LSOA codes of scanned
    blocks across files (see :class:`Interned`). With ``digest``, a plain file's bytes (not a zip
    member's or a gzip's) are digested as they are read, and a :class:`FileDigest` follows its
    blocks: a store refresh records it without reading the file again.

    Raises
    ------
    SourceFormatError
        Naming the file (and line) for an empty file, UTF-16 text, a wrong header, a field count
        that is not the header's, a quote left open, NUL bytes or non-UTF-8 text.
    SourceReadError
        For a file that cannot be read at all.
    """
    content = reading_digest() if digest and _plain(file) else None
    with reading(file.label), file.open() as handle:
        header_line, data, stream = _start(file, handle)
        if b"\x00" in header_line:
            _exact_check(file, b"", header_line, Where(first_line=1, first_row=0), "NUL bytes (file corrupted?)")
        header = _header(file, header_line)
        no_lsoa_columns = _check_header(file, header)
        start = FileStart(file, header, no_lsoa_columns, *_column_types(header, records))
        if start.roles is not None and lsoa_codes is not None:
            columns = _dictionary_columns(header, start.roles)
            interners = tuple(lsoa_codes if c == "LSOA code" else None for c in columns)
            start = dataclasses.replace(start, interners=interners)
        if content is not None:
            content.update(header_line)  # each block is fed to it as it is parsed, in order
        yield start
        where = Where(first_line=2, first_row=0)
        pending = data
        for following in stream:
            if pending:
                block = _parsed(start, header_line, pending, where, last=False, digest=content)
                yield block
                where = Where(where.first_line + pending.count(b"\n"), where.first_row + block.rows)
            pending = following
        if pending:
            yield _parsed(start, header_line, pending, where, last=True, digest=content)
    if content is not None:
        yield FileDigest(file, digest_text(content))


def reading_digest() -> ContentDigest:
    """A new content digest to feed a file's bytes as they are read (:func:`crimestats.digests.new_digest`'s XXH3-128).

    The scanner's where it is built: it is fed each block by the scan of it, while the bytes are in
    the core's cache, not in a pass of its own. Either gives the same digest of the same bytes.
    """
    return _DIGEST() if _DIGEST is not None else new_digest()


def _plain(file: StreetFile) -> bool:
    """Whether a street file is a file of its own on disk, read as it is (not a zip member or a gzip)."""
    return file.archive is None and file.content is None and not file.name.lower().endswith(".gz")


@dataclass(frozen=True)
class FileDigest:
    """The content digest (:mod:`crimestats.digests`) of a plain file whose blocks were just read."""

    file: StreetFile
    digest: str


@dataclass(frozen=True)
class FileError:
    """Reading ``file`` raised ``error`` (handed to the consumer in the file's place)."""

    file: StreetFile
    error: Exception
