"""Structural checks of a CSV source, independent of the parser that reads it.

pandas reads what it is given: a short last row is padded with blanks, a row with a field too
many is accepted when only some columns are asked for, and a quote left open swallows the lines
after it into one field. None of that may pass silently. Every reader therefore loads a CSV's
bytes through :func:`load_csv`, which checks them with a quote-aware scan of its own (vectorised
with numpy: about 0.1 s for a 40 MB file) and raises a :class:`~crimestats.SourceFormatError`
naming the file and line for

- NUL bytes, UTF-16 or non-UTF-8 text;
- a record whose field count differs from the header's (a truncated last row, an extra field);
- a quoted field that runs over a line end (a closing quote missing), or a quote never closed;

and hands back the bytes with the number of physical data rows. After parsing, the reader calls
:meth:`CheckedCsv.confirm` with the number of rows it read: a difference means a row was lost or
invented, and is an error. What is recoverable (blank lines, a last line without its line break)
is reported in the file's quality record through :meth:`CheckedCsv.report`.

:func:`reading` turns the low-level errors of opening, decompressing and decoding a file
(``OSError``, ``zipfile.BadZipFile``, ``zlib.error``, ``EOFError``, ``UnicodeDecodeError``, pandas
parser errors) into :class:`~crimestats.CrimestatsError` subclasses naming the file.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pandas as pd

from ..exceptions import CrimestatsError, SourceFormatError, SourceReadError

_QUOTE, _COMMA, _NEWLINE, _NUL = ord('"'), ord(","), ord("\n"), b"\x00"
#: Byte-order marks of text a CSV reader cannot read as UTF-8, and the encoding each names.
WIDE_BOMS = {b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe\x00\x00": "UTF-32"}


@contextlib.contextmanager
def reading(label: str | Path) -> Iterator[None]:
    """Turn the errors of opening, decompressing, decoding and parsing ``label`` into crimestats errors.

    Examples
    --------
    >>> from crimestats.io.structure import reading
    >>> try:
    ...     with reading("missing.csv"):
    ...         open("/nonexistent/missing.csv", "rb")
    ... except Exception as error:
    ...     print(type(error).__name__, "-", error)
    SourceReadError - missing.csv: cannot be read: No such file or directory
    """
    try:
        yield
    except CrimestatsError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise SourceFormatError(
            label, f"not a readable zip archive or member (corrupt or truncated?): {error}"
        ) from error
    except gzip.BadGzipFile as error:  # an OSError: before it
        raise SourceFormatError(label, f"not a readable gzip file: {error}") from error
    except zlib.error as error:
        raise SourceFormatError(label, f"compressed data is corrupt: {error}") from error
    except EOFError as error:
        raise SourceFormatError(label, f"compressed data ends early (file truncated?): {error}") from error
    except UnicodeDecodeError as error:
        raise SourceFormatError(label, f"not UTF-8 text: {error}") from error
    except pd.errors.EmptyDataError as error:
        raise SourceFormatError(label, "file is empty") from error
    except pd.errors.ParserError as error:
        raise SourceFormatError(label, f"cannot be parsed as CSV: {error}") from error
    except OSError as error:
        raise SourceReadError(label, f"cannot be read: {error.strerror or error}") from error


def read_bytes(
    source: str | Path | Callable[[], IO[bytes] | io.BufferedIOBase], label: str | Path | None = None
) -> bytes:
    """The bytes of a file (gunzipped when its name ends ``.gz``) or of what ``source()`` opens (a zip member)."""
    label = label if label is not None else str(source)
    with reading(label):
        if callable(source):
            with source() as handle:
                return handle.read()
        path = Path(source)
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
        return data


@dataclass(frozen=True)
class CheckedCsv:
    """A CSV's bytes that passed :func:`check_csv`, with what the scan counted.

    Attributes
    ----------
    label
        The file as named in messages (``archive.zip!member`` for a zip member).
    data
        The bytes (decompressed), ready for a parser through :meth:`stream`.
    fields
        Fields in the header.
    data_rows
        Physical data rows: non-blank records after the header.
    blank_lines
        Empty lines (parsers skip them).
    unterminated_line
        The line number of a last line that has no line break (a possible cut), else None.
    """

    label: str
    data: bytes
    fields: int
    data_rows: int
    blank_lines: int = 0
    unterminated_line: int | None = None

    def stream(self) -> io.BytesIO:
        """A fresh binary stream over the checked bytes."""
        return io.BytesIO(self.data)

    @cached_property
    def digest(self) -> str:
        """A hash of the content: the same file reached twice has the same digest."""
        return hashlib.blake2b(self.data, digest_size=16).hexdigest()

    def confirm(self, rows_read: int) -> None:
        """Raise unless a parser's row count equals the data rows the scan counted."""
        if rows_read != self.data_rows:
            raise SourceFormatError(
                self.label,
                f"the parser read {rows_read:,} rows but the file holds {self.data_rows:,} data lines; "
                "expected every line to be one row",
            )

    def report(self) -> dict[str, int]:
        """What a quality record should say about the file's structure (empty when nothing to say)."""
        found = {}
        if self.blank_lines:
            found["blank_lines"] = self.blank_lines
        if self.unterminated_line is not None:
            found["last_line_unterminated"] = self.unterminated_line
        return found


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def check_csv(
    data: bytes,
    label: str | Path,
    *,
    unterminated: Literal["report", "error"] = "report",
    multiline: bool = False,
) -> CheckedCsv:
    r"""Check that ``data`` is a well-formed comma-separated table and count its data rows.

    Parameters
    ----------
    data
        The file's bytes (UTF-8, a BOM allowed).
    label
        How messages name the file.
    unterminated
        What a last line with no line break is: ``"report"`` (in :meth:`CheckedCsv.report`) or
        ``"error"`` (for tables whose last column is a count, which a cut would shorten unseen).
    multiline
        Allow quoted fields that hold line breaks (free-text columns of some extracts). By default
        a quoted field running over a line end is an error: no published source has one, and it
        is what a lost closing quote looks like.

    Returns
    -------
    CheckedCsv

    Raises
    ------
    SourceFormatError
        Naming the file and line: empty file, NUL bytes, UTF-16/32 or non-UTF-8 text, a quoted
        field running over a line end or never closed, a record whose field count is not the
        header's.

    Examples
    --------
    >>> from crimestats.io.structure import check_csv
    >>> check_csv(b"a,b\n1,2\n\n3,4\n", "t.csv").data_rows
    2
    >>> check_csv(b"a,b\n1,2\n3", "t.csv")
    Traceback (most recent call last):
    ...
    crimestats.exceptions.SourceFormatError: t.csv, row 3: 1 field, expected 2 as in the header (file truncated?)
    """
    label = str(label)
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise SourceFormatError(label, "file is empty")
    for bom, encoding in WIDE_BOMS.items():
        if data.startswith(bom):
            raise SourceFormatError(label, f"file is {encoding} text; expected UTF-8")
    nul = data.find(_NUL)
    if nul >= 0:
        raise SourceFormatError(
            label,
            f"{data.count(_NUL):,} NUL bytes, from this line on (file corrupted?); expected text",
            row=_line_of(data, nul),
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = _line_of(data, error.start)
        raise SourceFormatError(
            label, f"byte {data[error.start]:#04x} is not UTF-8; expected UTF-8 text", row=line
        ) from None

    buffer = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(buffer == _QUOTE)
    newlines = np.flatnonzero(buffer == _NEWLINE)
    breaks = newlines  # the line ends that end a record
    if len(quotes):
        # A line end with an odd number of quotes before it lies inside a quoted field.
        inside = np.searchsorted(quotes, newlines) % 2 == 1
        if inside.any() and not multiline:
            line = int(np.flatnonzero(inside)[0]) + 1
            raise SourceFormatError(
                label,
                "a quoted field runs on past the end of the line (a closing quote missing?); "
                "expected each row on one line",
                row=line,
            )
        if len(quotes) % 2:
            line = _line_of(data, int(quotes[-1]))
            raise SourceFormatError(
                label, "a quote opened here is never closed (file truncated?); expected a closing quote", row=line
            )
        breaks = newlines[~inside]
    ends_with_newline = data.endswith(b"\n")
    n_lines = len(breaks) + (0 if ends_with_newline else 1)  # records, each on one line unless multiline
    commas = np.flatnonzero(buffer == _COMMA)
    if len(quotes):
        commas = commas[np.searchsorted(quotes, commas) % 2 == 0]
    fields = np.bincount(np.searchsorted(breaks, commas), minlength=n_lines)[:n_lines] + 1
    starts = np.concatenate(([0], breaks + 1))[:n_lines]
    ends = np.concatenate((breaks, [len(data)]))[:n_lines]
    lengths = ends - starts
    # A CR before the LF belongs to the line end.
    has_cr = np.zeros(n_lines, dtype=bool)
    nonempty = lengths > 0
    has_cr[nonempty] = buffer[ends[nonempty] - 1] == ord("\r")
    blank = (lengths - has_cr) == 0
    header = int(fields[0])
    bad = ~blank & (fields != header)
    bad[0] = False
    if bad.any():
        rows = np.flatnonzero(bad)
        line = int(np.searchsorted(newlines, starts[rows[0]])) + 1
        found = int(fields[rows[0]])
        last = rows[0] == n_lines - 1
        cut = " (file truncated?)" if last and found < header and not ends_with_newline else ""
        more = f"; {len(rows):,} such lines" if len(rows) > 1 else ""
        first_line = data[: int(ends[0])]
        if header == 1 and (b";" in first_line or b"\t" in first_line):
            more += "; the header is one field: is the file separated by ';' or tabs rather than commas?"
        raise SourceFormatError(
            label,
            f"{found} field{'s' if found != 1 else ''}, expected {header} as in the header{cut}{more}",
            row=line,
        )
    unterminated_line = None
    if not ends_with_newline and n_lines > 1:
        unterminated_line = len(newlines) + 1
        if unterminated == "error":
            raise SourceFormatError(
                label,
                "the last line has no line break (file truncated?); expected a complete last row",
                row=unterminated_line,
            )
    blank_lines = int(blank[1:].sum())
    return CheckedCsv(
        label=label,
        data=data,
        fields=header,
        data_rows=int(n_lines - 1 - blank_lines),
        blank_lines=blank_lines,
        unterminated_line=unterminated_line,
    )


def load_csv(
    source: str | Path | Callable[[], IO[bytes] | io.BufferedIOBase],
    label: str | Path | None = None,
    *,
    unterminated: Literal["report", "error"] = "report",
    multiline: bool = False,
) -> CheckedCsv:
    """Read a CSV's bytes (a path, ``.gz`` or an opener of a zip member) and :func:`check_csv` them.

    Examples
    --------
    >>> import crimestats as cs
    >>> from crimestats.io.structure import load_csv
    >>> load_csv(cs.datasets.path("police-uk-city-of-london-2017-01")).data_rows
    483
    """
    label = str(label if label is not None else source)
    return check_csv(read_bytes(source, label), label, unterminated=unterminated, multiline=multiline)
